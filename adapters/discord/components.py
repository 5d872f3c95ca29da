"""Persistent buttons: `DynamicItem`s whose `custom_id` carries all they need.

A card posted before a restart still works after it: the bot registers these classes
(`Bot.add_dynamic_items`) and discord.py rebuilds the item from the pressed button's
`custom_id`. State is never in the id beyond the escalation's public id (or the rating's
conversation and score); every press re-reads the database through the core.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.render import button_style
from bot.types import Button

if TYPE_CHECKING:
    from adapters.discord.adapter import DiscordAdapter

ESCALATION_ACTIONS = ("claim", "resolve", "draft", "back_to_bot", "release")


def _adapter(interaction: discord.Interaction[Any]) -> DiscordAdapter:
    return interaction.client.adapter  # type: ignore[attr-defined, no-any-return]


class EscalationButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"esc:(?P<action>claim|resolve|draft|back_to_bot|release):(?P<id>[0-9a-f]{16})",
):
    def __init__(self, action: str, public_id: str, label: str = "", style: Any = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or action.replace("_", " ").title(),
                style=style or discord.ButtonStyle.secondary,
                custom_id=f"esc:{action}:{public_id}",
            )
        )
        self.action = action
        self.public_id = public_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> EscalationButton:
        button = item if isinstance(item, discord.ui.Button) else None
        return cls(
            match["action"],
            match["id"],
            button.label or "" if button else "",
            button.style if button else None,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _adapter(interaction).escalation_pressed(interaction, self.action, self.public_id)


class RatingButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"rate:(?P<value>\d+:[1-5])"
):
    def __init__(self, value: str, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or value.rpartition(":")[2],
                style=discord.ButtonStyle.secondary,
                custom_id=f"rate:{value}",
            )
        )
        self.value = value

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RatingButton:
        return cls(match["value"], getattr(item, "label", "") or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _adapter(interaction).rating_pressed(interaction, self.value)


class ShareButton(discord.ui.DynamicItem[discord.ui.Button], template=r"kb:share"):
    """On an ephemeral /kb result: posts the same result in the channel for everyone."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label="Share", style=discord.ButtonStyle.primary, custom_id="kb:share"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ShareButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _adapter(interaction).share_pressed(interaction)


DYNAMIC_ITEMS = (EscalationButton, RatingButton, ShareButton)


def escalation_view(buttons: tuple[Button, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in buttons:
        if button.action in ESCALATION_ACTIONS:
            view.add_item(
                EscalationButton(button.action, button.value, button.label, button_style(button))
            )
    return view


def rating_view(buttons: tuple[Button, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(RatingButton(button.value, button.label))
    return view


def share_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ShareButton())
    return view
