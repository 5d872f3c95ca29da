"""The normalized inbound message and the platform-neutral actions the engine returns.

Adapters translate platform events into `Inbound` and render `Action`s; nothing in here
knows about Slack or Discord. Raw payloads stay inside adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class Platform(StrEnum):
    CONSOLE = "console"
    SLACK = "slack"
    DISCORD = "discord"
    API = "api"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One customer message, normalized.

    `thread` is the id of the conversation's thread root; a message that starts a new
    thread uses its own id (adapters decide), so "a thread is a conversation" holds.
    `event_id` is the platform's delivery id used for dedupe (Slack event_id, Discord
    message id), so redeliveries and gateway resumes never produce a second reply.
    """

    platform: Platform
    workspace: str
    channel: str
    user: str
    text: str
    event_id: str
    thread: str | None = None
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    is_dm: bool = False
    mentions_bot: bool = False
    user_name: str | None = None

    @property
    def conversation_key(self) -> tuple[str, str, str, str]:
        """(platform, workspace, channel, thread) - the identity of a conversation."""
        return (self.platform.value, self.workspace, self.channel, self.thread or self.event_id)


@dataclass(frozen=True, slots=True)
class Citation:
    doc_id: str
    title: str
    url: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"doc_id": self.doc_id, "title": self.title, "url": self.url}


class Decision(StrEnum):
    """What the engine decided to do with a customer message."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"
    IGNORE = "ignore"  # duplicates and messages the bot must not answer


@dataclass(frozen=True, slots=True)
class Action:
    """Base of everything the engine asks an adapter to do."""


@dataclass(frozen=True, slots=True)
class Reply(Action):
    """Post `text` in the customer's thread (or DM), with its citations rendered as links."""

    platform: Platform
    workspace: str
    channel: str
    thread: str | None
    text: str
    citations: tuple[Citation, ...] = ()
    kind: Decision = Decision.ANSWER
