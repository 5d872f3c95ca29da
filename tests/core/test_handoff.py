"""Handoff in the core: records, atomic claim, authorization, relay routing, jobs, restart."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot import jobs
from bot.handoff.redact import redact
from bot.handoff.service import HandoffService
from bot.storage.conversations import ConversationStore
from bot.storage.database import writer
from bot.types import (
    AgentRef,
    AskRating,
    Inbound,
    Place,
    Platform,
    PostEscalation,
    PostInThread,
    PrivateNotice,
    UpdateCard,
)

DESK = Place(Platform.SLACK, "T1", "C-AGENTS")


def agent(name: str, *, is_agent: bool = True) -> AgentRef:
    return AgentRef(Platform.SLACK, "T1", f"U-{name}", name.title(), is_agent)


def escalate(
    db: Engine,
    *,
    priority: int = 5,
    text_: str = "My card 4111 1111 1111 1111 was charged twice, mail me at a@b.co",
) -> tuple[HandoffService, str, int]:
    store = ConversationStore(db)
    intake = store.intake(
        Inbound(
            Platform.SLACK, "T1", "C-HELP", "U-cust", text_, "E1", thread="100.1", user_name="Dana"
        ),
        text_,
    )
    assert intake
    store.record_outcome(
        intake.conversation_id,
        "handing over",
        decision="escalate",
        confidence=0.1,
        reasons=["legal_threat"],
        failed=True,
    )
    service = HandoffService(db, DESK)
    [post] = service.open(intake.conversation_id, priority, ("legal_threat",))
    assert isinstance(post, PostEscalation)
    service.card_posted(post.card.escalation_id, DESK, "card.1", "card.1")
    return service, post.card.escalation_id, intake.conversation_id


def test_escalation_record_card_and_redacted_summary(db: Engine) -> None:
    service, _, cid = escalate(db, priority=8)
    assert service.open(cid, 8, ("again",)) == []  # one active escalation per conversation
    with db.connect() as conn:
        row = conn.execute(text("SELECT status, priority, reasons, summary FROM escalations")).one()
    assert row[:3] == ("open", 8, '["legal_threat"]')
    assert "4111" not in row[3] and "a@b.co" not in row[3]
    assert "[card number]" in row[3] and "[email]" in row[3]
    assert "Loop in a lead" in row[3]


def test_redaction_keeps_order_numbers() -> None:
    assert (
        redact("order 123456789012 and card 4242-4242-4242-4242")
        == "order 123456789012 and card [card number]"
    )
    assert redact("call +1 (415) 555-0100") == "call [phone]"


@pytest.mark.parametrize("button", ["claim", "resolve", "draft", "back_to_bot", "release"])
def test_every_button_denies_non_agents_and_changes_nothing(db: Engine, button: str) -> None:
    service, eid, _ = escalate(db)
    if button != "claim":
        service.press("claim", eid, agent("sam"))
    before = db.connect().execute(text("SELECT status, claimed_by FROM escalations")).one()
    actions = service.press(button, eid, agent("mallory", is_agent=False))
    assert len(actions) == 1 and isinstance(actions[0], PrivateNotice)
    assert actions[0].user == "U-mallory"
    after = db.connect().execute(text("SELECT status, claimed_by FROM escalations")).one()
    assert before == after


@pytest.mark.parametrize("button", ["resolve", "draft", "back_to_bot", "release"])
def test_owner_only_buttons_deny_other_agents(db: Engine, button: str) -> None:
    service, eid, _ = escalate(db)
    service.press("claim", eid, agent("sam"))
    [notice] = service.press(button, eid, agent("riley"))
    assert isinstance(notice, PrivateNotice) and "Sam" in notice.text


def test_concurrent_claims_give_exactly_one_owner(db: Engine) -> None:
    service, eid, _ = escalate(db)
    names = [f"agent{i}" for i in range(8)]
    barrier = threading.Barrier(len(names))

    def claim(name: str):  # type: ignore[no-untyped-def]
        barrier.wait()
        return service.press("claim", eid, agent(name))

    with ThreadPoolExecutor(len(names)) as pool:
        results = list(pool.map(claim, names))
    winners = [r for r in results if any(isinstance(a, UpdateCard) for a in r)]
    losers = [r for r in results if len(r) == 1 and isinstance(r[0], PrivateNotice)]
    assert len(winners) == 1 and len(losers) == len(names) - 1
    owner = db.connect().execute(text("SELECT claimed_by_name FROM escalations")).scalar()
    assert all(owner in r[0].text for r in losers)


def test_relay_routes_both_ways(db: Engine) -> None:
    service, eid, cid = escalate(db)
    service.press("claim", eid, agent("sam"))
    [to_customer] = service.agent_message_in_thread(
        Place(Platform.SLACK, "T1", "C-AGENTS", "card.1"), agent("sam"), "On it!"
    )
    assert isinstance(to_customer, PostInThread)
    assert to_customer.place == Place(Platform.SLACK, "T1", "C-HELP", "100.1")
    assert to_customer.author == "Sam (support)"
    [to_agents] = service.customer_message(cid, "thanks", "Dana")
    assert to_agents.place == Place(Platform.SLACK, "T1", "C-AGENTS", "card.1")
    assert (
        service.agent_message_in_thread(
            Place(Platform.SLACK, "T1", "C-AGENTS", "other"), agent("sam"), "x"
        )
        == []
    )


def test_resolve_asks_for_rating_and_suggests_kb_entry(db: Engine) -> None:
    service, eid, cid = escalate(db)
    service.press("claim", eid, agent("sam"))
    service.agent_reply(eid, agent("sam"), "Refunded the duplicate charge; it shows in 5 days.")
    actions = service.press("resolve", eid, agent("sam"))
    assert any(isinstance(a, AskRating) for a in actions)
    assert service.rate(cid, 1, 4) == "human"
    with db.connect() as conn:
        assert conn.execute(text("SELECT state FROM tickets")).scalar() == "resolved"
        assert conn.execute(text("SELECT status FROM kb_suggestions")).scalar() == "pending"
    with pytest.raises(ValueError):
        service.rate(cid, 1, 9)
    with pytest.raises(PermissionError):
        service.rate(cid, 999, 3)


def test_reminders_repeat_by_priority_and_stop_once_claimed(db: Engine) -> None:
    service, eid, _ = escalate(db, priority=9)
    start = datetime.now(UTC)
    policy = jobs.JobPolicy(remind_after_minutes=20)
    assert jobs.remind_unclaimed(db, DESK, start + timedelta(minutes=2), policy) == []
    first = jobs.remind_unclaimed(db, DESK, start + timedelta(minutes=6), policy)  # P9: every 5 min
    assert len(first) == 1 and "Still unclaimed" in first[0].text
    assert first[0].place == Place(Platform.SLACK, "T1", "C-AGENTS", "card.1")
    assert jobs.remind_unclaimed(db, DESK, start + timedelta(minutes=7), policy) == []
    assert len(jobs.remind_unclaimed(db, DESK, start + timedelta(minutes=12), policy)) == 1
    service.press("claim", eid, agent("sam"))
    assert jobs.remind_unclaimed(db, DESK, start + timedelta(hours=5), policy) == []


def test_idle_awaiting_customer_tickets_close_with_a_rating_request(db: Engine) -> None:
    store = ConversationStore(db)
    intake = store.intake(Inbound(Platform.SLACK, "T1", "C", "U", "q", "E9", thread="9"), "q")
    assert intake
    store.record_outcome(intake.conversation_id, "a", decision="answer", confidence=0.9)
    now = datetime.now(UTC)
    policy = jobs.JobPolicy(autoclose_hours=48)
    assert jobs.close_idle_tickets(db, now + timedelta(hours=47), policy) == []
    [ask] = jobs.close_idle_tickets(db, now + timedelta(hours=49), policy)
    assert isinstance(ask, AskRating) and ask.place.thread == "9"
    assert jobs.close_idle_tickets(db, now + timedelta(hours=50), policy) == []
    assert db.connect().execute(text("SELECT state FROM tickets")).scalar() == "resolved"


def test_retention_prunes_old_memory_only(db: Engine) -> None:
    from bot.memory import MemoryScope, MemoryStore

    store = ConversationStore(db)
    intake = store.intake(
        Inbound(Platform.SLACK, "T1", "D", "U", "I use Linux", "E1", thread="1", is_dm=True),
        "I use Linux",
    )
    assert intake
    MemoryStore(db).learn(
        MemoryScope(intake.user_id, intake.conversation_id, True), intake.message_id, "I use Linux"
    )
    now = datetime.now(UTC)
    assert jobs.prune_retention(db, now, jobs.JobPolicy(memory_retention_days=30))["facts"] == 0
    assert (
        jobs.prune_retention(
            db, now + timedelta(days=31), jobs.JobPolicy(memory_retention_days=30)
        )["facts"]
        == 1
    )


def test_restart_in_the_middle_of_an_open_escalation_loses_nothing(db: Engine) -> None:
    _, eid, cid = escalate(db)
    db.dispose()  # the process goes away
    restarted = HandoffService(db, DESK)
    assert restarted.active_for(cid).public_id == eid  # type: ignore[union-attr]
    actions = restarted.press("claim", eid, agent("sam"))
    assert any(isinstance(a, UpdateCard) and a.message == "card.1" for a in actions)


async def test_jobs_persist_in_the_database_and_are_not_duplicated(db: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.service import JOB_IDS, make_scheduler

    for _ in range(2):  # two starts of the process
        scheduler = make_scheduler(db)
        scheduler.start(paused=True)
        await asyncio.sleep(0)
        scheduler.shutdown(wait=False)
    with db.connect() as conn:
        ids = sorted(r[0] for r in conn.execute(text("SELECT id FROM apscheduler_jobs")))
    assert ids == sorted(JOB_IDS)


def test_the_issue_is_the_message_that_led_to_the_handoff(db: Engine) -> None:
    store = ConversationStore(db)
    first = store.intake(
        Inbound(Platform.SLACK, "T1", "C", "U", "How do I export?", "M1", thread="th"),
        "How do I export?",
    )
    assert first
    store.record_outcome(first.conversation_id, "Use Export.", decision="answer", confidence=0.9)
    store.intake(
        Inbound(Platform.SLACK, "T1", "C", "U", "My invoice is wrong.", "M2", thread="th"),
        "My invoice is wrong.",
    )
    [post] = HandoffService(db, DESK).open(first.conversation_id, 5, ("no_supporting_passage",))
    assert isinstance(post, PostEscalation)
    assert post.summary.startswith("*Issue:* My invoice is wrong.")
    assert 'starting with "How do I export?"' in post.summary


def test_the_per_message_escalation_check_reads_beside_a_writer(db: Engine) -> None:
    """Every customer message asks whether its conversation is escalated: that read must
    not queue behind another transaction's write lock (SQLite: BEGIN IMMEDIATE)."""
    service, public_id, conversation_id = escalate(db)
    with writer(db).connect() as holder, holder.begin():  # BEGIN IMMEDIATE: the write lock
        holder.execute(text("UPDATE tickets SET priority = priority"))  # mid-transaction
        done = ThreadPoolExecutor(1).submit(service.active_for, conversation_id)
        active = done.result(timeout=2)  # a write lock would wait for busy_timeout (10 s)
        queue = ThreadPoolExecutor(1).submit(service.queue).result(timeout=2)
    assert active is not None and active.public_id == public_id
    assert [entry.public_id for entry in queue] == [public_id]
