import sqlite3
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import SQLModel

from bot.storage.conversations import ConversationStore
from bot.storage.database import make_engine
from bot.storage.schema import current_revision, head_revision, upgrade_schema
from bot.types import Inbound, Platform


def _engine(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    return engine


def _msg(text: str, event: str, *, user: str = "U1", thread: str | None = "T1") -> Inbound:
    return Inbound(Platform.SLACK, "W1", "C1", user, text, event, thread=thread)


def test_migrations_create_exactly_the_model_tables(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(SQLModel.metadata.tables)
    for name, table in SQLModel.metadata.tables.items():
        columns = {c["name"] for c in inspect(engine).get_columns(name)}
        assert columns == {c.name for c in table.columns}, name


def test_upgrade_is_idempotent_and_sqlite_uses_wal(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    upgrade_schema(engine)
    with sqlite3.connect(tmp_path / "bot.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_duplicate_event_is_not_stored_twice(tmp_path: Path) -> None:
    store = ConversationStore(_engine(tmp_path))
    first = store.intake(_msg("hello", "Ev1"), "hello")
    assert first is not None and first.new_conversation
    assert store.intake(_msg("hello", "Ev1"), "hello") is None
    assert [m.text for m in store.thread_messages(first.conversation_id)] == ["hello"]


def test_thread_is_a_conversation_and_identity_is_per_workspace(tmp_path: Path) -> None:
    store = ConversationStore(_engine(tmp_path))
    a = store.intake(_msg("one", "E1"), "one")
    b = store.intake(_msg("two", "E2"), "two")
    c = store.intake(_msg("three", "E3", thread="T2"), "three")
    other_ws = store.intake(Inbound(Platform.SLACK, "W2", "C1", "U1", "x", "E4", thread="T9"), "x")
    assert a and b and c and other_ws
    assert a.conversation_id == b.conversation_id != c.conversation_id
    assert a.user_id == c.user_id != other_ws.user_id


def test_failed_attempts_count_and_reset(tmp_path: Path) -> None:
    store = ConversationStore(_engine(tmp_path))
    first = store.intake(_msg("q", "E1"), "q")
    assert first
    store.record_bot_reply(
        first.conversation_id, "no idea", decision="escalate", confidence=0.1, failed=True
    )
    second = store.intake(_msg("q again", "E2"), "q again")
    assert second and second.failed_attempts == 1
    store.record_bot_reply(second.conversation_id, "answer", decision="answer", confidence=0.9)
    third = store.intake(_msg("thanks", "E3"), "thanks")
    assert third and third.failed_attempts == 0
