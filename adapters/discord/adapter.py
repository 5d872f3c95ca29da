"""The Discord adapter: messages and button presses in, rendered actions out.

`message_received` turns a message into an `Inbound` (or a handoff relay) and delivers
what the engine answers; `deliver` renders any Discord action, also ones that arrive with
no event (scheduled reminders, cross-platform relays). Every send passes
`AllowedMentions.none()`, so nothing the bot writes can ping anyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import discord

from adapters.discord import events
from adapters.discord.bot import NO_MENTIONS, SupportBot, use_api_base
from adapters.discord.components import escalation_view, rating_view
from adapters.discord.render import (
    attributed,
    card_embed,
    safe,
    sources_embed,
    split_message,
    thread_name,
)
from bot.runtime import Runtime
from bot.service import forward
from bot.types import (
    Action,
    AgentRef,
    AskRating,
    Place,
    Platform,
    PostEscalation,
    PostInThread,
    PrivateNotice,
    Reply,
    UpdateCard,
    action_platform,
)

log = logging.getLogger(__name__)

# Interaction tokens live 15 minutes; past 14 a follow-up falls back to a normal message.
FOLLOWUP_WINDOW = timedelta(minutes=14)


def fresh(interaction: discord.Interaction[Any] | None) -> bool:
    if interaction is None:
        return False
    return discord.utils.utcnow() - interaction.created_at < FOLLOWUP_WINDOW


class DiscordAdapter:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        use_api_base(self.settings.discord_api_base)
        self.bot = SupportBot(self)
        self._threads: dict[int, int] = {}  # a message -> the thread the bot opened on it
        self._agents_guild: int | None = None
        self._parents: dict[int, int | None] = {}  # uncached channel -> thread parent

    # --- lifecycle ----------------------------------------------------------------------
    async def run(self) -> None:
        """Log in and serve until cancelled or closed."""
        self.settings.require_discord()
        assert self.settings.discord_token is not None
        try:
            await self.bot.start(self.settings.discord_token.get_secret_value())
        finally:
            if not self.bot.is_closed():
                await self.bot.close()

    async def close(self) -> None:
        await self.bot.close()

    # --- inbound ------------------------------------------------------------------------
    @property
    def _bot_id(self) -> int | None:
        return self.bot.user.id if self.bot.user else None

    async def message_received(self, message: discord.Message) -> None:
        if events.ignorable(message, self._bot_id):
            return
        place = events.where(message, await self._uncached_thread_parent(message))
        desk = self.settings.discord_agents_channel
        if desk and place.channel == desk:
            if place.in_thread:
                await self._handoff_message(message, place)
            return  # chatter in the agents channel itself is not a customer question
        if not await self._is_customer_message(message, place):
            return
        from_agent = not place.is_dm and events.has_role(
            message.author, self.settings.discord_agent_role
        )
        inbound = events.to_inbound(message, place, bot_user_id=self._bot_id, from_agent=from_agent)
        actions = await self.runtime.engine.handle(inbound)
        await self.deliver(actions, origin=message)

    async def _uncached_thread_parent(self, message: discord.Message) -> int | None:
        """A guild channel missing from the cache may be a thread: ask Discord its parent."""
        if message.guild is None or not isinstance(message.channel, discord.PartialMessageable):
            return None
        channel_id = message.channel.id
        if channel_id not in self._parents:
            try:
                data = await self.bot.http.get_channel(channel_id)
            except discord.HTTPException:
                return None
            is_thread = data.get("type") in (10, 11, 12)
            self._parents[channel_id] = int(data["parent_id"]) if is_thread else None
        return self._parents[channel_id]

    async def _is_customer_message(self, message: discord.Message, place: events.Where) -> bool:
        if place.is_dm or place.channel in self.settings.discord_help_channels:
            return True
        if self.bot.user is not None and self.bot.user in message.mentions:
            return True
        if not place.in_thread:
            return False
        conversation = await asyncio.to_thread(
            self.runtime.store.find_conversation,
            Platform.DISCORD.value,
            place.workspace,
            place.channel,
            place.thread,
        )
        return conversation is not None

    async def _handoff_message(self, message: discord.Message, place: events.Where) -> None:
        """An agent typing in a card's thread: relayed to the customer once claimed."""
        agent = await self._agent(message.author, message.guild.id if message.guild else None)
        desk = self.runtime.handoff.desk
        thread = Place(desk.platform, desk.workspace, desk.channel, place.thread)
        actions = await asyncio.to_thread(
            self.runtime.handoff.agent_message_in_thread, thread, agent, message.content
        )
        await self.deliver(actions)

    async def _agent(self, user: discord.abc.User, guild_id: int | None) -> AgentRef:
        """Agent = holds the configured role, in the guild of the agents channel."""
        is_agent = (
            guild_id is not None
            and events.has_role(user, self.settings.discord_agent_role)
            and guild_id == await self.agents_guild_id()
        )
        return AgentRef(
            Platform.DISCORD,
            str(guild_id) if guild_id is not None else events.DM_WORKSPACE,
            str(user.id),
            user.display_name,
            is_agent,
        )

    async def agents_guild_id(self) -> int | None:
        channel_id = self.settings.discord_agents_channel
        if self._agents_guild is None and channel_id:
            channel = self.bot.get_channel(int(channel_id))
            if channel is not None and getattr(channel, "guild", None) is not None:
                self._agents_guild = channel.guild.id  # type: ignore[union-attr]
            else:
                try:
                    data = await self.bot.http.get_channel(int(channel_id))
                except discord.HTTPException:
                    return None
                guild = data.get("guild_id")
                self._agents_guild = int(guild) if guild else None
        return self._agents_guild

    # --- interactions -------------------------------------------------------------------
    async def escalation_pressed(
        self, interaction: discord.Interaction[Any], action: str, public_id: str
    ) -> None:
        await interaction.response.defer()  # acknowledge within 3 s; the card edit follows
        agent = await self._agent(interaction.user, interaction.guild_id)
        actions = await asyncio.to_thread(self.runtime.handoff.press, action, public_id, agent)
        await self.deliver(actions, interaction=interaction)

    async def rating_pressed(self, interaction: discord.Interaction[Any], value: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        workspace = str(interaction.guild_id) if interaction.guild_id else events.DM_WORKSPACE
        try:
            await asyncio.to_thread(
                self.runtime.handoff.rate_from_button,
                value,
                Platform.DISCORD,
                workspace,
                str(interaction.user.id),
            )
            text = f"Thanks for rating the help ({value.rpartition(':')[2]}/5)!"
        except (ValueError, PermissionError, LookupError):
            text = "Only the person who asked can rate this conversation."
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def share_pressed(self, interaction: discord.Interaction[Any]) -> None:
        """Post an ephemeral /kb result in the channel, for everyone to see."""
        await interaction.response.defer()
        embeds = interaction.message.embeds if interaction.message else []
        channel_id = interaction.channel_id or (
            interaction.message.channel.id if interaction.message else None
        )
        if channel_id is None or not embeds:
            return
        channel = self.bot.get_partial_messageable(channel_id)
        await channel.send(
            safe(f"{interaction.user.display_name} shared from the knowledge base:"),
            embeds=embeds[:10],
            allowed_mentions=NO_MENTIONS,
        )

    # --- outbound -----------------------------------------------------------------------
    async def deliver(
        self,
        actions: Sequence[Action],
        *,
        origin: discord.Message | None = None,
        interaction: discord.Interaction[Any] | None = None,
    ) -> None:
        """Render the Discord actions among `actions`; others go to their own adapters."""
        await forward(actions, origin=Platform.DISCORD)
        for action in actions:
            if action_platform(action) is not Platform.DISCORD:
                continue
            try:
                await self._deliver_one(action, origin, interaction)
            except discord.HTTPException:
                log.exception("could not deliver %s", type(action).__name__)

    async def _deliver_one(
        self,
        action: Action,
        origin: discord.Message | None,
        interaction: discord.Interaction[Any] | None,
    ) -> None:
        if isinstance(action, Reply):
            target = await self._reply_target(action.channel, action.thread, origin)
            await self._send(target, action.text, embed=sources_embed(action.citations))
        elif isinstance(action, PostEscalation):
            await self._post_escalation(action)
        elif isinstance(action, UpdateCard):
            desk = self.bot.get_partial_messageable(int(action.desk.channel))
            await desk.get_partial_message(int(action.message)).edit(
                embed=card_embed(action.card),
                view=escalation_view(action.card.buttons),
                allowed_mentions=NO_MENTIONS,
            )
        elif isinstance(action, PostInThread):
            target = await self._reply_target(action.place.channel, action.place.thread, origin)
            await self._send(target, attributed(action.text, action.author))
        elif isinstance(action, PrivateNotice):
            await self._private(action, interaction)
        elif isinstance(action, AskRating):
            target = await self._reply_target(action.place.channel, action.place.thread, origin)
            await target.send(
                safe(action.text), view=rating_view(action.buttons), allowed_mentions=NO_MENTIONS
            )
        else:
            log.warning("no Discord rendering for %s", type(action).__name__)

    async def _reply_target(
        self, channel: str, thread: str | None, origin: discord.Message | None
    ) -> discord.abc.Messageable:
        """The conversation's thread; opened on the customer's message the first time."""
        if (
            origin is not None
            and thread == str(origin.id)
            and origin.guild is not None
            and not isinstance(origin.channel, discord.Thread)
        ):
            opened = self._threads.get(origin.id)
            if opened is None:
                created = await origin.create_thread(
                    name=thread_name(origin.content), auto_archive_duration=1440
                )
                opened = self._threads[origin.id] = created.id
            return self.bot.get_partial_messageable(opened)
        if origin is not None and thread == str(origin.channel.id):
            return origin.channel  # an existing thread, forum post or DM
        return self.bot.get_partial_messageable(int(thread or channel))

    async def _send(
        self, target: discord.abc.Messageable, text: str, *, embed: discord.Embed | None = None
    ) -> list[discord.Message]:
        chunks = split_message(safe(text)) or ["…"]
        sent = []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            extra = {"embed": embed} if last and embed is not None else {}
            sent.append(await target.send(chunk, allowed_mentions=NO_MENTIONS, **extra))
        return sent

    async def _post_escalation(self, action: PostEscalation) -> None:
        desk = self.bot.get_partial_messageable(int(action.desk.channel))
        card = await desk.send(
            embed=card_embed(action.card),
            view=escalation_view(action.card.buttons),
            allowed_mentions=NO_MENTIONS,
        )
        data = await self.bot.http.start_thread_with_message(
            desk.id,
            card.id,
            name=thread_name(f"Handoff {action.card.escalation_id}"),
            auto_archive_duration=1440,
            reason="escalation handoff",
        )
        thread = self.bot.get_partial_messageable(int(data["id"]))
        await self._send(thread, action.summary)
        await asyncio.to_thread(
            self.runtime.handoff.card_posted,
            action.card.escalation_id,
            action.desk,
            str(card.id),
            str(thread.id),
        )

    async def _private(
        self, notice: PrivateNotice, interaction: discord.Interaction[Any] | None
    ) -> None:
        if fresh(interaction) and str(interaction.user.id) == notice.user:  # type: ignore[union-attr]
            await interaction.followup.send(  # type: ignore[union-attr]
                safe(notice.text), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        dm = await self.bot.create_dm(discord.Object(id=int(notice.user)))
        await self._send(dm, notice.text)


def build_discord(runtime: Runtime) -> DiscordAdapter:
    """The Discord adapter for `serve(runtime, [d.run], {Platform.DISCORD: d.deliver})`."""
    return DiscordAdapter(runtime)
