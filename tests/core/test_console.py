"""The console adapter driven through stdin/stdout, with the real engine behind it."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console.repl import ConsoleAdapter
from bot.answering.extractive import ExtractiveAnswerer
from bot.engine import ConversationEngine
from bot.storage.conversations import ConversationStore
from bot.storage.database import make_engine
from bot.storage.schema import upgrade_schema
from bot.types import Inbound
from tests.core.fakes import KeywordKnowledge, hit

RESET = hit("account/reset-password", "How to reset your password", "Click Forgot password.", 0.8)


async def run_console(tmp_path: Path, script: str) -> tuple[str, list[Inbound]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    core = ConversationEngine(
        ConversationStore(engine), KeywordKnowledge({("password",): RESET}), ExtractiveAnswerer()
    )
    seen: list[Inbound] = []

    async def handle(inbound: Inbound):
        seen.append(inbound)
        return await core.handle(inbound)

    out = io.StringIO()
    await ConsoleAdapter(handle, io.StringIO(script), out, interactive=False).run()
    return out.getvalue(), seen


async def test_question_is_answered_with_sources(tmp_path: Path) -> None:
    output, seen = await run_console(tmp_path, "How do I reset my password?\n")
    assert "Click Forgot password." in output
    assert "[1] How to reset your password <https://help.example/account/reset-password>" in output
    assert seen[0].platform.value == "console" and seen[0].mentions_bot


async def test_switching_user_and_thread_changes_the_conversation(tmp_path: Path) -> None:
    script = (
        "first\n/user bob\nsecond\n/thread t1\nthird\n/dm\nfourth\n/whoami\n/quit\nnever sent\n"
    )
    output, seen = await run_console(tmp_path, script)
    assert [i.user for i in seen] == ["alice", "bob", "bob", "bob"]
    assert seen[0].thread == "t1" and seen[1].thread != "t1" and seen[2].thread == "t1"
    assert seen[3].is_dm and seen[3].channel == "dm:bob"
    assert "bob @ DM [t1]" in output and "never sent" not in "".join(i.text for i in seen)


async def test_unknown_command_and_blank_lines(tmp_path: Path) -> None:
    output, seen = await run_console(tmp_path, "/frobnicate\n\n/user\n")
    assert "unknown command /frobnicate" in output and "usage: /user NAME" in output
    assert seen == []


async def test_unanswerable_question_is_honest(tmp_path: Path) -> None:
    output, _ = await run_console(tmp_path, "Who won the 1998 world cup?\n")
    assert "rather not guess" in output and "Sources:" not in output
