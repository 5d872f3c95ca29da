"""SQLModel tables of the bot's domain. Alembic revisions in migrations/ must match them.

A person is one `User` with one `Identity` per platform account, keyed by
(platform, workspace, platform user id); a thread is one `Conversation`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str | None = Field(default=None, max_length=200)
    is_vip: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class Identity(SQLModel, table=True):
    """One platform account of a user; memory is always looked up through this key."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "workspace", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    platform: str = Field(max_length=20)
    workspace: str = Field(max_length=100)
    platform_user_id: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """A thread. Its key is (platform, workspace, channel, thread root id)."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", "thread"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    workspace: str = Field(max_length=100)
    channel: str = Field(max_length=100)
    thread: str = Field(max_length=100)
    user_id: int = Field(foreign_key="users.id", index=True)  # the customer who opened it
    is_dm: bool = Field(default=False)
    failed_attempts: int = Field(default=0)
    # Head of the conversation's audit chain: lets `audit verify` notice a deleted last entry.
    audit_seq: int = Field(default=0)
    audit_head: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    role: str = Field(max_length=20)  # customer | bot | agent
    text: str = Field(sa_column=Column(Text, nullable=False))
    event_id: str | None = Field(default=None, max_length=200)
    decision: str | None = Field(default=None, max_length=20)
    confidence: float | None = Field(default=None)
    citations: str | None = Field(default=None, sa_column=Column(Text))  # JSON list of doc ids
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ProcessedEvent(SQLModel, table=True):
    """Dedupe ledger: inserting an existing (platform, event_id) fails atomically."""

    __tablename__ = "processed_events"

    platform: str = Field(primary_key=True, max_length=20)
    event_id: str = Field(primary_key=True, max_length=200)
    processed_at: datetime = Field(default_factory=utcnow, index=True)


class Ticket(SQLModel, table=True):
    """Every conversation has exactly one ticket; its state follows bot/tickets.py."""

    __tablename__ = "tickets"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", unique=True)
    state: str = Field(default="created", max_length=30, index=True)
    priority: int = Field(default=3)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class TicketTransition(SQLModel, table=True):
    __tablename__ = "ticket_transitions"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    from_state: str = Field(max_length=30)
    to_state: str = Field(max_length=30)
    reason: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """One step of a conversation, chained to the previous one by hash (see bot/audit.py)."""

    __tablename__ = "audit_entries"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    seq: int
    kind: str = Field(max_length=40)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    at: datetime = Field(default_factory=utcnow)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class MemoryFact(SQLModel, table=True):
    """A fact or preference about a user, kept with the message it came from."""

    __tablename__ = "memory_facts"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    kind: str = Field(max_length=20)  # fact | preference
    key: str = Field(max_length=60)  # what it is about, e.g. "plan", "platform", "language"
    text: str = Field(sa_column=Column(Text, nullable=False))
    source_message_id: int = Field(foreign_key="messages.id", index=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class MemorySummary(SQLModel, table=True):
    """A rolling summary of a user's past conversations, rebuilt from their messages."""

    __tablename__ = "memory_summaries"

    user_id: int = Field(primary_key=True, foreign_key="users.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    message_count: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow)


class Escalation(SQLModel, table=True):
    """A conversation handed to humans. `public_id` is the only id buttons ever carry."""

    __tablename__ = "escalations"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    customer_user_id: int = Field(foreign_key="users.id", index=True)
    priority: int = Field(default=5)
    reasons: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    status: str = Field(default="open", max_length=20, index=True)
    claimed_by: str | None = Field(default=None, max_length=200)  # platform:workspace:user
    claimed_by_name: str | None = Field(default=None, max_length=200)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    draft_reply: str = Field(default="", sa_column=Column(Text, nullable=False))
    resolution: str | None = Field(default=None, sa_column=Column(Text))
    reminders_sent: int = Field(default=0)
    last_reminded_at: datetime | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_at: datetime | None = Field(default=None)
    resolved_at: datetime | None = Field(default=None)


class EscalationCard(SQLModel, table=True):
    """Where an escalation's card and handoff thread live on one platform."""

    __tablename__ = "escalation_cards"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel", "thread"),)

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int = Field(foreign_key="escalations.id", index=True)
    platform: str = Field(max_length=20)
    workspace: str = Field(max_length=100)
    channel: str = Field(max_length=100)
    message: str = Field(max_length=100)  # the card's message id (Slack ts, Discord id)
    thread: str = Field(max_length=100)  # the handoff thread id


class Rating(SQLModel, table=True):
    __tablename__ = "ratings"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id")
    score: int  # 1-5
    path: str = Field(max_length=10)  # bot | human
    created_at: datetime = Field(default_factory=utcnow)


class KbSuggestion(SQLModel, table=True):
    """An agent's resolution, proposed as a knowledge base entry until someone decides."""

    __tablename__ = "kb_suggestions"

    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalations.id")
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    category: str | None = Field(default=None, max_length=100)
    status: str = Field(default="pending", max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = Field(default=None)
    decided_by: str | None = Field(default=None, max_length=200)
