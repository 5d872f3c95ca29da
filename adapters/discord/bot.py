"""The discord.py client: intents, safe defaults and one-time setup in `setup_hook`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
import yarl
from discord.ext import commands

from adapters.discord.cog import SupportCog
from adapters.discord.components import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def intents() -> discord.Intents:
    """What the bot needs; message content is privileged (enable it in the portal)."""
    return discord.Intents(guilds=True, guild_messages=True, dm_messages=True, message_content=True)


def use_api_base(api_base: str | None) -> None:
    """Point discord.py's HTTP routes at another API (a local fake, a proxy)."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")


class SupportBot(commands.Bot):
    def __init__(self, adapter: DiscordAdapter) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=NO_MENTIONS,  # the default for everything the bot sends
        )
        self.adapter = adapter

    async def setup_hook(self) -> None:
        settings = self.adapter.settings
        if settings.discord_api_base:
            # A plain Bot never asks /gateway/bot; with a custom API base, ask it here.
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await self.add_cog(SupportCog(self.adapter))
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self._sync_commands(settings.discord_guild_ids)

    async def _sync_commands(self, guild_ids: list[str]) -> None:
        try:
            if not guild_ids:
                await self.tree.sync()
                return
            for guild_id in guild_ids:
                guild = discord.Object(id=int(guild_id))
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:  # the bot still answers messages without /kb
            log.warning("could not sync app commands: %s", exc)

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: the cog handles messages (this stops CommandNotFound noise)."""
