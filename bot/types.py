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
    # The adapter found the author is a support agent (role / agents-channel member): the
    # bot records the message as a human reply and stays quiet.
    from_agent: bool = False

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


@dataclass(frozen=True, slots=True)
class Place:
    """A channel (and optionally a thread) on one platform."""

    platform: Platform
    workspace: str
    channel: str
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class AgentRef:
    """Who pressed a button or wrote in a handoff thread.

    `is_agent` is decided by the adapter from the platform (a member of the agents channel,
    or a holder of the configured role, in the same workspace); the core trusts only that.
    """

    platform: Platform
    workspace: str
    user: str
    name: str
    is_agent: bool

    @property
    def key(self) -> str:
        return f"{self.platform.value}:{self.workspace}:{self.user}"


@dataclass(frozen=True, slots=True)
class Button:
    """`value` is opaque (an escalation's public id); state always comes from the database."""

    action: str  # claim | resolve | draft | back_to_bot | release | rate
    label: str
    value: str
    style: str | None = None  # primary | danger | None


@dataclass(frozen=True, slots=True)
class CardView:
    """The escalation card as data; adapters render it as Block Kit or an embed."""

    escalation_id: str
    title: str
    status: str
    priority: int
    fields: tuple[tuple[str, str], ...]
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True)
class PostEscalation(Action):
    """Post the card in the agents channel and the handoff summary in the card's thread.

    The adapter reports where they landed with HandoffService.card_posted(...).
    """

    desk: Place
    card: CardView
    summary: str


@dataclass(frozen=True, slots=True)
class UpdateCard(Action):
    card: CardView
    message: str  # the card's message id on that platform
    desk: Place


@dataclass(frozen=True, slots=True)
class PostInThread(Action):
    """A message into a thread the bot did not just receive from: relays and reminders.

    `author` attributes relayed text to a person ("Sam (support)").
    """

    place: Place
    text: str
    author: str | None = None


@dataclass(frozen=True, slots=True)
class PrivateNotice(Action):
    """Only `user` sees it (Slack ephemeral, Discord ephemeral follow-up)."""

    place: Place
    user: str
    text: str


@dataclass(frozen=True, slots=True)
class AskRating(Action):
    place: Place
    text: str
    buttons: tuple[Button, ...]


def action_platform(action: Action) -> Platform | None:
    """The platform an action must be rendered on (its reply platform, place or desk)."""
    platform = getattr(action, "platform", None)
    if isinstance(platform, Platform):
        return platform
    place = getattr(action, "place", None) or getattr(action, "desk", None)
    return place.platform if isinstance(place, Place) else None
