"""The storage layer on a real PostgreSQL server (Debian's package, started by the test setup).

Migrations, dedupe under concurrent redelivery, the audit chain and the ticket lifecycle run
against a throwaway server from tests/postgres_server.py; the concurrency tests also run on a
real SQLite file so the two backends are held to the same contract.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pg_fixtures import pg_database, postgres_url  # noqa: F401  (until conftest registers them)
from sqlalchemy import UniqueConstraint, func, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

from bot.audit import verify
from bot.storage.conversations import ConversationStore
from bot.storage.database import make_engine
from bot.storage.models import (
    AuditEntry,
    Conversation,
    Identity,
    Message,
    ProcessedEvent,
    Ticket,
    User,
)
from bot.storage.schema import current_revision, head_revision, upgrade_schema
from bot.tickets import TicketBook
from bot.types import Inbound, Platform

# The first test that needs the server may install Debian's postgresql package first.
pytestmark = pytest.mark.timeout(900)

THREADS = 8


def _msg(event: str, *, thread: str = "T1", user: str = "U1", text: str = "hello") -> Inbound:
    return Inbound(Platform.SLACK, "W1", "C1", user, text, event, thread=thread)


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at the newest schema: a fresh PostgreSQL database or a real SQLite file."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_database")
    else:
        url = f"sqlite:///{tmp_path / 'bot.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    assert engine.dialect.name == request.param
    yield engine
    engine.dispose()


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment from one thread each; re-raise the first error."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]  # type: ignore[misc]
        return [f.result() for f in futures]


def _count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _schema(engine: Engine, table: str) -> dict[str, Any]:
    found = inspect(engine)
    uniques = {frozenset(u["column_names"]) for u in found.get_unique_constraints(table)}
    indexes = set()
    for index in found.get_indexes(table):
        if index["unique"]:
            uniques.add(frozenset(index["column_names"]))
        else:
            indexes.add(tuple(index["column_names"]))
    return {
        "columns": {c["name"]: c["nullable"] for c in found.get_columns(table)},
        "primary_key": set(found.get_pk_constraint(table)["constrained_columns"]),
        "foreign_keys": {
            (tuple(fk["constrained_columns"]), fk["referred_table"])
            for fk in found.get_foreign_keys(table)
        },
        "unique": uniques,
        "indexes": indexes,
    }


def _model_schema(table: Any) -> dict[str, Any]:
    constraints = [u for u in table.constraints if isinstance(u, UniqueConstraint)]
    uniques = {frozenset(c.name for c in u.columns) for u in constraints}
    uniques |= {frozenset([c.name]) for c in table.columns if c.unique}
    uniques |= {frozenset(c.name for c in i.columns) for i in table.indexes if i.unique}
    return {
        "columns": {c.name: c.nullable for c in table.columns},
        "primary_key": {c.name for c in table.primary_key.columns},
        "foreign_keys": {
            (tuple(c.name for c in fk.columns), fk.referred_table.name)
            for fk in table.foreign_key_constraints
        },
        "unique": uniques,
        "indexes": {tuple(c.name for c in i.columns) for i in table.indexes if not i.unique},
    }


# --- schema ---------------------------------------------------------------------------------
def test_migrations_build_exactly_the_model_schema_on_postgresql(pg_database: str) -> None:  # noqa: F811
    engine = make_engine(pg_database)
    try:
        upgrade_schema(engine)
        upgrade_schema(engine)  # a second upgrade is a no-op
        with engine.connect() as connection:
            assert connection.execute(text("SHOW server_version")).scalar()
        assert engine.dialect.name == "postgresql"
        assert current_revision(engine) == head_revision() is not None
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set(SQLModel.metadata.tables)
        for name, table in SQLModel.metadata.tables.items():
            assert _schema(engine, name) == _model_schema(table), name
    finally:
        engine.dispose()


# --- dedupe under concurrency ---------------------------------------------------------------
def test_concurrent_redeliveries_store_the_message_once(engine: Engine) -> None:
    """The same event delivered by 8 workers at once: one intake, one stored message."""
    store = ConversationStore(engine)
    first = _msg("Ev1")  # opens a new conversation, user and ticket
    results = _race([lambda: store.intake(first, first.text)] * THREADS)
    stored = [r for r in results if r is not None]
    assert len(stored) == 1, results
    assert stored[0].new_conversation
    follow_up = _msg("Ev2", text="still there?")  # lands in the existing conversation
    results = _race([lambda: store.intake(follow_up, follow_up.text)] * THREADS)
    again = [r for r in results if r is not None]
    assert len(again) == 1, results
    assert again[0].conversation_id == stored[0].conversation_id
    assert not again[0].new_conversation

    assert [m.text for m in store.thread_messages(stored[0].conversation_id)] == [
        "hello",
        "still there?",
    ]
    counts = {m.__name__: _count(engine, m) for m in (ProcessedEvent, Message, AuditEntry)}
    assert counts == {"ProcessedEvent": 2, "Message": 2, "AuditEntry": 2}
    for model in (User, Identity, Conversation, Ticket):
        assert _count(engine, model) == 1, model.__name__
    report = verify(engine)
    assert report.ok, report.problems
    assert store.intake(first, first.text) is None  # and a later redelivery still is ignored


def test_concurrent_messages_of_one_thread_are_all_stored(engine: Engine) -> None:
    """8 different messages of one new thread at once: none lost, one user and conversation.

    On PostgreSQL (not SQLite, whose writers queue) this raced on the identity and
    conversation rows and on the audit chain's sequence number: IntegrityErrors, and new
    messages dropped as if they were duplicates.
    """
    store = ConversationStore(engine)
    for round_ in range(2):  # round 0 opens the conversation, round 1 joins it
        batch = [_msg(f"E{round_}-{i}", text=f"message {round_}-{i}") for i in range(THREADS)]
        calls = [lambda m=m: store.intake(m, m.text) for m in batch]
        results = _race(calls)
        assert all(r is not None for r in results), f"round {round_}: {results}"
    assert _count(engine, Message) == _count(engine, ProcessedEvent) == 2 * THREADS
    for model in (User, Identity, Conversation, Ticket):
        assert _count(engine, model) == 1, model.__name__
    report = verify(engine)
    assert report.ok and report.entries == 2 * THREADS, report


def test_reply_and_next_message_of_one_conversation_do_not_collide(engine: Engine) -> None:
    """The bot records its reply while the customer's next message arrives, 20 times.

    Both extend the conversation's audit chain; unserialized this gave IntegrityErrors on
    both backends and deadlocks on PostgreSQL.
    """
    store = ConversationStore(engine)
    opened = store.intake(_msg("E0"), "hello")
    assert opened is not None
    cid = opened.conversation_id
    problems = []
    for i in range(20):
        try:
            _state, intake = _race(
                [
                    lambda: store.record_outcome(cid, "answer", decision="answer", confidence=0.9),
                    lambda i=i: store.intake(_msg(f"E{i + 1}"), f"next {i}"),
                ]
            )
        except Exception as error:  # keep going: the summary below names every failure
            problems.append(f"round {i}: {type(error).__name__}: {str(error).splitlines()[0]}")
            continue
        if intake is None:
            problems.append(f"round {i}: a new message was dropped as a duplicate")
    assert not problems, "\n".join(problems)
    assert _count(engine, Message) == 1 + 20 + 20
    report = verify(engine)
    assert report.ok and report.entries == 1 + 20 * 3 + 20, report


# --- audit chain and tickets ----------------------------------------------------------------
def test_audit_chain_and_ticket_lifecycle_on_postgresql(pg_database: str) -> None:  # noqa: F811
    """A whole exchange on PostgreSQL whose time zone is not UTC: states, history, chain."""
    database = make_url(pg_database).database
    engine = make_engine(pg_database)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"ALTER DATABASE \"{database}\" SET timezone TO 'Asia/Tokyo'"))
        engine.dispose()  # new connections pick the database's time zone up
        with engine.connect() as connection:
            assert connection.execute(text("SHOW timezone")).scalar() == "Asia/Tokyo"
        upgrade_schema(engine)
        store = ConversationStore(engine)

        first = store.intake(_msg("E1", text="how do I reset?"), "how do I reset?")
        assert first is not None and first.ticket_state == "processing"
        state = store.record_outcome(
            first.conversation_id,
            "Use the reset page.",
            decision="answer",
            confidence=0.82,
            cited_doc_ids=["kb/reset"],
            retrieval=[{"doc_id": "kb/reset", "score": 0.82}],
        )
        assert state == "awaiting_customer"
        second = store.intake(_msg("E2", text="that did not work"), "that did not work")
        assert second is not None and second.ticket_state == "processing"
        state = store.record_outcome(
            second.conversation_id,
            "Passing you to a person.",
            decision="escalate",
            confidence=0.1,
            reasons=["repeated_failure"],
            failed=True,
        )
        assert state == "escalated"
        third = store.intake(_msg("E3", text="hello?"), "hello?")
        assert third is not None and third.failed_attempts == 1

        report = verify(engine)
        assert report.ok, report.problems
        assert (report.conversations, report.entries) == (1, 1 + 3 + 1 + 3 + 1)
        with Session(engine) as session:
            ticket = session.exec(select(Ticket)).one()
            history = TicketBook.history(session, ticket.id or 0)
        assert [(h.from_state.value, h.to_state.value) for h in history] == [
            ("created", "processing"),
            ("processing", "awaiting_customer"),
            ("awaiting_customer", "processing"),
            ("processing", "escalated"),
        ]
        assert history[-1].reason == "escalate: repeated_failure"
        assert [m.role for m in store.thread_messages(first.conversation_id)] == [
            "customer",
            "bot",
            "customer",
            "bot",
            "customer",
        ]

        with engine.begin() as connection:  # tampering is visible through PostgreSQL too
            connection.execute(
                text("UPDATE audit_entries SET payload = '{}' WHERE seq = 3"),
            )
        problems = [(p.seq, p.problem) for p in verify(engine).problems]
        assert problems == [(3, "modified")]
    finally:
        engine.dispose()


def test_concurrent_claims_give_one_owner(engine: Engine) -> None:
    """8 agents press Claim on one escalation at the same moment, as concurrent tasks."""
    import asyncio

    from bot.handoff.service import HandoffService
    from bot.types import AgentRef, Place, Platform, PrivateNotice, UpdateCard

    store = ConversationStore(engine)
    intake = store.intake(_msg("E-claim", text="I want a human"), "I want a human")
    assert intake is not None
    store.record_outcome(
        intake.conversation_id,
        "handing over",
        decision="escalate",
        confidence=0.0,
        reasons=["explicit_human_request"],
        failed=True,
    )
    desk = Place(Platform.SLACK, "T1", "C-AGENTS")
    service = HandoffService(engine, desk)
    [post] = service.open(intake.conversation_id, 5, ("explicit_human_request",))
    service.card_posted(post.card.escalation_id, desk, "card.1", "card.1")  # type: ignore[attr-defined]
    public_id = post.card.escalation_id  # type: ignore[attr-defined]

    async def race() -> list[list[object]]:
        def press(i: int) -> list[object]:
            return service.press(
                "claim", public_id, AgentRef(Platform.SLACK, "T1", f"U{i}", f"Agent{i}", True)
            )

        return await asyncio.gather(*(asyncio.to_thread(press, i) for i in range(THREADS)))

    results = asyncio.run(race())
    winners = [r for r in results if any(isinstance(a, UpdateCard) for a in r)]
    losers = [r for r in results if len(r) == 1 and isinstance(r[0], PrivateNotice)]
    assert len(winners) == 1 and len(losers) == THREADS - 1
    with engine.connect() as conn:
        owner = conn.execute(text("SELECT claimed_by_name FROM escalations")).scalar()
    assert all(owner in r[0].text for r in losers)  # type: ignore[attr-defined]
