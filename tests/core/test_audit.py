from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.audit import verify
from bot.storage.conversations import ConversationStore
from bot.types import Inbound, Platform


def _conversation(store: ConversationStore, thread: str = "T") -> int:
    first = store.intake(
        Inbound(Platform.SLACK, "W", "C", "U", "q", f"{thread}-1", thread=thread), "q"
    )
    assert first
    store.record_outcome(
        first.conversation_id,
        "a",
        decision="answer",
        confidence=0.8,
        cited_doc_ids=["d1"],
        retrieval=[{"doc_id": "d1", "score": 0.8}],
    )
    second = store.intake(
        Inbound(Platform.SLACK, "W", "C", "U", "q2", f"{thread}-2", thread=thread), "q2"
    )
    assert second
    return first.conversation_id


def test_untouched_chain_verifies(db: Engine, store: ConversationStore) -> None:
    cid = _conversation(store)
    report = verify(db)
    assert report.ok and report.entries == 5 and report.conversations == 1
    assert verify(db, cid).ok


def test_modified_row_is_reported(db: Engine, store: ConversationStore) -> None:
    cid = _conversation(store)
    _conversation(store, "OTHER")
    with db.begin() as conn:
        conn.execute(
            text(
                'UPDATE audit_entries SET payload = \'{"action":"answer","reasons":[]}\' '
                "WHERE conversation_id = :c AND seq = 3"
            ),
            {"c": cid},
        )
    report = verify(db)
    assert [(p.conversation_id, p.seq, p.problem) for p in report.problems] == [
        (cid, 3, "modified")
    ]


def test_missing_middle_and_last_rows_are_reported(db: Engine, store: ConversationStore) -> None:
    cid = _conversation(store)
    with db.begin() as conn:
        conn.execute(
            text("DELETE FROM audit_entries WHERE conversation_id = :c AND seq IN (2, 5)"),
            {"c": cid},
        )
    problems = {(p.seq, p.problem) for p in verify(db, cid).problems}
    assert problems == {(2, "missing"), (5, "missing")}


def test_payload_holds_digests_not_message_text(db: Engine, store: ConversationStore) -> None:
    _conversation(store)
    with db.connect() as conn:
        payloads = [row[0] for row in conn.execute(text("SELECT payload FROM audit_entries"))]
    assert all('"q2"' not in p for p in payloads)
    assert any("sha256" in p for p in payloads)
