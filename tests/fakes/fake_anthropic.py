"""A fake Anthropic Messages API on loopback, for driving the real `anthropic` SDK in tests.

It is a real HTTP server (stdlib, in a background thread, random free port), so the SDK's
own retries, timeouts, SSE parsing and error mapping run exactly as in production, and it
works from sync and async tests alike. It implements `POST /v1/messages`, JSON and SSE
(`"stream": true`) with the Messages API's event shapes, records every request (headers
and parsed body), and answers from a per-test script:

    fake.enqueue(rate_limited(retry_after=0.1), tool_answer("Reset it in Settings.", ["doc-1"]))
    fake.enqueue(server_error(), times=3)
    fake.enqueue(tool_answer(...).slow(2.0))            # longer than the client's timeout
    fake.enqueue(tool_answer(...).stalled(after_events=4))  # stream goes silent mid-answer
    fake.enqueue(tool_answer(...).cut(after_events=4))  # connection closed mid-answer

When the script runs out it uses `fake.fallback` (a `Scripted` or a function of the
request body returning one; `grounded_answer` cites the first passage it was sent),
or else answers 400 so a test that forgot to script a call fails loudly.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_API_KEY = "sk-ant-fake-key"
TOOL_NAME = "answer_customer"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None when the body was not JSON
    raw: bytes

    @property
    def streaming(self) -> bool:
        return isinstance(self.body, dict) and self.body.get("stream") is True

    @property
    def api_key(self) -> str | None:
        """The key the client sent: `x-api-key` (SDK <= 1.x) or `Authorization: Bearer` (2.x)."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token if scheme.lower() == "bearer" and token else None

    @property
    def user_text(self) -> str:
        """The text of the user messages, concatenated (where the data tags live)."""
        chunks: list[str] = []
        for message in (self.body or {}).get("messages", []):
            if message.get("role") != "user":
                continue
            content = message.get("content")
            if isinstance(content, str):
                chunks.append(content)
            else:
                chunks.extend(b.get("text", "") for b in content if b.get("type") == "text")
        return "\n".join(chunks)


@dataclass(frozen=True)
class Scripted:
    """One scripted reply. Build with the helpers below rather than by hand."""

    status: int = 200
    content: tuple[dict[str, Any], ...] = ()  # message content blocks (status 200)
    error_body: dict[str, Any] | None = None  # body of an error status
    headers: tuple[tuple[str, str], ...] = ()
    stop_reason: str = "tool_use"
    delay: float = 0.0  # seconds before the status line is sent
    raw_tool_json: str | None = None  # streamed verbatim as the tool input (may be broken)
    stall_after_events: int | None = None  # streaming: go silent after this many events
    error_event_after: int | None = None  # streaming: send an `error` event after N events
    cut_after_events: int | None = None  # streaming: close the connection after N events
    chunk_chars: int = 12  # streaming: size of each partial_json / text delta
    event_delay: float = 0.0  # streaming: pause between events
    usage: tuple[tuple[str, int], ...] = (("input_tokens", 1200), ("output_tokens", 90))

    def slow(self, seconds: float) -> Scripted:
        """The same reply, sent only after `seconds` (to outlast a client timeout)."""
        return replace(self, delay=seconds)

    def stalled(self, after_events: int = 4) -> Scripted:
        """Streaming: send `after_events` SSE events, then nothing until the client gives up."""
        return replace(self, stall_after_events=after_events)

    def cut(self, after_events: int = 4) -> Scripted:
        """Streaming: close the connection after N events (no message_stop)."""
        return replace(self, cut_after_events=after_events)

    def error_mid_stream(self, after_events: int = 4) -> Scripted:
        """Streaming: an `overloaded_error` event inside the 200 stream after N events."""
        return replace(self, error_event_after=after_events)

    def paced(self, seconds: float) -> Scripted:
        return replace(self, event_delay=seconds)


# --- builders -------------------------------------------------------------------------


def answer_input(
    answer: str,
    cited_doc_ids: list[str] | tuple[str, ...],
    *,
    confidence: float = 0.9,
    **fields: Any,
) -> dict[str, Any]:
    """A complete `answer_customer` input (cited_doc_ids first, as the schema orders it)."""
    payload: dict[str, Any] = {
        "cited_doc_ids": list(cited_doc_ids),
        "answer": answer,
        "confidence": confidence,
        "needs_clarification": False,
        "intent": "question",
        "category": "other",
        "sentiment": "neutral",
        "frustration": 0.1,
        "signals": [],
        "priority_suggestion": 3,
        "escalate_suggestion": False,
    }
    payload.update(fields)
    return payload


