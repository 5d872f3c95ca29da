"""The Claude answerer: one forced tool call per customer message, validated before use.

Why it is built this way:

- One call returns the answer, its citations, a confidence and the triage suggestions
  (`answer_customer` tool, forced with `tool_choice`), so a message costs exactly one API
  call; `calls` counts them for benchmarks.
- The model is not trusted to cite honestly: an answer is kept only when it cites at
  least one doc id and every cited id is one of the request's passages. Anything else
  comes back as `text=None` with an `error`, and the engine falls back (don't know /
  escalate). Malformed tool output is an error result, never an exception.
- The SDK retries 429 (honouring retry-after), 408/409 and 5xx/529 with backoff
  (`max_retries=2`). On top of its per-attempt timeout, one deadline covers the whole
  call, retries and streaming included, because a stalled stream raises the HTTP
  library's raw `ReadTimeout` only after the read timeout and is not retried, and a slow
  server could otherwise cost three full timeouts. Every failure becomes
  `error="llm_unavailable: <ExceptionType>"`; the customer's text is never logged.
- No passages, no call (by default): the model could not produce a citable answer, the
  engine short-circuits that case anyway, and triage has a local fallback. Pass
  `consult_without_passages=True` to still ask Claude for triage and a clarifying
  question; any answer text it writes is then rejected by the citation check.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import jiter

from bot.answering.base import AnswerRequest, AnswerResult
from bot.answering.prompt import (
    INTENTS,
    OTHER_CATEGORY,
    SENTIMENTS,
    SIGNALS,
    TOOL_NAME,
    build_request_params,
)
from bot.config import Settings, SettingsError

log = logging.getLogger(__name__)

ERROR_MALFORMED = "malformed_output"
ERROR_CITATION = "citation_not_in_passages"
ERROR_NO_CITATION = "no_citation"
ERROR_UNAVAILABLE = "llm_unavailable"
DEADLINE_EXCEEDED = "deadline_exceeded"
INCOMPLETE_STREAM = "incomplete_stream"

MAX_CLARIFYING_CHARS = 500
CONNECT_TIMEOUT_SECONDS = 5.0

OnText = Callable[[str], Awaitable[None]]


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP library's own errors, which can escape the SDK mid-stream.

    SDK 2.x sits on `httpx2`, older ones on `httpx`; catch whichever is installed.
    """
    found: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(name).HTTPError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_TRANSPORT_ERRORS = _transport_errors()


