"""Discord messages -> where they belong and `Inbound`.

A conversation is a thread: a message in a text channel starts one whose id is the
message's own id (Discord gives a thread created from a message that same id), a reply
in a thread or forum post uses the thread's id, and a DM channel is one conversation.
The workspace is the guild id, or "dm".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import discord

from bot.types import Inbound, Platform

DM_WORKSPACE = "dm"
_USER_MESSAGES = (discord.MessageType.default, discord.MessageType.reply)


@dataclass(frozen=True, slots=True)
class Where:
    workspace: str
    channel: str  # the text / forum channel (a thread's parent), or the DM channel
    thread: str  # the conversation's thread id
    is_dm: bool
    in_thread: bool  # the message was written inside an existing thread (or forum post)


def ignorable(message: discord.Message, bot_user_id: int | None) -> bool:
    """Bots (ourselves included), webhooks and system messages are never customers."""
    author = message.author
    return (
        author.bot
        or author.id == bot_user_id
        or message.webhook_id is not None
        or message.type not in _USER_MESSAGES
    )


def where(message: discord.Message, thread_parent: int | None = None) -> Where:
    """`thread_parent`: the parent channel when the adapter looked up an uncached thread."""
    channel = message.channel
    if message.guild is None:
        return Where(DM_WORKSPACE, str(channel.id), str(channel.id), True, False)
    workspace = str(message.guild.id)
    if isinstance(channel, discord.Thread):
        return Where(workspace, str(channel.parent_id), str(channel.id), False, True)
    if thread_parent is not None:
        return Where(workspace, str(thread_parent), str(channel.id), False, True)
    return Where(workspace, str(channel.id), str(message.id), False, False)


def has_role(member: Any, role: str | None) -> bool:
    """The member holds the configured role, given as an id or a name.

    Ids come straight from the event's member payload (`_roles`), so this works without
    the members intent or a warm cache; names need the guild's roles (from GUILD_CREATE).
    """
    if not role or not isinstance(member, discord.Member):
        return False
    ids = {str(role_id) for role_id in getattr(member, "_roles", ())}
    if role in ids:
        return True
    return any(r.name == role for r in member.roles)


def strip_bot_mention(text: str, bot_user_id: int | None) -> str:
    if bot_user_id is None:
        return text.strip()
    return re.sub(rf"<@!?{bot_user_id}>", "", text).strip()


def to_inbound(
    message: discord.Message, place: Where, *, bot_user_id: int | None, from_agent: bool
) -> Inbound:
    mentions_bot = any(user.id == bot_user_id for user in message.mentions)
    return Inbound(
        platform=Platform.DISCORD,
        workspace=place.workspace,
        channel=place.channel,
        user=str(message.author.id),
        text=strip_bot_mention(message.content, bot_user_id),
        event_id=str(message.id),
        thread=place.thread,
        timestamp=message.created_at,
        is_dm=place.is_dm,
        mentions_bot=mentions_bot,
        user_name=message.author.display_name,
        from_agent=from_agent,
    )
