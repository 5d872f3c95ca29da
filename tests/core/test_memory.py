from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.memory import FORGET_REQUEST, RECALL_REQUEST, MemoryScope, MemoryStore, extract_facts
from bot.storage.conversations import ConversationStore
from bot.types import Inbound, Platform


def _say(
    store: ConversationStore, user: str, text_: str, event: str, *, thread: str, dm: bool = False
):
    intake = store.intake(
        Inbound(
            Platform.SLACK, "W", "D" if dm else "C", user, text_, event, thread=thread, is_dm=dm
        ),
        text_,
    )
    assert intake
    return intake


def test_facts_are_extracted_with_their_values() -> None:
    facts = {
        f.key: f.value for f in extract_facts("I'm on the Business plan and I use an Android.")
    }
    assert facts == {"plan": "Business", "device": "Android"}
    assert extract_facts("How do I change my plan?") == []


def test_recall_and_forget_requests_are_strict() -> None:
    assert RECALL_REQUEST.match("What do you remember about me?")
    assert FORGET_REQUEST.match("Forget me.") and FORGET_REQUEST.match("please delete my data")
    assert not FORGET_REQUEST.match("don't forget me when the fix ships")


def test_public_channel_uses_only_same_thread_memory(db: Engine, store: ConversationStore) -> None:
    memory = MemoryStore(db)
    a = _say(store, "U1", "I'm on the Team plan", "E1", thread="T1")
    memory.learn(
        MemoryScope(a.user_id, a.conversation_id, False), a.message_id, "I'm on the Team plan"
    )
    b = _say(store, "U1", "another question", "E2", thread="T2")
    assert memory.recall(MemoryScope(b.user_id, b.conversation_id, False)) == []
    assert [f.text for f in memory.recall(MemoryScope(a.user_id, a.conversation_id, False))] == [
        "Team"
    ]
    dm = _say(store, "U1", "hi", "E3", thread="T3", dm=True)
    assert [f.text for f in memory.recall(MemoryScope(dm.user_id, dm.conversation_id, True))] == [
        "Team"
    ]


def test_two_users_never_mix(db: Engine, store: ConversationStore) -> None:
    memory = MemoryStore(db)
    alice = _say(store, "alice", "I use an iPhone", "E1", thread="T1", dm=True)
    bob = _say(store, "bob", "I use Windows", "E2", thread="T2", dm=True)
    memory.learn(
        MemoryScope(alice.user_id, alice.conversation_id, True), alice.message_id, "I use an iPhone"
    )
    memory.learn(
        MemoryScope(bob.user_id, bob.conversation_id, True), bob.message_id, "I use Windows"
    )
    assert [
        f.text for f in memory.recall(MemoryScope(alice.user_id, alice.conversation_id, True))
    ] == ["iPhone"]
    assert "iPhone" not in memory.describe(MemoryScope(bob.user_id, bob.conversation_id, True))


def test_newer_value_supersedes(db: Engine, store: ConversationStore) -> None:
    memory = MemoryStore(db)
    one = _say(store, "U", "I'm on the Free plan", "E1", thread="T", dm=True)
    scope = MemoryScope(one.user_id, one.conversation_id, True)
    memory.learn(scope, one.message_id, "I'm on the Free plan")
    two = _say(store, "U", "we are on the Business plan now", "E2", thread="T", dm=True)
    memory.learn(scope, two.message_id, "we are on the Business plan now")
    assert [f.text for f in memory.recall(scope)] == ["Business"]


def test_forget_me_deletes_everything_derived_and_only_that(
    db: Engine, store: ConversationStore
) -> None:
    memory = MemoryStore(db)
    mine = _say(store, "U1", "I use Linux", "E1", thread="T1", dm=True)
    memory.learn(
        MemoryScope(mine.user_id, mine.conversation_id, True), mine.message_id, "I use Linux"
    )
    store.record_outcome(mine.conversation_id, "answer", decision="answer", confidence=0.9)
    memory.refresh_summary(mine.user_id)
    other = _say(store, "U2", "I use Safari", "E2", thread="T2", dm=True)
    memory.learn(
        MemoryScope(other.user_id, other.conversation_id, True), other.message_id, "I use Safari"
    )

    report = memory.forget(mine.user_id)
    assert (report.conversations, report.messages, report.facts) == (1, 2, 1)
    with db.connect() as conn:
        counts = {
            table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
            for table in (
                "users",
                "identities",
                "conversations",
                "messages",
                "memory_facts",
                "memory_summaries",
                "tickets",
                "ticket_transitions",
                "audit_entries",
            )
        }
    assert counts == {
        "users": 1,
        "identities": 1,
        "conversations": 1,
        "messages": 1,
        "memory_facts": 1,
        "memory_summaries": 0,
        "tickets": 1,
        "ticket_transitions": 1,
        "audit_entries": 1,
    }
