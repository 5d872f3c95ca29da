"""The handoff lifecycle: open -> claimed -> resolved (or back to bot, or released).

Every state change is one conditional UPDATE (`... WHERE status = <expected>`), so two
agents pressing Claim at once produce exactly one owner on SQLite and PostgreSQL alike;
the loser is told who won. Buttons carry only the escalation's public id, and each press
re-reads the state from the database.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.handoff.cards import card_for
from bot.handoff.summary import HandoffSummary, build_summary
from bot.storage.database import writer
from bot.storage.models import (
    Conversation,
    Escalation,
    EscalationCard,
    Identity,
    KbSuggestion,
    Message,
    Rating,
    User,
    utcnow,
)
from bot.text import defuse_mass_mentions
from bot.tickets import TicketBook, TicketState
from bot.types import (
    Action,
    AgentRef,
    AskRating,
    Button,
    Place,
    Platform,
    PostEscalation,
    PostInThread,
    PrivateNotice,
    UpdateCard,
)

log = logging.getLogger(__name__)

ACTIVE = ("open", "claimed", "released")
RATING_PROMPT = "How did we do? Rate the help you got (1 = poor, 5 = great)."


@dataclass(frozen=True, slots=True)
class QueueEntry:
    public_id: str
    status: str
    priority: int
    issue: str
    claimed_by_name: str | None


@dataclass(frozen=True, slots=True)
class ActiveEscalation:
    public_id: str
    status: str
    claimed_by_name: str | None
    handoff_threads: tuple[Place, ...]


def _place(conversation: Conversation) -> Place:
    return Place(
        Platform(conversation.platform),
        conversation.workspace,
        conversation.channel,
        conversation.thread,
    )


def rating_buttons(conversation_id: int) -> tuple[Button, ...]:
    token = f"{conversation_id}"
    return tuple(Button("rate", str(score), f"{token}:{score}") for score in range(1, 6))


class HandoffService:
    def __init__(self, engine: Engine, desk: Place) -> None:
        self._engine = engine
        self.desk = desk

    def _session(self) -> Session:
        # Rows outlive their commit here (to build the actions that follow a change).
        return Session(writer(self._engine), expire_on_commit=False)

    def _reading(self) -> Session:
        """For reads only: no write lock, so the check every message makes never queues."""
        return Session(self._engine, expire_on_commit=False)

    # --- opening ------------------------------------------------------------------------
    def draft_summary(
        self, conversation_id: int, priority: int, reasons: tuple[str, ...]
    ) -> HandoffSummary:
        """The offline summary, for a writer (Claude) to improve before `open`."""
        return build_summary(self._engine, conversation_id, priority, reasons)

    def open(
        self,
        conversation_id: int,
        priority: int,
        reasons: tuple[str, ...],
        summary: HandoffSummary | None = None,
    ) -> list[Action]:
        """Create the escalation and the card to post; nothing if one is already active."""
        with self._session() as session:
            active = session.exec(
                select(Escalation).where(
                    Escalation.conversation_id == conversation_id,
                    col(Escalation.status).in_(ACTIVE),
                )
            ).first()
            if active is not None:
                return []
            conversation = session.get(Conversation, conversation_id)
            if conversation is None:
                raise LookupError(f"conversation {conversation_id} does not exist")
            summary = summary or build_summary(self._engine, conversation_id, priority, reasons)
            escalation = Escalation(
                public_id=secrets.token_hex(8),
                conversation_id=conversation_id,
                customer_user_id=conversation.user_id,
                priority=priority,
                reasons=json.dumps(list(reasons)),
                summary=summary.render(),
                draft_reply=summary.draft_reply,
            )
            session.add(escalation)
            session.commit()
            session.refresh(escalation)
            card = card_for(escalation, summary.issue, self._customer_name(session, conversation))
        return [
            PostEscalation(
                desk=self.desk, card=card, summary=defuse_mass_mentions(escalation.summary)
            )
        ]

    def card_posted(self, public_id: str, desk: Place, message: str, thread: str) -> None:
        """The adapter tells where the card and its thread landed, for updates and relay."""
        with self._session() as session:
            escalation = self._by_public_id(session, public_id)
            session.add(
                EscalationCard(
                    escalation_id=escalation.id,  # type: ignore[arg-type]
                    platform=desk.platform.value,
                    workspace=desk.workspace,
                    channel=desk.channel,
                    message=message,
                    thread=thread,
                )
            )
            session.commit()

    def active_for(self, conversation_id: int) -> ActiveEscalation | None:
        with self._reading() as session:
            escalation = session.exec(
                select(Escalation).where(
                    Escalation.conversation_id == conversation_id,
                    col(Escalation.status).in_(ACTIVE),
                )
            ).first()
            if escalation is None:
                return None
            return ActiveEscalation(
                escalation.public_id,
                escalation.status,
                escalation.claimed_by_name,
                self._threads(session, escalation),
            )

    # --- buttons ------------------------------------------------------------------------
    def press(self, action: str, public_id: str, agent: AgentRef) -> list[Action]:
        """One button press by someone; non-agents get a private denial and nothing changes."""
        private = Place(agent.platform, agent.workspace, self.desk.channel)
        if not agent.is_agent:
            return [
                PrivateNotice(private, agent.user, "Only support agents can use these buttons.")
            ]
        handlers = {
            "claim": self._claim,
            "resolve": self._resolve,
            "draft": self._send_draft,
            "back_to_bot": self._back_to_bot,
            "release": self._release,
        }
        handler = handlers.get(action)
        if handler is None:
            return [PrivateNotice(private, agent.user, f"Unknown action {action!r}.")]
        with self._session() as session:
            escalation = session.exec(
                select(Escalation).where(Escalation.public_id == public_id)
            ).first()
        if escalation is None:
            return [PrivateNotice(private, agent.user, "That escalation no longer exists.")]
        if action != "claim" and (
            escalation.status != "claimed" or escalation.claimed_by != agent.key
        ):
            owner = escalation.claimed_by_name or "nobody"
            return [
                PrivateNotice(
                    private,
                    agent.user,
                    f"Only the agent who claimed this can do that (status: {escalation.status}, "
                    f"claimed by {owner}).",
                )
            ]
        return handler(escalation, agent, private)

    def _claim(self, escalation: Escalation, agent: AgentRef, private: Place) -> list[Action]:
        now = utcnow()
        with self._session() as session:
            result = session.execute(
                update(Escalation)
                .where(
                    col(Escalation.id) == escalation.id,
                    col(Escalation.status).in_(("open", "released")),
                )
                .values(
                    status="claimed",
                    claimed_by=agent.key,
                    claimed_by_name=agent.name,
                    claimed_at=now,
                )
            )
            session.commit()
            if result.rowcount != 1:  # type: ignore[attr-defined]
                current = session.get(Escalation, escalation.id)
                owner = current.claimed_by_name if current else None
                return [
                    PrivateNotice(
                        private, agent.user, f"Already claimed by {owner or 'someone else'}."
                    )
                ]
        customer_note = (
            f"{agent.name} from the support team has joined and will help you from here."
        )
        return [*self._card_updates(escalation.id), self._to_customer(escalation, customer_note)]  # type: ignore[arg-type]

    def _resolve(self, escalation: Escalation, agent: AgentRef, private: Place) -> list[Action]:
        return self.resolve(escalation.public_id, agent, resolution=None)

    def resolve(self, public_id: str, agent: AgentRef, resolution: str | None) -> list[Action]:
        now = utcnow()
        with self._session() as session:
            escalation = self._by_public_id(session, public_id)
            result = session.execute(
                update(Escalation)
                .where(
                    col(Escalation.id) == escalation.id,
                    col(Escalation.status) == "claimed",
                    col(Escalation.claimed_by) == agent.key,
                )
                .values(status="resolved", resolved_at=now, resolution=resolution)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return [
                    PrivateNotice(
                        self.desk, agent.user, "This escalation is no longer yours to resolve."
                    )
                ]
            ticket = TicketBook.open_for(session, escalation.conversation_id)
            if TicketState(ticket.state) is TicketState.ESCALATED:
                TicketBook.move(session, ticket, TicketState.RESOLVED, f"resolved by {agent.name}")
            suggestion = self._suggestion(session, escalation, resolution)
            if suggestion is not None:
                session.add(suggestion)
            conversation = session.get(Conversation, escalation.conversation_id)
            session.commit()
        assert conversation is not None
        thanks = (
            f"{agent.name} marked this as resolved. If anything is still wrong, just reply here."
        )
        return [
            *self._card_updates(escalation.id),  # type: ignore[arg-type]
            self._to_customer(escalation, thanks),
            AskRating(
                _place(conversation), RATING_PROMPT, rating_buttons(escalation.conversation_id)
            ),
        ]

    def _send_draft(self, escalation: Escalation, agent: AgentRef, private: Place) -> list[Action]:
        return self.agent_reply(escalation.public_id, agent, escalation.draft_reply)

    def _back_to_bot(self, escalation: Escalation, agent: AgentRef, private: Place) -> list[Action]:
        return self._hand_back(
            escalation,
            agent,
            "back_to_bot",
            "You're back with the bot. Ask me anything, or ask for a person again.",
        )

    def _release(self, escalation: Escalation, agent: AgentRef, private: Place) -> list[Action]:
        return self._hand_back(escalation, agent, "released", None)

    def _hand_back(
        self, escalation: Escalation, agent: AgentRef, status: str, customer_note: str | None
    ) -> list[Action]:
        values: dict[str, object] = {"status": status}
        if status == "released":
            values.update(claimed_by=None, claimed_by_name=None, claimed_at=None)
        with self._session() as session:
            result = session.execute(
                update(Escalation)
                .where(
                    col(Escalation.id) == escalation.id,
                    col(Escalation.status) == "claimed",
                    col(Escalation.claimed_by) == agent.key,
                )
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                session.rollback()
                return [PrivateNotice(self.desk, agent.user, "This escalation is no longer yours.")]
            if status == "back_to_bot":
                ticket = TicketBook.open_for(session, escalation.conversation_id)
                if TicketState(ticket.state) is TicketState.ESCALATED:
                    TicketBook.move(
                        session, ticket, TicketState.PROCESSING, f"{agent.name}: back to bot"
                    )
                    TicketBook.move(session, ticket, TicketState.AWAITING_CUSTOMER, "back to bot")
            session.commit()
        actions: list[Action] = list(self._card_updates(escalation.id))  # type: ignore[arg-type]
        if customer_note:
            actions.append(self._to_customer(escalation, customer_note))
        return actions

    # --- relay --------------------------------------------------------------------------
    def agent_reply(self, public_id: str, agent: AgentRef, text: str) -> list[Action]:
        """An agent's message in the handoff thread goes to the customer's thread."""
        with self._session() as session:
            escalation = self._by_public_id(session, public_id)
            if escalation.status != "claimed" or escalation.claimed_by != agent.key:
                owner = escalation.claimed_by_name or "nobody"
                return [
                    PrivateNotice(
                        self.desk,
                        agent.user,
                        f"Not relayed: claim the escalation first (status {escalation.status}, "
                        f"claimed by {owner}).",
                    )
                ]
            session.add(
                Message(conversation_id=escalation.conversation_id, role="agent", text=text)
            )
            session.commit()
        return [self._to_customer(escalation, text, author=f"{agent.name} (support)")]

    def agent_message_in_thread(self, place: Place, agent: AgentRef, text: str) -> list[Action]:
        """A message typed in a handoff thread: relayed if it belongs to an escalation."""
        if not agent.is_agent:
            return []
        with self._session() as session:
            card = session.exec(
                select(EscalationCard).where(
                    EscalationCard.platform == place.platform.value,
                    EscalationCard.workspace == place.workspace,
                    EscalationCard.channel == place.channel,
                    EscalationCard.thread == (place.thread or ""),
                )
            ).first()
            escalation = session.get(Escalation, card.escalation_id) if card else None
        if escalation is None:
            return []
        return self.agent_reply(escalation.public_id, agent, text)

    def customer_message(self, conversation_id: int, text: str, author: str) -> list[Action]:
        """While an escalation is active, the customer's words also reach the handoff thread."""
        active = self.active_for(conversation_id)
        if active is None:
            return []
        return [
            PostInThread(place, text, author=f"{author} (customer)")
            for place in active.handoff_threads
        ]

    # --- rating -------------------------------------------------------------------------
    def rate(self, conversation_id: int, user_id: int, score: int) -> str:
        """Store a 1-5 rating with the path it rates: 'human' if an agent claimed it."""
        if not 1 <= score <= 5:
            raise ValueError("a rating is a whole number from 1 to 5")
        with self._session() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.user_id != user_id:
                raise PermissionError("only the customer of this conversation can rate it")
            escalation = session.exec(
                select(Escalation)
                .where(
                    Escalation.conversation_id == conversation_id,
                    col(Escalation.claimed_by).is_not(None),
                )
                .order_by(col(Escalation.id).desc())
            ).first()
            path = "human" if escalation is not None else "bot"
            session.add(
                Rating(
                    conversation_id=conversation_id,
                    user_id=user_id,
                    escalation_id=escalation.id if escalation else None,
                    score=score,
                    path=path,
                )
            )
            session.commit()
        return path

    def rate_from_button(
        self, value: str, platform: Platform, workspace: str, platform_user: str
    ) -> str:
        """A rating button press: `value` is "<conversation id>:<score>" from rating_buttons."""
        conversation_text, _, score_text = value.partition(":")
        if not (conversation_text.isdigit() and score_text.isdigit()):
            raise ValueError("not a rating button")
        with self._session() as session:
            identity = session.exec(
                select(Identity).where(
                    Identity.platform == platform.value,
                    Identity.workspace == workspace,
                    Identity.platform_user_id == platform_user,
                )
            ).first()
        if identity is None:
            raise PermissionError("only the customer of this conversation can rate it")
        return self.rate(int(conversation_text), identity.user_id, int(score_text))

    def queue(self) -> list[QueueEntry]:
        """Active escalations, most urgent first: what the agents channel is waiting on."""
        with self._reading() as session:
            rows = session.exec(
                select(Escalation)
                .where(col(Escalation.status).in_(ACTIVE))
                .order_by(col(Escalation.priority).desc(), col(Escalation.created_at))
            ).all()
        return [
            QueueEntry(
                e.public_id,
                e.status,
                e.priority,
                e.summary.split("\n", 1)[0].removeprefix("*Issue:* "),
                e.claimed_by_name,
            )
            for e in rows
        ]

    # --- helpers ------------------------------------------------------------------------
    def _card_updates(self, escalation_id: int) -> list[Action]:
        with self._session() as session:
            escalation = session.get(Escalation, escalation_id)
            assert escalation is not None
            conversation = session.get(Conversation, escalation.conversation_id)
            assert conversation is not None
            issue = escalation.summary.split("\n", 1)[0].removeprefix("*Issue:* ")
            card = card_for(escalation, issue, self._customer_name(session, conversation))
            cards = session.exec(
                select(EscalationCard).where(EscalationCard.escalation_id == escalation_id)
            ).all()
        return [
            UpdateCard(
                card, c.message, Place(Platform(c.platform), c.workspace, c.channel, c.thread)
            )
            for c in cards
        ]

    def _to_customer(self, escalation: Escalation, text: str, author: str | None = None) -> Action:
        with self._session() as session:
            conversation = session.get(Conversation, escalation.conversation_id)
        assert conversation is not None
        return PostInThread(_place(conversation), defuse_mass_mentions(text), author=author)

    @staticmethod
    def _threads(session: Session, escalation: Escalation) -> tuple[Place, ...]:
        cards = session.exec(
            select(EscalationCard).where(EscalationCard.escalation_id == escalation.id)
        ).all()
        return tuple(Place(Platform(c.platform), c.workspace, c.channel, c.thread) for c in cards)

    @staticmethod
    def _by_public_id(session: Session, public_id: str) -> Escalation:
        escalation = session.exec(
            select(Escalation).where(Escalation.public_id == public_id)
        ).first()
        if escalation is None:
            raise LookupError(f"no escalation {public_id}")
        return escalation

    @staticmethod
    def _customer_name(session: Session, conversation: Conversation) -> str:
        user = session.get(User, conversation.user_id)
        name = user.display_name if user and user.display_name else f"user {conversation.user_id}"
        return f"{name} in {conversation.channel} ({conversation.platform})"

    @staticmethod
    def _suggestion(
        session: Session, escalation: Escalation, resolution: str | None
    ) -> KbSuggestion | None:
        """The agent's resolution (or last reply) becomes a pending knowledge base entry."""
        answer = resolution
        if not answer:
            last = session.exec(
                select(Message)
                .where(
                    Message.conversation_id == escalation.conversation_id, Message.role == "agent"
                )
                .order_by(col(Message.id).desc())
            ).first()
            answer = last.text if last else None
        if not answer:
            return None
        question = session.exec(
            select(Message)
            .where(
                Message.conversation_id == escalation.conversation_id, Message.role == "customer"
            )
            .order_by(col(Message.id))
        ).first()
        from bot.handoff.redact import redact

        return KbSuggestion(
            escalation_id=escalation.id,
            question=redact(question.text if question else "(unknown question)"),
            answer=redact(answer),
        )
