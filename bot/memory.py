"""Per-user memory: facts and preferences with their source message, and a rolling summary.

Every read goes through a `MemoryScope` built from the asking user's own identity, so no
code path can read another user's memory. In a public channel, only what the user said in
that same thread is used; everything else stays for DMs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from bot.storage.database import writer
from bot.storage.models import (
    AuditEntry,
    Conversation,
    Escalation,
    EscalationCard,
    Identity,
    KbSuggestion,
    MemoryFact,
    MemorySummary,
    Message,
    Rating,
    Ticket,
    TicketTransition,
    User,
    utcnow,
)

# (key, kind, pattern): the first group is the remembered value.
_FACT_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (key, kind, re.compile(pattern, re.IGNORECASE))
    for key, kind, pattern in (
        (
            "plan",
            "fact",
            r"\b(?:i'?m|i am|we'?re|we are) on (?:the |a )?(free|team|business)\b(?: plan)?",
        ),
        (
            "device",
            "fact",
            r"\bi(?:'m| am)? us(?:e|ing) (?:an? |the )?"
            r"(iphone|ipad|android|windows|mac|macbook|linux|chromebook)\b",
        ),
        (
            "browser",
            "fact",
            r"\bi(?:'m| am)? us(?:e|ing) (?:the )?(chrome|firefox|safari|edge|brave)\b",
        ),
        (
            "workspace",
            "fact",
            r"\bour (?:workspace|company|team) is (?:called |named )?"
            r"([A-Z][\w&.\- ]{1,40}?)(?:[.,!?]|$)",
        ),
        (
            "language",
            "preference",
            r"\b(?:please )?(?:always )?(?:reply|answer|respond|write) (?:to me )?in ([a-z]+)\b",
        ),
        ("name", "preference", r"\bcall me ([A-Z][a-z]{1,30})\b"),
        (
            "contact",
            "preference",
            r"\bi prefer (email|e-mail|dms?|direct messages?|slack|discord)\b",
        ),
    )
)

RECALL_REQUEST = re.compile(
    r"^\s*(?:what|which \w+) do you (?:remember|know|have stored|store) about me\b", re.IGNORECASE
)
FORGET_REQUEST = re.compile(
    r"^\s*(?:please\s+)?"
    r"(?:forget (?:me|everything about me|all about me)|delete (?:all )?my (?:data|history))"
    r"\s*[.!]*\s*(?:please)?[.!]*\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    key: str
    kind: str
    value: str


def extract_facts(text: str) -> list[ExtractedFact]:
    found: dict[str, ExtractedFact] = {}
    for key, kind, pattern in _FACT_PATTERNS:
        match = pattern.search(text)
        if match:
            value = match.group(1).strip()
            found[key] = ExtractedFact(key, kind, value)
    return list(found.values())


@dataclass(frozen=True, slots=True)
class MemoryScope:
    """Whose memory, and from where it is being read."""

    user_id: int
    conversation_id: int
    is_dm: bool


@dataclass(frozen=True, slots=True)
class RememberedFact:
    key: str
    kind: str
    text: str
    created_at: datetime
    conversation_id: int


@dataclass(frozen=True, slots=True)
class ErasureReport:
    conversations: int
    messages: int
    facts: int


class MemoryStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def learn(self, scope: MemoryScope, message_id: int, text: str) -> list[ExtractedFact]:
        """Store facts found in a customer message; a newer value for a key supersedes older."""
        facts = extract_facts(text)
        if not facts:
            return []
        with Session(self._writer) as session:
            for fact in facts:
                session.add(
                    MemoryFact(
                        user_id=scope.user_id,
                        kind=fact.kind,
                        key=fact.key,
                        text=fact.value,
                        source_message_id=message_id,
                        conversation_id=scope.conversation_id,
                    )
                )
            session.commit()
        return facts

    def recall(self, scope: MemoryScope) -> list[RememberedFact]:
        """Facts usable in a reply here: all of them in a DM, same-thread ones in public."""
        with Session(self._engine) as session:
            query = select(MemoryFact).where(MemoryFact.user_id == scope.user_id)
            if not scope.is_dm:
                query = query.where(MemoryFact.conversation_id == scope.conversation_id)
            rows = session.exec(query.order_by(col(MemoryFact.id))).all()
        latest: dict[str, RememberedFact] = {}
        for row in rows:
            latest[row.key] = RememberedFact(
                row.key, row.kind, row.text, row.created_at, row.conversation_id
            )
        return list(latest.values())

    def summary(self, scope: MemoryScope) -> str | None:
        if not scope.is_dm:
            return None
        with Session(self._engine) as session:
            row = session.get(MemorySummary, scope.user_id)
            return row.text if row else None

    def previous_customer_messages_with_conversation(
        self, scope: MemoryScope, *, limit: int = 50
    ) -> list[tuple[str, int]]:
        """This user's newest messages in OTHER conversations, with their conversation id.

        For triage only (is this a repeat of an earlier issue?), never quoted in a reply,
        so it is not limited to DMs.
        """
        with Session(self._engine) as session:
            rows = session.exec(
                select(Message.text, Message.conversation_id)
                .where(
                    Message.user_id == scope.user_id,
                    Message.role == "customer",
                    Message.conversation_id != scope.conversation_id,
                )
                .order_by(col(Message.id).desc())
                .limit(limit)
            ).all()
        return [(text, conversation_id) for text, conversation_id in rows]

    def refresh_summary(self, user_id: int, *, conversations: int = 5) -> str:
        """Rebuild the rolling summary from the user's newest conversations."""
        with Session(self._writer) as session:
            convs = session.exec(
                select(Conversation)
                .where(Conversation.user_id == user_id)
                .order_by(col(Conversation.updated_at).desc())
                .limit(conversations)
            ).all()
            lines = []
            count = 0
            for conv in convs:
                first = session.exec(
                    select(Message)
                    .where(Message.conversation_id == conv.id, Message.role == "customer")
                    .order_by(col(Message.id))
                ).first()
                last_bot = session.exec(
                    select(Message)
                    .where(Message.conversation_id == conv.id, Message.role == "bot")
                    .order_by(col(Message.id).desc())
                ).first()
                if first is None:
                    continue
                count += 1
                outcome = last_bot.decision if last_bot and last_bot.decision else "open"
                snippet = first.text[:120] + ("…" if len(first.text) > 120 else "")
                lines.append(f'{conv.updated_at:%Y-%m-%d}: asked "{snippet}" ({outcome})')
            text = "\n".join(lines)
            row = session.get(MemorySummary, user_id) or MemorySummary(user_id=user_id, text="")
            row.text = text
            row.message_count = count
            row.updated_at = utcnow()
            session.add(row)
            session.commit()
        return text

    def describe(self, scope: MemoryScope) -> str:
        """The answer to "what do you remember about me?" for this place."""
        facts = self.recall(scope)
        summary = self.summary(scope)
        if not facts and not summary:
            if scope.is_dm:
                return "I don't remember anything about you beyond this conversation."
            return (
                "In a public channel I only use what you've told me in this thread, and that's "
                "nothing personal so far. Ask me in a direct message to see everything I keep."
            )
        lines = ["Here's what I remember about you:"]
        for fact in facts:
            lines.append(f"• {fact.key}: {fact.text} (you told me on {fact.created_at:%Y-%m-%d})")
        if summary:
            lines.append("Recent conversations:\n" + summary)
        if not scope.is_dm:
            lines.append("(Only what you said in this thread; ask in a DM for the rest.)")
        lines.append('Say "forget me" at any time and I will delete all of it.')
        return "\n".join(lines)

    def forget(self, user_id: int) -> ErasureReport:
        """Delete the user and everything derived from them, in one transaction.

        That is: their identities, the conversations they opened (with every message,
        ticket and audit entry in them), their messages anywhere else, and all facts and
        summaries, including any fact another user's memory drew from those messages.
        """
        with Session(self._writer) as session:
            conv_ids = list(
                session.exec(select(Conversation.id).where(Conversation.user_id == user_id)).all()
            )
            message_ids = list(
                session.exec(
                    select(Message.id).where(
                        col(Message.conversation_id).in_(conv_ids) | (Message.user_id == user_id)
                    )
                ).all()
            )
            fact_filter = (MemoryFact.user_id == user_id) | col(MemoryFact.source_message_id).in_(
                message_ids
            )
            facts = len(session.exec(select(MemoryFact.id).where(fact_filter)).all())
            ticket_ids = list(
                session.exec(
                    select(Ticket.id).where(col(Ticket.conversation_id).in_(conv_ids))
                ).all()
            )
            escalation_ids = list(
                session.exec(
                    select(Escalation.id).where(col(Escalation.conversation_id).in_(conv_ids))
                ).all()
            )
            statements = [
                delete(Rating).where(
                    col(Rating.conversation_id).in_(conv_ids) | (col(Rating.user_id) == user_id)
                ),
                delete(KbSuggestion).where(col(KbSuggestion.escalation_id).in_(escalation_ids)),
                delete(EscalationCard).where(col(EscalationCard.escalation_id).in_(escalation_ids)),
                delete(Escalation).where(col(Escalation.id).in_(escalation_ids)),
                delete(MemoryFact).where(fact_filter),
                delete(MemorySummary).where(col(MemorySummary.user_id) == user_id),
                delete(TicketTransition).where(col(TicketTransition.ticket_id).in_(ticket_ids)),
                delete(Ticket).where(col(Ticket.id).in_(ticket_ids)),
                delete(AuditEntry).where(col(AuditEntry.conversation_id).in_(conv_ids)),
                delete(Message).where(col(Message.id).in_(message_ids)),
                delete(Conversation).where(col(Conversation.id).in_(conv_ids)),
                delete(Identity).where(col(Identity.user_id) == user_id),
                delete(User).where(col(User.id) == user_id),
            ]
            for statement in statements:
                session.execute(statement)
            session.commit()
        return ErasureReport(len(conv_ids), len(message_ids), facts)
