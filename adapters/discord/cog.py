"""Listeners and the `/kb` app command; each hands the work to the adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from adapters.discord.components import share_view
from adapters.discord.render import kb_embed

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

KB_RESULTS = 3


class SupportCog(commands.Cog):
    def __init__(self, adapter: DiscordAdapter) -> None:
        self.adapter = adapter

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.message_received(message)

    # Edits are deliberately not listened to: an edited question is not a new message.

    @app_commands.command(name="kb", description="Look something up in the knowledge base")
    @app_commands.describe(question="What to look up")
    async def kb(self, interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # acknowledge first
        hits = await self.adapter.runtime.knowledge.asearch(question, k=KB_RESULTS)
        kwargs = {"view": share_view()} if hits else {}
        await interaction.followup.send(
            embed=kb_embed(question, hits, KB_RESULTS),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
            **kwargs,
        )