def tool_answer(answer: str, cited_doc_ids: list[str] | tuple[str, ...], **fields: Any) -> Scripted:
    """A well-formed forced tool call answering `answer` with these citations."""
    return tool_call(answer_input(answer, cited_doc_ids, **fields))


def tool_call(tool_input: dict[str, Any] | str, *, name: str = TOOL_NAME) -> Scripted:
    """A tool_use block with exactly this input; a str is sent verbatim (malformed JSON)."""
    if isinstance(tool_input, str):
        block = {"type": "tool_use", "id": "toolu_fake", "name": name, "input": tool_input}
        return Scripted(content=(block,), raw_tool_json=tool_input)
    block = {"type": "tool_use", "id": "toolu_fake", "name": name, "input": tool_input}
    return Scripted(content=(block,))


def text_reply(text: str) -> Scripted:
    """A plain text answer with no tool call (what a model that ignores tools returns)."""
    return Scripted(content=({"type": "text", "text": text},), stop_reason="end_turn")


def api_error(
    status: int,
    error_type: str,
    message: str = "fake error",
    *,
    retry_after: float | None = None,
) -> Scripted:
    """An error status with the API's error body; `retry_after` sets the retry-after header."""
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after is not None:
        headers = (("retry-after", f"{retry_after:g}"),)
    body = {"type": "error", "error": {"type": error_type, "message": message}}
    return Scripted(status=status, error_body=body, headers=headers)


def rate_limited(retry_after: float | None = 0.1) -> Scripted:
    return api_error(429, "rate_limit_error", "Rate limited", retry_after=retry_after)


def server_error(retry_after: float | None = None) -> Scripted:
    return api_error(500, "api_error", "Internal server error", retry_after=retry_after)


def overloaded(retry_after: float | None = None) -> Scripted:
    return api_error(529, "overloaded_error", "Overloaded", retry_after=retry_after)


def unauthorized() -> Scripted:
    return api_error(401, "authentication_error", "invalid x-api-key")


def bad_request(message: str = "invalid request") -> Scripted:
    return api_error(400, "invalid_request_error", message)


_PASSAGE_ID = re.compile(r'<passage doc_id="([^"]+)"[^>]*>\n?(.*?)\n?</passage>', re.S)


def grounded_answer(body: dict[str, Any]) -> Scripted:
    """A fallback that answers with the first sentence of the first passage, citing it.

    Handy for engine and adapter tests that need "Claude answered" without scripting
    every call; with no passages in the request it answers "don't know" (empty answer).
    """
    text = ""
    for message in body.get("messages", []):
        content = message.get("content")
        text += content if isinstance(content, str) else ""
    match = _PASSAGE_ID.search(text)
    if match is None:
        return tool_answer("", [], confidence=0.0)
    sentence = re.split(r"(?<=[.!?])\s", match.group(2).strip(), maxsplit=1)[0]
    return tool_answer(sentence, [match.group(1)])


# --- the server -----------------------------------------------------------------------


Fallback = Scripted | Callable[[dict[str, Any]], Scripted] | None


@dataclass
class FakeAnthropic:
    """The fake's state: the script, the recorded requests and the running server."""

    api_key: str | None = DEFAULT_API_KEY  # None: accept any key
    fallback: Fallback = None
    requests: list[RecordedRequest] = field(default_factory=list)
    _script: deque[Scripted] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _ids: Iterator[int] = field(default_factory=itertools.count)

    # --- lifecycle ---
    def start(self) -> FakeAnthropic:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-anthropic",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes delayed and stalled handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def settings_overrides(self) -> dict[str, Any]:
        """Keyword overrides for `bot.config.load_settings` pointing Claude at this fake."""
        return {
            "anthropic_api_key": self.api_key or DEFAULT_API_KEY,
            "anthropic_base_url": self.url,
        }

    # --- scripting ---
    def enqueue(self, *replies: Scripted, times: int = 1) -> None:
        """Append replies to the script, in order; `times` repeats the whole group."""
        with self._lock:
            for _ in range(times):
                self._script.extend(replies)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    @property
    def count(self) -> int:
        """HTTP requests received (SDK retries included)."""
        with self._lock:
            return len(self.requests)

    @property
    def last(self) -> RecordedRequest:
        with self._lock:
            return self.requests[-1]

    def _next_reply(self, body: Any) -> Scripted:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if callable(self.fallback):
            return self.fallback(body if isinstance(body, dict) else {})
        if self.fallback is not None:
            return self.fallback
        return bad_request("fake_anthropic: no scripted response left for this request")

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)


