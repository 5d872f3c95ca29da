import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.storage.conversations import ConversationStore
from bot.storage.models import Ticket
from bot.tickets import ALLOWED, InvalidTransition, TicketBook, TicketState, check_transition
from bot.types import Inbound, Platform


def _msg(event: str) -> Inbound:
    return Inbound(Platform.SLACK, "W", "C", "U", "help", event, thread="T")


@pytest.mark.parametrize("current", list(TicketState))
@pytest.mark.parametrize("target", list(TicketState))
def test_only_allowed_edges_pass(current: TicketState, target: TicketState) -> None:
    if target in ALLOWED[current]:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


def test_lifecycle_is_logged_with_reasons(db: Engine, store: ConversationStore) -> None:
    first = store.intake(_msg("E1"), "help")
    assert first and first.ticket_state == "processing"
    assert store.record_outcome(first.conversation_id, "a", decision="answer", confidence=0.9) == (
        "awaiting_customer"
    )
    second = store.intake(_msg("E2"), "still broken")
    assert second and second.ticket_state == "processing"
    state = store.record_outcome(
        second.conversation_id,
        "h",
        decision="escalate",
        confidence=0.1,
        reasons=["frustration:0.8>=0.7"],
        failed=True,
    )
    assert state == "escalated"
    with Session(db) as session:
        ticket = TicketBook.open_for(session, first.conversation_id)
        TicketBook.move(session, ticket, TicketState.RESOLVED, "agent resolved")
        session.commit()
    third = store.intake(_msg("E3"), "it broke again")
    assert third and third.ticket_state == "processing"
    with Session(db) as session:
        ticket = session.get(Ticket, 1)
        assert ticket is not None
        history = TicketBook.history(session, ticket.id or 0)
    assert [(h.from_state.value, h.to_state.value) for h in history] == [
        ("created", "processing"),
        ("processing", "awaiting_customer"),
        ("awaiting_customer", "processing"),
        ("processing", "escalated"),
        ("escalated", "resolved"),
        ("resolved", "reopened"),
        ("reopened", "processing"),
    ]
    assert history[3].reason == "escalate: frustration:0.8>=0.7"
    assert all(h.at is not None for h in history)


def test_invalid_move_is_rejected_and_nothing_changes(db: Engine, store: ConversationStore) -> None:
    intake = store.intake(_msg("E1"), "help")
    assert intake
    with Session(db) as session:
        ticket = TicketBook.open_for(session, intake.conversation_id)
        with pytest.raises(InvalidTransition):
            TicketBook.move(session, ticket, TicketState.REOPENED, "nonsense")
        assert ticket.state == "processing"
