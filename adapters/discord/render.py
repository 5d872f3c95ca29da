"""Actions -> Discord message parts: content chunks, embeds and button rows.

Pure functions over `bot.types`; nothing here talks to Discord. Every text that leaves
the bot goes through `safe()` (mass mentions defused) and `split_message()` (Discord's
2,000-character limit, never cutting a ``` code block or a markdown link in two).
"""

from __future__ import annotations

import re

import discord

from bot.message_split import split_message as split_pieces
from bot.text import defuse_mass_mentions
from bot.types import Button, CardView, Citation

MESSAGE_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024
EMBED_TITLE_LIMIT = 256

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    None: discord.ButtonStyle.secondary,
}
_PRIORITY_COLOURS = ((8, 0xE74C3C), (5, 0xF39C12), (0, 0x3498DB))


def safe(text: str) -> str:
    """Text as the bot may send it: @everyone / @here defused (the API blocks pings too)."""
    return defuse_mass_mentions(text)


def button_style(button: Button) -> discord.ButtonStyle:
    return _STYLES.get(button.style, discord.ButtonStyle.secondary)


# --- splitting ------------------------------------------------------------------------------
def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut text into messages of Discord's size (bot.message_split says how)."""
    return split_pieces(text, limit)


# --- embeds ---------------------------------------------------------------------------------
def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sources_embed(citations: tuple[Citation, ...]) -> discord.Embed | None:
    """The citations of an answer as one embed of links (titles alone when there is no url)."""
    if not citations:
        return None
    lines = []
    for citation in citations:
        title = safe(citation.title).replace("[", "(").replace("]", ")")
        lines.append(f"• [{title}]({citation.url})" if citation.url else f"• {title}")
    description = _clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT)
    return discord.Embed(title="Sources", description=description, colour=0x5865F2)


def card_embed(card: CardView) -> discord.Embed:
    colour = next(c for floor, c in _PRIORITY_COLOURS if card.priority >= floor)
    if card.status.startswith(("✅", "🤖")):
        colour = 0x95A5A6
    embed = discord.Embed(
        title=_clip(safe(card.title), EMBED_TITLE_LIMIT),
        description=safe(card.status),
        colour=colour,
    )
    for name, value in card.fields[:25]:
        embed.add_field(
            name=_clip(safe(name), EMBED_TITLE_LIMIT),
            value=_clip(safe(value) or "-", EMBED_FIELD_LIMIT),
            inline=name in {"Opened", "Claimed by", "Resolved"},
        )
    embed.set_footer(text=f"Escalation {card.escalation_id} · P{card.priority}")
    return embed


def kb_embed(question: str, hits: list, limit: int = 3) -> discord.Embed:
    """/kb results: the best passages with their sources, as one embed."""
    embed = discord.Embed(title=_clip(safe(f"KB: {question}"), EMBED_TITLE_LIMIT), colour=0x5865F2)
    if not hits:
        embed.description = "Nothing in the knowledge base matches that."
        return embed
    for hit in hits[:limit]:
        passage = _clip(safe(" ".join(hit.text.split())), 700)
        link = f"\n[{safe(hit.title)}]({hit.url})" if hit.url else ""
        embed.add_field(
            name=_clip(safe(hit.title), EMBED_TITLE_LIMIT),
            value=_clip(passage + link, EMBED_FIELD_LIMIT),
            inline=False,
        )
    return embed


def attributed(text: str, author: str | None) -> str:
    return safe(f"**{author}:** {text}" if author else text)


def thread_name(text: str, fallback: str = "Support") -> str:
    """A thread title from the first words of a message (Discord allows 100 characters)."""
    words = " ".join(safe(text).split())
    words = re.sub(r"<[@#][!&]?\d+>", "", words).strip()
    return _clip(words, 90) or fallback
