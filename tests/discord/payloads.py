"""Gateway payloads in Discord's shapes (see the shared platform_payloads/discord examples)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import discord

from tests.discord.fake_discord import APP_ID, GUILD_ID, TIMESTAMP, member, text_channel, user

CUSTOMER = 400000000000000001
AGENT = 400000000000000002
STRANGER = 400000000000000003


def message_create(
    message_id: int,
    channel_id: int,
    content: str,
    *,
    author: int = CUSTOMER,
    name: str = "casey",
    guild: int | None = GUILD_ID,
    roles: tuple[int, ...] = (),
    mentions: tuple[dict[str, Any], ...] = (),
    bot: bool = False,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": user(author, name, bot=bot),
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }
    if guild is not None:
        data["guild_id"] = str(guild)
        data["member"] = {k: v for k, v in member(author, name, roles).items() if k != "user"}
    return data


def now_snowflake() -> int:
    """An id made now: an interaction's age (its token's 15 minutes) comes from its id."""
    return discord.utils.time_snowflake(discord.utils.utcnow())


def button_press(
    template: dict[str, Any],
    custom_id: str,
    message: dict[str, Any],
    *,
    presser: int,
    name: str,
    roles: tuple[int, ...] = (),
    guild: int = GUILD_ID,
    interaction_id: int,
) -> dict[str, Any]:
    """A component interaction built on Discord's documented example, for our message."""
    data = copy.deepcopy(template)
    data.update(
        id=str(interaction_id),
        application_id=str(APP_ID),
        token=f"token-{interaction_id}",
        guild_id=str(guild),
        channel_id=message["channel_id"],
        member=member(presser, name, roles),
        message=message,
        data={"custom_id": custom_id, "component_type": 2},
    )
    # Fields Discord sends today that the 2021 docs example predates (discord.py needs them).
    data.setdefault("attachment_size_limit", 10 * 1024 * 1024)
    channel = text_channel(int(message["channel_id"]), "channel")
    data.setdefault("channel", {**channel, "guild_id": str(guild)})
    data.setdefault("entitlements", [])
    data.setdefault("locale", "en-US")
    data.setdefault("app_permissions", "442368")
    data.pop("user", None)
    return data


def load_example(shared_data: Path, name: str) -> dict[str, Any]:
    base = shared_data / "platform_payloads" / "discord" / "api_docs_examples" / "inbound"
    return json.loads((base / name).read_text())
