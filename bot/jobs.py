"""Scheduled work on the database: reminders, auto-close, retention. Pure functions of `now`.

Each job is idempotent and safe to run on several workers at once: every change is a
conditional UPDATE that only one run can win, so a reminder is sent once per interval
and a ticket is closed once. The scheduler (bot/service.py) calls them every minute; tests
call them with a fake clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.handoff.service import RATING_PROMPT, rating_buttons
from bot.storage.database import writer
from bot.storage.models import (
    Conversation,
    Escalation,
    EscalationCard,
    MemoryFact,
    MemorySummary,
    ProcessedEvent,
    Ticket,
    TicketTransition,
)
from bot.tickets import TicketState, check_transition
from bot.types import Action, AskRating, Place, Platform, PostInThread


@dataclass(frozen=True, slots=True)
class JobPolicy:
    remind_after_minutes: int = 15
    autoclose_hours: int = 48
    memory_retention_days: int = 365
    dedupe_retention_days: int = 7


def reminder_interval(priority: int, base_minutes: int) -> timedelta:
    """Urgent escalations nag sooner: P9-10 every quarter, P7-8 every half interval."""
    if priority >= 9:
        minutes = base_minutes / 4
    elif priority >= 7:
        minutes = base_minutes / 2
    else:
        minutes = base_minutes
    return timedelta(minutes=max(1.0, minutes))


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def remind_unclaimed(engine: Engine, desk: Place, now: datetime, policy: JobPolicy) -> list[Action]:
    actions: list[Action] = []
    with Session(writer(engine), expire_on_commit=False) as session:
        waiting = session.exec(
            select(Escalation).where(col(Escalation.status).in_(("open", "released")))
        ).all()
        for escalation in waiting:
            since = _aware(escalation.last_reminded_at or escalation.created_at)
            if now - since < reminder_interval(escalation.priority, policy.remind_after_minutes):
                continue
            won = session.execute(
                update(Escalation)
                .where(
                    col(Escalation.id) == escalation.id,
                    col(Escalation.status).in_(("open", "released")),
                    col(Escalation.reminders_sent) == escalation.reminders_sent,
                )
                .values(reminders_sent=escalation.reminders_sent + 1, last_reminded_at=now)
            )
            session.commit()
            if won.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker sent this reminder
            waited = int((now - _aware(escalation.created_at)).total_seconds() // 60)
            issue = escalation.summary.split("\n", 1)[0].removeprefix("*Issue:* ")
            text = (
                f"⏰ Still unclaimed after {waited} min (P{escalation.priority}): {issue} "
                f"Reasons: {', '.join(json.loads(escalation.reasons))}."
            )
            cards = session.exec(
                select(EscalationCard).where(EscalationCard.escalation_id == escalation.id)
            ).all()
            places = [Place(Platform(c.platform), c.workspace, c.channel, c.thread) for c in cards]
            actions += [PostInThread(place, text) for place in places or [desk]]
    return actions


def close_idle_tickets(engine: Engine, now: datetime, policy: JobPolicy) -> list[Action]:
    """Resolve tickets left in awaiting_customer past the limit, and ask for a rating."""
    cutoff = now - timedelta(hours=policy.autoclose_hours)
    actions: list[Action] = []
    with Session(writer(engine), expire_on_commit=False) as session:
        idle = session.exec(
            select(Ticket).where(Ticket.state == TicketState.AWAITING_CUSTOMER.value)
        ).all()
        for ticket in idle:
            if _aware(ticket.updated_at) > cutoff:
                continue
            check_transition(TicketState.AWAITING_CUSTOMER, TicketState.RESOLVED)
            won = session.execute(
                update(Ticket)
                .where(
                    col(Ticket.id) == ticket.id,
                    col(Ticket.state) == TicketState.AWAITING_CUSTOMER.value,
                )
                .values(state=TicketState.RESOLVED.value, updated_at=now)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()  # a customer replied, or another worker closed it
                continue
            session.add(
                TicketTransition(
                    ticket_id=ticket.id,  # type: ignore[arg-type]
                    from_state=TicketState.AWAITING_CUSTOMER.value,
                    to_state=TicketState.RESOLVED.value,
                    reason=f"auto-closed after {policy.autoclose_hours} h without a reply",
                    at=now,
                )
            )
            conversation = session.get(Conversation, ticket.conversation_id)
            session.commit()
            if conversation is None:
                continue
            place = Place(
                Platform(conversation.platform),
                conversation.workspace,
                conversation.channel,
                conversation.thread,
            )
            actions.append(
                AskRating(
                    place,
                    "I'm closing this conversation since it's been quiet. " + RATING_PROMPT,
                    rating_buttons(ticket.conversation_id),
                )
            )
    return actions


def prune_retention(engine: Engine, now: datetime, policy: JobPolicy) -> dict[str, int]:
    """Forget remembered facts and summaries past retention; trim the dedupe ledger."""
    memory_cutoff = now - timedelta(days=policy.memory_retention_days)
    dedupe_cutoff = now - timedelta(days=policy.dedupe_retention_days)
    with Session(engine) as session:
        facts = session.execute(
            delete(MemoryFact).where(col(MemoryFact.created_at) < memory_cutoff)
        )
        summaries = session.execute(
            delete(MemorySummary).where(col(MemorySummary.updated_at) < memory_cutoff)
        )
        events = session.execute(
            delete(ProcessedEvent).where(col(ProcessedEvent.processed_at) < dedupe_cutoff)
        )
        session.commit()
    return {
        "facts": facts.rowcount,  # type: ignore[attr-defined]
        "summaries": summaries.rowcount,  # type: ignore[attr-defined]
        "events": events.rowcount,  # type: ignore[attr-defined]
    }
