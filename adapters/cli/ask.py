"""`supportbot ask`: the machine interface, one JSON object per question.

`--batch` reads JSONL rows and answers them in order with the models loaded once; a bad
row (invalid UTF-8, invalid JSON, no text) yields an error object for that line and the run
continues, so one bad row never costs the others their answers.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.engine import ConversationEngine
from bot.runtime import Runtime
from bot.types import Inbound, Platform

WORKSPACE = "cli"


def inbound_for(text: str, user: str, channel: str | None, thread: str | None) -> Inbound:
    event_id = uuid.uuid4().hex
    return Inbound(
        platform=Platform.API,
        workspace=WORKSPACE,
        channel=channel or "cli",
        user=user,
        text=text,
        event_id=event_id,
        thread=thread or event_id,
        is_dm=channel is None,
        mentions_bot=True,
    )


async def ask_one(engine: ConversationEngine, inbound: Inbound) -> dict[str, Any]:
    outcome = await engine.process(inbound)
    return outcome.to_json()


def read_batch_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield (line number, row or error message) for every non-blank line."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, f"line {number}: invalid UTF-8 at byte {exc.start}"
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"line {number}: invalid JSON ({exc.msg})"
                continue
            if not isinstance(row, dict):
                yield number, f"line {number}: expected a JSON object"
                continue
            problem = _row_problem(row)
            yield number, (f"line {number}: {problem}" if problem else row)


def _row_problem(row: dict[str, Any]) -> str | None:
    if not isinstance(row.get("text"), str):
        return 'missing "text" (a string)'
    if not isinstance(row.get("user"), str | int) or str(row.get("user")).strip() == "":
        return 'missing "user" (a string)'
    for key in ("channel", "thread"):
        if row.get(key) is not None and not isinstance(row[key], str | int):
            return f'"{key}" must be a string'
    return None


async def ask_batch(runtime: Runtime, path: Path, emit: Any) -> tuple[int, int]:
    """Answer every row in order; returns (answered, errors)."""
    answered = errors = 0
    for number, row in read_batch_rows(path):
        if isinstance(row, str):
            emit({"line": number, "error": row})
            errors += 1
            continue
        inbound = inbound_for(
            row["text"],
            str(row["user"]),
            _opt(row.get("channel")),
            _opt(row.get("thread")),
        )
        result = await ask_one(runtime.engine, inbound)
        emit({"line": number, **result})
        answered += 1
    return answered, errors


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def run_batch(runtime: Runtime, path: Path) -> tuple[int, int]:
    def emit(obj: dict[str, Any]) -> None:
        print(json.dumps(obj, ensure_ascii=False), flush=True)

    return asyncio.run(ask_batch(runtime, path, emit))
