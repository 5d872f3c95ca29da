"""The whole handoff through the console adapter's stdin/stdout, on the real core."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from adapters.console.repl import ConsoleAdapter, desk_place
from bot.answering.extractive import ExtractiveAnswerer
from bot.engine import ConversationEngine, EngineConfig
from bot.handoff.service import HandoffService
from bot.memory import MemoryStore
from bot.storage.conversations import ConversationStore
from bot.triage import Triager
from tests.core.fakes import KeywordKnowledge, hit

RESET = hit("account/reset-password", "How to reset your password", "Click Forgot password.", 0.8)


@pytest.fixture(scope="module")
def triager(embedder) -> Triager:  # type: ignore[no-untyped-def]
    return Triager(embedder)


async def run(db: Engine, triager: Triager, script: str) -> str:
    store = ConversationStore(db)
    handoff = HandoffService(db, desk_place())
    engine = ConversationEngine(
        store,
        KeywordKnowledge({("password",): RESET}),
        ExtractiveAnswerer(),
        EngineConfig(),
        memory=MemoryStore(db),
        triager=triager,
        handoff=handoff,
    )
    out = io.StringIO()
    adapter = ConsoleAdapter(
        engine.handle,
        io.StringIO(script),
        out,
        interactive=False,
        handoff=handoff,
        find_conversation=store.find_conversation,
    )
    await adapter.run()
    return out.getvalue()


def escalation_id(output: str) -> str:
    match = re.search(r"\[Claim: /claim ([0-9a-f]{16})\]", output)
    assert match, output
    return match.group(1)


async def test_escalate_claim_relay_resolve_rate(db: Engine, triager: Triager) -> None:
    first = await run(db, triager, "I want to talk to a human please\n")
    assert "bot (handing over)>" in first and "[#agents] new escalation" in first
    assert "handoff summary:" in first and "*Issue:* I want to talk to a human please" in first
    eid = escalation_id(first)

    script = (
        "\n".join(
            [
                f"/claim {eid}",  # alice (a customer) presses Claim: denied
                "/agent sam",
                f"/claim {eid}",
                "Hi Alice, I can help. What's your workspace name?",
                "/customer",
                "/thread t1",
                "It's Acme Labs",
                "/agent sam",
                f"/resolve {eid} Renamed the workspace from Workspace Settings > General.",
                "/customer",
                "/thread t1",
                "/rate 5",
            ]
        )
        + "\n"
    )
    output = await run(db, triager, script)
    assert "(only alice sees this) Only support agents can use these buttons." in output
    assert "Sam from the support team has joined" in output
    assert "[#help › thread t1] Sam (support): Hi Alice, I can help." in output
    assert f"[#agents › thread {eid}] alice (customer): It's Acme Labs" in output
    after_relay = output.split("alice (customer): It's Acme Labs")[1].split("✅ Resolved")[0]
    assert "bot>" not in after_relay  # while claimed, the bot stays quiet
    assert "✅ Resolved" in output and "How did we do?" in output
    assert "Thanks for rating the help (5/5, human support)" in output
    with db.connect() as conn:
        assert conn.execute(text("SELECT status, claimed_by FROM escalations")).one() == (
            "resolved",
            "console:local:sam",
        )
        assert conn.execute(text("SELECT score, path FROM ratings")).one() == (5, "human")
        assert conn.execute(text("SELECT state FROM tickets")).scalar() == "resolved"
        assert (
            "Renamed the workspace"
            in conn.execute(text("SELECT answer FROM kb_suggestions")).scalar()
        )


async def test_second_agent_sees_the_owner_and_back_to_bot(db: Engine, triager: Triager) -> None:
    eid = escalation_id(await run(db, triager, "let me talk to a person\n"))
    output = await run(
        db,
        triager,
        "\n".join(
            [
                "/agent sam",
                f"/claim {eid}",
                "/agent riley",
                f"/claim {eid}",
                f"/resolve {eid}",
                "/agent sam",
                f"/back {eid}",
                "/customer",
                "/thread t1",
                "how do I reset my password",
            ]
        )
        + "\n",
    )
    assert "Already claimed by Sam." in output
    assert "Only the agent who claimed this can do that" in output
    assert "You're back with the bot." in output
    assert (
        "Click Forgot password." in output.split("/back")[-1] or "Click Forgot password." in output
    )