def _handler_for(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(_MessagesHandler):
        pass

    Handler.fake = fake
    return Handler


class _MessagesHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections end on their own
    fake: FakeAnthropic

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def handle(self) -> None:
        # The client gave up (timeouts under test): nothing to report.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
            super().handle()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        recorded = RecordedRequest("POST", self.path, headers, body, raw)
        self.fake._record(recorded)

        if self.path.split("?")[0] != "/v1/messages":
            self._send_json(
                404, {"type": "error", "error": {"type": "not_found_error", "message": "Not found"}}
            )
            return
        if self.fake.api_key is not None and recorded.api_key != self.fake.api_key:
            self._send_reply(unauthorized(), body)
            return
        if not isinstance(body, dict):
            self._send_reply(bad_request("body is not JSON"), body)
            return
        self._send_reply(self.fake._next_reply(body), body)

    # --- replies ---
    def _send_reply(self, reply: Scripted, body: Any) -> None:
        if reply.delay and self.fake._stop.wait(reply.delay):
            return
        number = self.fake._next_id()
        if reply.status != 200:
            self._send_json(reply.status, reply.error_body or {}, reply.headers, number)
        elif isinstance(body, dict) and body.get("stream") is True:
            self._send_stream(reply, body, number)
        else:
            self._send_json(200, _message(reply, body, number), reply.headers, number)

    def _send_json(
        self,
        status: int,
        payload: dict[str, Any],
        headers: tuple[tuple[str, str], ...] = (),
        number: int = 0,
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", f"req_fake_{number}")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_stream(self, reply: Scripted, body: dict[str, Any], number: int) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", f"req_fake_{number}")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        for sent, (event, data) in enumerate(_stream_events(reply, body, number)):
            if reply.stall_after_events is not None and sent >= reply.stall_after_events:
                self.fake._stop.wait(60)  # silent until the client times out or the fake stops
                return
            if reply.cut_after_events is not None and sent >= reply.cut_after_events:
                return  # connection: close, so the body simply ends here
            if reply.error_event_after is not None and sent >= reply.error_event_after:
                error = {
                    "type": "error",
                    "error": {"type": "overloaded_error", "message": "Overloaded"},
                }
                self._write_event("error", error)
                return
            if reply.event_delay and self.fake._stop.wait(reply.event_delay):
                return
            self._write_event(event, data)

    def _write_event(self, event: str, data: dict[str, Any]) -> None:
        self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()


def _usage(reply: Scripted) -> dict[str, int]:
    return {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, **dict(reply.usage)}


def _message(reply: Scripted, body: Any, number: int) -> dict[str, Any]:
    return {
        "id": f"msg_fake_{number}",
        "type": "message",
        "role": "assistant",
        "model": (body or {}).get("model", "claude-fake"),
        "content": [dict(block) for block in reply.content],
        "stop_reason": reply.stop_reason,
        "stop_sequence": None,
        "usage": _usage(reply),
    }


def _chunks(text: str, size: int) -> Iterator[str]:
    for start in range(0, len(text), max(1, size)):
        yield text[start : start + size]


def _stream_events(
    reply: Scripted, body: dict[str, Any], number: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The Messages API's SSE sequence for `reply`: start, blocks with deltas, delta, stop."""
    start = _message(replace(reply, content=()), body, number)
    start.update(stop_reason=None, usage={**_usage(reply), "output_tokens": 1})
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(reply.content):
        if block["type"] == "tool_use":
            opening = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            yield (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
            yield "ping", {"type": "ping"}
            text = (
                reply.raw_tool_json
                if reply.raw_tool_json is not None
                else json.dumps(block["input"])
            )
            for piece in _chunks(text, reply.chunk_chars):
                delta = {"type": "input_json_delta", "partial_json": piece}
                yield (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
        else:
            opening = {"type": "text", "text": ""}
            yield (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": opening},
            )
            for piece in _chunks(block["text"], reply.chunk_chars):
                delta = {"type": "text_delta", "text": piece}
                yield (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": dict(reply.usage).get("output_tokens", 0)},
        },
    )
    yield "message_stop", {"type": "message_stop"}
