"""Discord adapter (discord.py): gateway events -> Inbound, actions -> messages and buttons."""

from adapters.discord.adapter import DiscordAdapter, build_discord

__all__ = ["DiscordAdapter", "build_discord"]