@dataclass(slots=True)
class UsageTotals:
    """Tokens across all calls of one answerer, for cost and cache-hit reporting."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def add(self, usage: Any) -> None:
        if usage is None:
            return
        self.input_tokens += getattr(usage, "input_tokens", 0) or 0
        self.output_tokens += getattr(usage, "output_tokens", 0) or 0
        self.cache_creation_input_tokens += getattr(usage, "cache_creation_input_tokens", 0) or 0
        self.cache_read_input_tokens += getattr(usage, "cache_read_input_tokens", 0) or 0


class ClaudeAnswerer:
    """Answers through `anthropic.AsyncAnthropic`; implements the `Answerer` port.

    `answer()` and `answer_stream()` never raise for API, network or output problems and
    never take longer than the deadline (default: `anthropic_timeout_seconds`).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client: anthropic.AsyncAnthropic | None = None,
        deadline_seconds: float | None = None,
        max_retries: int = 2,
        consult_without_passages: bool = False,
    ) -> None:
        timeout = settings.anthropic_timeout_seconds
        self._owns_client = False
        if client is None:
            key = settings.anthropic_api_key
            if key is None or not key.get_secret_value().strip():
                raise SettingsError(
                    "ANTHROPIC_API_KEY: required for the Claude answerer but not set"
                )
            self._owns_client = True
            client = anthropic.AsyncAnthropic(
                api_key=key.get_secret_value(),
                base_url=settings.anthropic_base_url or None,  # None: the SDK reads the env
                timeout=anthropic.Timeout(timeout, connect=min(CONNECT_TIMEOUT_SECONDS, timeout)),
                max_retries=max_retries,
            )
        self._client = client
        self._model = settings.anthropic_model
        self._max_tokens = settings.anthropic_max_tokens
        self._deadline = deadline_seconds if deadline_seconds is not None else timeout
        self._consult_without_passages = consult_without_passages
        self.calls = 0  # API calls made (one per answered message; SDK retries not counted)
        self.usage = UsageTotals()

    async def __aenter__(self) -> ClaudeAnswerer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool, unless the client was injected by the caller."""
        if self._owns_client:
            await self._client.close()

    async def answer(self, request: AnswerRequest) -> AnswerResult:
        """One non-streaming call; the validated result or an error result."""
        return await self._guarded(request, lambda: self._create(request))

    async def answer_stream(self, request: AnswerRequest, on_text: OnText) -> AnswerResult:
        """Like `answer`, streaming: `on_text` receives the growing answer as a typing preview.

        The returned `AnswerResult` decides what is sent; `on_text` is only a preview and
        adapters must replace it with the final result (or the don't-know / escalation
        message when `text` is None). To keep the preview honest, text is previewed only
        after the model has finished `cited_doc_ids` and every cited id is one of the
        passages, so a citation the final check would reject is never previewed. A preview
        can still be withdrawn (stream cut, malformed end). Each call gets the whole answer
        so far, not a delta; `on_text` is awaited inline and is never called after this
        method returns; if it raises, previews stop and the answer carries on.
        """
        return await self._guarded(request, lambda: self._stream(request, on_text))

    async def _guarded(
        self, request: AnswerRequest, call: Callable[[], Awaitable[AnswerResult]]
    ) -> AnswerResult:
        if not request.passages and not self._consult_without_passages:
            return AnswerResult(text=None, cited_doc_ids=(), confidence=0.0)
        self.calls += 1
        deadline = asyncio.timeout(self._deadline)
        try:
            async with deadline:
                return await call()
        except TimeoutError as exc:
            reason = DEADLINE_EXCEEDED if deadline.expired() else type(exc).__name__
            log.warning("claude call failed: %s (deadline %.1fs)", reason, self._deadline)
            return _unavailable(reason)
        except anthropic.APIStatusError as exc:
            level = logging.ERROR if exc.status_code in (400, 401, 403, 404) else logging.WARNING
            log.log(
                level,
                "claude call failed: %s status=%s request_id=%s error_type=%s",
                type(exc).__name__,
                exc.status_code,
                getattr(exc, "request_id", None),
                getattr(exc, "type", None) or _error_type(exc.body),
            )
            return _unavailable(type(exc).__name__)
        except (anthropic.APIError, *_TRANSPORT_ERRORS) as exc:
            log.warning("claude call failed: %s", type(exc).__name__)
            return _unavailable(type(exc).__name__)
        except ValueError as exc:
            # The SDK raises ValueError when streamed tool JSON cannot be parsed; its
            # message quotes model output, so only the type is logged.
            log.warning("claude output could not be parsed: %s", type(exc).__name__)
            return _malformed()
        except Exception as exc:
            log.error("claude call failed unexpectedly: %s", type(exc).__name__, exc_info=True)
            return _unavailable(type(exc).__name__)

    def _params(self, request: AnswerRequest) -> dict[str, Any]:
        return build_request_params(request, model=self._model, max_tokens=self._max_tokens)

    async def _create(self, request: AnswerRequest) -> AnswerResult:
        message = await self._client.messages.create(**self._params(request))
        self.usage.add(getattr(message, "usage", None))
        return result_from_message(message, request)

    async def _stream(self, request: AnswerRequest, on_text: OnText) -> AnswerResult:
        preview = _AnswerPreview({hit.doc_id for hit in request.passages}, on_text)
        finished = False
        async with self._client.messages.stream(**self._params(request)) as stream:
            async for event in stream:
                kind = getattr(event, "type", None)
                if kind == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use" and block.name == TOOL_NAME:
                        preview.track(event.index)
                elif kind == "content_block_delta" and event.delta.type == "input_json_delta":
                    await preview.feed(event.index, event.delta.partial_json)
                elif kind == "message_stop":
                    finished = True
            if not finished:
                log.warning("claude stream ended without message_stop")
                return _unavailable(INCOMPLETE_STREAM)
            message = await stream.get_final_message()
        self.usage.add(getattr(message, "usage", None))
        return result_from_message(message, request)


class _AnswerPreview:
    """Turns streamed tool-input JSON into growing answer text, gated on valid citations.

    The SDK's own partial parse drops unfinished strings, so the JSON is re-parsed here
    with trailing strings kept.
    """

    def __init__(self, valid_ids: set[str], on_text: OnText) -> None:
        self._valid_ids = valid_ids
        self._on_text: OnText | None = on_text
        self._index: int | None = None
        self._buffer = ""
        self._sent = ""

    def track(self, index: int) -> None:
        if self._index is None:
            self._index = index

    async def feed(self, index: int, partial_json: str) -> None:
        if index != self._index or self._on_text is None:
            return
        self._buffer += partial_json
        try:
            snapshot = jiter.from_json(self._buffer.encode(), partial_mode="trailing-strings")
        except ValueError:
            return  # the SDK raises for broken JSON; the final check reports it
        text = self._previewable(snapshot)
        if not text or text == self._sent:
            return
        self._sent = text
        try:
            await self._on_text(text)
        except Exception as exc:
            log.warning("answer preview callback failed (%s); previews stopped", type(exc).__name__)
            self._on_text = None

    def _previewable(self, snapshot: object) -> str | None:
        if not isinstance(snapshot, dict):
            return None
        keys = list(snapshot)
        if "cited_doc_ids" not in keys or "answer" not in keys:
            return None
        if keys.index("cited_doc_ids") > keys.index("answer"):
            return None  # citations not finished yet when the answer is being written
        cited, answer = snapshot["cited_doc_ids"], snapshot["answer"]
        if not isinstance(cited, list) or not cited or not isinstance(answer, str):
            return None
        if not all(isinstance(c, str) and c.strip() in self._valid_ids for c in cited):
            return None
        return answer.strip() or None


def result_from_message(message: Any, request: AnswerRequest) -> AnswerResult:
    """The validated result of one Messages API response."""
    if getattr(message, "stop_reason", None) == "max_tokens":
        log.warning("claude output truncated at max_tokens")
        return _malformed()
    for block in getattr(message, "content", None) or ():
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == TOOL_NAME:
            return interpret_tool_input(block.input, request)
    log.warning("claude response has no %s tool call", TOOL_NAME)
    return _malformed()


class _Malformed(Exception):
    """A required field is missing or has the wrong type (internal control flow)."""


def interpret_tool_input(raw: object, request: AnswerRequest) -> AnswerResult:
    """Check the tool input and apply the citation rule.

    The fields that carry the answer (`answer`, `cited_doc_ids`, `confidence`,
    `needs_clarification`) must have the right types, or the result is malformed. The
    triage fields are advice for the router: a missing or odd one is dropped (an unknown
    category becomes "other"), numbers are clamped, unknown signals are filtered out.
    """
    try:
        if not isinstance(raw, dict):
            raise _Malformed("input is not an object")
        answer = _require(raw, "answer", str)
        cited_raw = _require(raw, "cited_doc_ids", list)
        if not all(isinstance(item, str) for item in cited_raw):
            raise _Malformed("cited_doc_ids holds a non-string")
        confidence = _number(_require(raw, "confidence", (int, float)))
        needs_clarification = _require(raw, "needs_clarification", bool)
    except _Malformed as exc:
        log.warning("claude tool input malformed: %s", exc)
        return _malformed()

    triage = _triage(raw, request.categories, needs_clarification)
    text = answer.strip()
    cited = tuple(dict.fromkeys(item.strip() for item in cited_raw if item.strip()))
    if not text:
        return AnswerResult(text=None, cited_doc_ids=(), confidence=0.0, triage=triage)
    if not cited:
        log.info("claude answer rejected: no citation")
        return _rejected(ERROR_NO_CITATION, triage)
    valid = {hit.doc_id for hit in request.passages}
    if not set(cited) <= valid:
        log.warning(
            "claude answer rejected: cited %d id(s) not in passages", len(set(cited) - valid)
        )
        return _rejected(ERROR_CITATION, triage)
    return AnswerResult(text=text, cited_doc_ids=cited, confidence=confidence, triage=triage)


def _require(raw: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    if key not in raw:
        raise _Malformed(f"{key} missing")
    value = raw[key]
    # bool is an int in Python; a boolean confidence is still a wrong type.
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _Malformed(f"{key} has type {type(value).__name__}")
    return value


def _number(value: float, low: float = 0.0, high: float = 1.0) -> float:
    if not math.isfinite(value):
        raise _Malformed("number is not finite")
    return min(high, max(low, float(value)))


def _triage(
    raw: dict[str, Any], categories: tuple[str, ...], needs_clarification: bool
) -> dict[str, object]:
    triage: dict[str, object] = {"source": "claude", "needs_clarification": needs_clarification}
    question = raw.get("clarifying_question")
    if needs_clarification and isinstance(question, str) and question.strip():
        triage["clarifying_question"] = question.strip()[:MAX_CLARIFYING_CHARS]

    if raw.get("intent") in INTENTS:
        triage["intent"] = raw["intent"]
    category = raw.get("category")
    if isinstance(category, str):
        triage["category"] = category if category in categories else OTHER_CATEGORY
    if raw.get("sentiment") in SENTIMENTS:
        triage["sentiment"] = raw["sentiment"]
    frustration = raw.get("frustration")
    if _is_number(frustration):
        triage["frustration"] = min(1.0, max(0.0, float(frustration)))
    signals = raw.get("signals")
    if isinstance(signals, list):
        triage["signals"] = [
            s for s in dict.fromkeys(signals) if isinstance(s, str) and s in SIGNALS
        ]
    priority = raw.get("priority_suggestion")
    if _is_number(priority):
        triage["priority_suggestion"] = min(10, max(1, round(priority)))
    if isinstance(raw.get("escalate_suggestion"), bool):
        triage["escalate_suggestion"] = raw["escalate_suggestion"]
    return triage


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _error_type(body: object) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        kind = body["error"].get("type")
        return kind if isinstance(kind, str) else None
    return None


def _unavailable(reason: str) -> AnswerResult:
    return AnswerResult(
        text=None, cited_doc_ids=(), confidence=0.0, error=f"{ERROR_UNAVAILABLE}: {reason}"
    )


def _malformed() -> AnswerResult:
    return AnswerResult(text=None, cited_doc_ids=(), confidence=0.0, error=ERROR_MALFORMED)


def _rejected(reason: str, triage: dict[str, object]) -> AnswerResult:
    return AnswerResult(text=None, cited_doc_ids=(), confidence=0.0, triage=triage, error=reason)
