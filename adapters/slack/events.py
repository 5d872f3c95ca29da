"""Slack event payloads -> `Inbound`, and the rules for which messages reach the engine.

Raw payloads stay here. The message identity `"<channel>:<ts>"` is the dedupe key, not the
envelope event_id: the same message arriving as `app_mention` and as `message`, or retried
by Slack (X-Slack-Retry-Num), is one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.types import Inbound, Platform

# Subtypes that are a person saying something; everything else (edits, deletions, joins,
# bot posts, channel topic changes...) never reaches the engine.
PERSON_SUBTYPES = frozenset({None, "", "file_share", "thread_broadcast"})


@dataclass(frozen=True, slots=True)
class Who:
    """The bot's own identity, from auth.test."""

    user_id: str | None
    bot_id: str | None
    team_id: str | None


def message_key(event: dict[str, Any]) -> str:
    return f"{event.get('channel', '')}:{event.get('ts', '')}"


def is_person_message(event: dict[str, Any], me: Who) -> bool:
    """A new message typed by a person: not an edit, deletion, bot post or our own post."""
    if event.get("type") not in {"message", "app_mention"}:
        return False
    if event.get("subtype") not in PERSON_SUBTYPES:
        return False
    if event.get("bot_id") or (event.get("bot_profile") and not event.get("user")):
        return False
    user = event.get("user")
    if not user or not event.get("channel") or not event.get("ts"):
        return False
    if me.user_id and user == me.user_id:
        return False
    return not event.get("hidden")


def strip_mention(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", "", text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def is_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


def thread_of(event: dict[str, Any]) -> str:
    """The conversation's thread: the thread root, the message itself, or a DM's channel."""
    if event.get("thread_ts"):
        return str(event["thread_ts"])
    if is_dm(event):
        return str(event["channel"])  # a DM outside threads is one running conversation
    return str(event["ts"])


def team_of(event: dict[str, Any], body: dict[str, Any]) -> str:
    return str(body.get("team_id") or event.get("team") or event.get("user_team") or "")


def to_inbound(
    event: dict[str, Any],
    body: dict[str, Any],
    me: Who,
    *,
    from_agent: bool = False,
    user_name: str | None = None,
) -> Inbound:
    mentioned = event.get("type") == "app_mention" or (
        bool(me.user_id) and f"<@{me.user_id}" in str(event.get("text", ""))
    )
    return Inbound(
        platform=Platform.SLACK,
        workspace=team_of(event, body),
        channel=str(event["channel"]),
        user=str(event["user"]),
        text=strip_mention(str(event.get("text") or ""), me.user_id),
        event_id=message_key(event),
        thread=thread_of(event),
        timestamp=_when(event.get("ts")),
        is_dm=is_dm(event),
        mentions_bot=mentioned,
        user_name=user_name,
        from_agent=from_agent,
    )


def _when(ts: object) -> datetime:
    try:
        return datetime.fromtimestamp(float(str(ts)), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)
