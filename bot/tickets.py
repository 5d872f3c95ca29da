"""Ticket lifecycle: every conversation has one ticket, moved only along allowed edges.

created -> processing -> awaiting_customer -> escalated -> resolved -> reopened, with the
edges below; anything else raises InvalidTransition, and every move is stored with its
reason and time so "why is this escalated?" always has an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.storage.models import Ticket, TicketTransition, utcnow


class TicketState(StrEnum):
    CREATED = "created"
    PROCESSING = "processing"
    AWAITING_CUSTOMER = "awaiting_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REOPENED = "reopened"


ALLOWED: dict[TicketState, frozenset[TicketState]] = {
    TicketState.CREATED: frozenset({TicketState.PROCESSING}),
    TicketState.PROCESSING: frozenset(
        {TicketState.AWAITING_CUSTOMER, TicketState.ESCALATED, TicketState.RESOLVED}
    ),
    TicketState.AWAITING_CUSTOMER: frozenset(
        {TicketState.PROCESSING, TicketState.ESCALATED, TicketState.RESOLVED}
    ),
    TicketState.ESCALATED: frozenset({TicketState.PROCESSING, TicketState.RESOLVED}),
    TicketState.RESOLVED: frozenset({TicketState.REOPENED}),
    TicketState.REOPENED: frozenset({TicketState.PROCESSING, TicketState.ESCALATED}),
}


class InvalidTransition(ValueError):
    def __init__(self, current: TicketState, target: TicketState) -> None:
        super().__init__(f"ticket cannot go from {current} to {target}")
        self.current = current
        self.target = target


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    from_state: TicketState
    to_state: TicketState
    reason: str
    at: datetime


def check_transition(current: TicketState, target: TicketState) -> None:
    if target not in ALLOWED[current]:
        raise InvalidTransition(current, target)


class TicketBook:
    """Tickets inside a caller's session, so a ticket move commits with the message it serves."""

    @staticmethod
    def open_for(session: Session, conversation_id: int, *, new: bool = False) -> Ticket:
        """The conversation's ticket, created if missing (`new`: the conversation was just
        created in this transaction, so there is nothing to look up)."""
        ticket = None
        if not new:
            with session.no_autoflush:  # pending changes go out once, at commit
                ticket = session.exec(
                    select(Ticket).where(Ticket.conversation_id == conversation_id)
                ).first()
        if ticket is None:
            ticket = Ticket(conversation_id=conversation_id, state=TicketState.CREATED.value)
            session.add(ticket)
            session.flush()
        return ticket

    @staticmethod
    def move(session: Session, ticket: Ticket, target: TicketState, reason: str) -> None:
        current = TicketState(ticket.state)
        check_transition(current, target)
        ticket.state = target.value
        ticket.updated_at = utcnow()
        session.add(ticket)
        session.add(
            TicketTransition(
                ticket_id=ticket.id,  # type: ignore[arg-type]
                from_state=current.value,
                to_state=target.value,
                reason=reason[:500],
            )
        )

    @classmethod
    def move_path(
        cls, session: Session, ticket: Ticket, path: list[TicketState], reason: str
    ) -> None:
        for target in path:
            cls.move(session, ticket, target, reason)

    @staticmethod
    def history(session: Session, ticket_id: int) -> list[TransitionRecord]:
        rows = session.exec(
            select(TicketTransition)
            .where(TicketTransition.ticket_id == ticket_id)
            .order_by(col(TicketTransition.id))
        ).all()
        return [
            TransitionRecord(TicketState(r.from_state), TicketState(r.to_state), r.reason, r.at)
            for r in rows
        ]


def path_to_processing(current: TicketState) -> list[TicketState]:
    """The moves a new customer message makes: back to work, reopening a resolved ticket."""
    return {
        TicketState.CREATED: [TicketState.PROCESSING],
        TicketState.AWAITING_CUSTOMER: [TicketState.PROCESSING],
        TicketState.RESOLVED: [TicketState.REOPENED, TicketState.PROCESSING],
        TicketState.REOPENED: [TicketState.PROCESSING],
        TicketState.PROCESSING: [],
        TicketState.ESCALATED: [],  # a human owns it now; the message joins the escalation
    }[current]
