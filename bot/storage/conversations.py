"""Intake and history: dedupe, users and identities, conversations and their messages.

Dedupe and storing the customer's message happen in ONE transaction: if storing fails the
event id is not marked processed, so the platform's redelivery can still be answered, and
a redelivery of a stored message can never produce a second reply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.audit import AuditTrail, digest
from bot.storage.database import writer
from bot.storage.models import Conversation, Identity, Message, ProcessedEvent, User, utcnow
from bot.tickets import TicketBook, TicketState, path_to_processing
from bot.types import Inbound

_RETRIES = 5


class _Conflict(Exception):
    """A uniqueness race with a concurrent writer; the transaction is safe to retry."""


# Where a ticket goes after the bot acted, keyed by the engine's decision.
_AFTER_DECISION = {
    "answer": TicketState.AWAITING_CUSTOMER,
    "clarify": TicketState.AWAITING_CUSTOMER,
    "escalate": TicketState.ESCALATED,
}


@dataclass(frozen=True, slots=True)
class Intake:
    """What the engine needs to know about a freshly stored customer message."""

    user_id: int
    conversation_id: int
    message_id: int
    new_conversation: bool
    failed_attempts: int
    ticket_state: str = TicketState.PROCESSING.value
    is_dm: bool = False
    is_vip: bool = False


@dataclass(frozen=True, slots=True)
class StoredMessage:
    role: str
    text: str
    decision: str | None


class ConversationStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def intake(self, inbound: Inbound, text: str) -> Intake | None:
        """Store a customer message; None when this event id was already processed.

        A conflict other than the dedupe key (two first messages of a new user creating
        the same identity, or the same conversation, at once) is retried, never dropped.
        """
        for attempt in range(_RETRIES):
            try:
                return self._intake_once(inbound, text)
            except _Conflict:
                if attempt == _RETRIES - 1:
                    raise
        return None  # pragma: no cover - the loop returns or raises

    def _intake_once(self, inbound: Inbound, text: str) -> Intake | None:
        platform, workspace, channel, thread = inbound.conversation_key
        # Not expired on commit: the Intake below reads ids and states this transaction
        # wrote; expiring them would re-read three rows in a second (write-locked) one.
        with Session(self._writer, expire_on_commit=False) as session:
            try:
                session.add(ProcessedEvent(platform=platform, event_id=inbound.event_id))
                session.flush()
            except IntegrityError:
                session.rollback()
                return None
            try:
                user_id, is_vip = self._user_for(session, inbound)
                conversation, created = self._conversation_for(
                    session, platform, workspace, channel, thread, user_id, inbound.is_dm
                )
            except IntegrityError as exc:  # someone else created the user or thread just now
                session.rollback()
                raise _Conflict() from exc
            message = Message(
                conversation_id=conversation.id,  # type: ignore[arg-type]
                user_id=user_id,
                role="agent" if inbound.from_agent else "customer",
                text=text,
                event_id=inbound.event_id,
            )
            session.add(message)
            session.flush()
            ticket = TicketBook.open_for(session, conversation.id, new=created)  # type: ignore[arg-type]
            if not inbound.from_agent:
                TicketBook.move_path(
                    session,
                    ticket,
                    path_to_processing(TicketState(ticket.state)),
                    "customer message",
                )
            conversation.updated_at = utcnow()
            AuditTrail.append(
                session,
                conversation,
                "message_received",
                {
                    "message_id": message.id,
                    "event_id": inbound.event_id,
                    "user_id": user_id,
                    "chars": len(text),
                    "sha256": digest(text),
                },
            )
            try:
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise _Conflict() from exc
            return Intake(
                user_id=user_id,
                conversation_id=conversation.id,  # type: ignore[arg-type]
                message_id=message.id,  # type: ignore[arg-type]
                new_conversation=created,
                failed_attempts=conversation.failed_attempts,
                ticket_state=ticket.state,
                is_dm=conversation.is_dm,
                is_vip=is_vip,
            )

    def record_outcome(
        self,
        conversation_id: int,
        text: str,
        *,
        decision: str,
        confidence: float | None,
        cited_doc_ids: Sequence[str] = (),
        reasons: Sequence[str] = (),
        retrieval: Sequence[dict[str, object]] = (),
        triage: dict[str, object] | None = None,
        failed: bool = False,
    ) -> str:
        """Store what the bot decided and said, move the ticket, extend the audit chain.

        One transaction, so the audit trail never records a reply that was not stored.
        A failed attempt (no answer) counts toward the repeated-failure escalation rule.
        Returns the ticket's new state.
        """
        with Session(self._writer) as session:
            conversation = session.get(Conversation, conversation_id, with_for_update=True)
            if conversation is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            reply = Message(
                conversation_id=conversation_id,
                role="bot",
                text=text,
                decision=decision,
                confidence=confidence,
                citations=json.dumps(list(cited_doc_ids)),
            )
            session.add(reply)
            session.flush()
            conversation.failed_attempts = conversation.failed_attempts + 1 if failed else 0
            conversation.updated_at = utcnow()
            ticket = TicketBook.open_for(session, conversation_id)
            target = _AFTER_DECISION.get(decision)
            if target is not None and TicketState(ticket.state) is TicketState.PROCESSING:
                TicketBook.move(session, ticket, target, _reason(decision, reasons))
            AuditTrail.append(session, conversation, "retrieval", {"hits": list(retrieval)})
            AuditTrail.append(
                session,
                conversation,
                "decision",
                {"action": decision, "reasons": list(reasons), "triage": triage or {}},
            )
            AuditTrail.append(
                session,
                conversation,
                "reply",
                {
                    "message_id": reply.id,
                    "cited": list(cited_doc_ids),
                    "confidence": confidence,
                    "sha256": digest(text),
                },
            )
            state = ticket.state
            session.commit()
        return state

    def record_bot_reply(
        self,
        conversation_id: int,
        text: str,
        *,
        decision: str,
        confidence: float | None,
        cited_doc_ids: Sequence[str] = (),
        failed: bool = False,
    ) -> str:
        return self.record_outcome(
            conversation_id,
            text,
            decision=decision,
            confidence=confidence,
            cited_doc_ids=cited_doc_ids,
            failed=failed,
        )

    def find_conversation(
        self, platform: str, workspace: str, channel: str, thread: str
    ) -> int | None:
        with Session(self._engine) as session:
            conversation = session.exec(
                select(Conversation).where(
                    Conversation.platform == platform,
                    Conversation.workspace == workspace,
                    Conversation.channel == channel,
                    Conversation.thread == thread,
                )
            ).first()
            return conversation.id if conversation else None

    def thread_messages(self, conversation_id: int, *, limit: int = 20) -> list[StoredMessage]:
        """The newest `limit` messages of a conversation, oldest first."""
        with Session(self._engine) as session:
            rows = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(col(Message.id).desc())
                .limit(limit)
            ).all()
        return [StoredMessage(m.role, m.text, m.decision) for m in reversed(rows)]

    # --- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _user_for(session: Session, inbound: Inbound) -> tuple[int, bool]:
        """(user id, is VIP) for the sender, creating the user and identity on first sight."""
        platform, workspace = inbound.platform.value, inbound.workspace
        known = session.exec(
            select(User.id, User.is_vip)
            .join(Identity, col(Identity.user_id) == col(User.id))
            .where(
                Identity.platform == platform,
                Identity.workspace == workspace,
                Identity.platform_user_id == inbound.user,
            )
        ).first()
        if known is not None:
            return known[0], bool(known[1])  # type: ignore[return-value]
        user = User(display_name=inbound.user_name)
        session.add(user)
        session.flush()
        session.add(
            Identity(
                user_id=user.id,  # type: ignore[arg-type]
                platform=platform,
                workspace=workspace,
                platform_user_id=inbound.user,
            )
        )
        session.flush()
        return user.id, False  # type: ignore[return-value]

    @staticmethod
    def _conversation_for(
        session: Session,
        platform: str,
        workspace: str,
        channel: str,
        thread: str,
        user_id: int,
        is_dm: bool,
    ) -> tuple[Conversation, bool]:
        conversation = session.exec(
            select(Conversation)
            .where(
                Conversation.platform == platform,
                Conversation.workspace == workspace,
                Conversation.channel == channel,
                Conversation.thread == thread,
            )
            .with_for_update()  # serializes writers of one conversation (its audit chain)
        ).first()
        if conversation is not None:
            return conversation, False
        conversation = Conversation(
            platform=platform,
            workspace=workspace,
            channel=channel,
            thread=thread,
            user_id=user_id,
            is_dm=is_dm,
        )
        session.add(conversation)
        session.flush()
        return conversation, True


def _reason(decision: str, reasons: Sequence[str]) -> str:
    if reasons:
        return f"{decision}: " + ", ".join(reasons)
    return {"answer": "answered from the knowledge base", "clarify": "asked to clarify"}.get(
        decision, decision
    )
