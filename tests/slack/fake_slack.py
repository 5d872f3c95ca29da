"""A tiny Slack Web API on 127.0.0.1 that records every call (bolt-python's test style).

Answers `{"ok": true, ...}` with plausible `ts` values; `fail_next` scripts a 429 with a
Retry-After (or any error) for the next call of a method.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Call:
    method: str  # "chat.postMessage", or the path for non-API urls ("/respond/1")
    body: dict[str, Any]
    at: float
    raw: str = ""


@dataclass
class FakeSlack:
    members: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    team: str = "T1"
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = field(
        default_factory=dict
    )
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/"

    @property
    def respond_url(self) -> str:
        return self.url.replace("/api/", "/respond/")

    def fail_next(
        self, method: str, status: int = 429, headers: dict[str, str] | None = None, **body: Any
    ) -> None:
        body = body or {"ok": False, "error": "ratelimited"}
        self.failures.setdefault(method, []).append((status, headers or {}, body))

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted_texts(self) -> list[str]:
        """Everything we sent that a person could see, as raw JSON strings."""
        return [
            c.raw for c in self.calls if c.method.startswith("chat.") or "/respond/" in c.method
        ]

    # --- answers -----------------------------------------------------------------------------
    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "team_id": self.team,
                "team": "Test",
                "user": "supportbot",
                "url": "https://test.slack.com/",
            }
        if method in {"chat.postMessage", "chat.update"}:
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts") or ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "conversations.members":
            return {"ok": True, "members": list(self.members), "response_metadata": {}}
        if method == "users.info":
            user = str(body.get("user"))
            name = self.names.get(user, user.lower())
            return {
                "ok": True,
                "user": {"id": user, "name": name, "profile": {"display_name": name}},
            }
        return {"ok": True}

    # --- server -----------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                body: dict[str, Any] = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        body.update(json.loads(raw))
                    else:
                        body.update({k: v[0] for k, v in parse_qs(raw).items()})
                for key in ("blocks", "prompts"):
                    if isinstance(body.get(key), str):
                        body[key] = json.loads(body[key])
                method = (
                    parsed.path.removeprefix("/api/")
                    if parsed.path.startswith("/api/")
                    else parsed.path
                )
                fake.calls.append(Call(method, body, time.monotonic(), raw))
                queued = fake.failures.get(method)
                if queued:
                    status, headers, answer = queued.pop(0)
                else:
                    status, headers, answer = 200, {}, fake.answer(method, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = _handle
            do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
