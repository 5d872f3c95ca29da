"""Actions -> Discord message parts: content chunks, embeds and button rows.

Pure functions over `bot.types`; nothing here talks to Discord. Every text that leaves
the bot goes through `safe()` (mass mentions defused) and `split_message()` (Discord's
2,000-character limit, never cutting a ``` code block or a markdown link in two).
"""

from __future__ import annotations

import re

import discord

from bot.text import defuse_mass_mentions
from bot.types import Button, CardView, Citation

MESSAGE_LIMIT = 2000
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_LIMIT = 1024
EMBED_TITLE_LIMIT = 256

_FENCE = re.compile(r"^```")
# A markdown link (kept whole), else a run of non-space characters, else spaces.
_TOKENS = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|<https?://[^>\s]+>|\S+|\s+")
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
def _blocks(text: str) -> list[tuple[str, bool]]:
    """Paragraphs and fenced code blocks, in order; the flag says "code block"."""
    blocks: list[tuple[str, bool]] = []
    lines = text.split("\n")
    paragraph: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line.strip()):
            if paragraph:
                blocks.append(("\n".join(paragraph), False))
                paragraph = []
            code = [line]
            i += 1
            while i < len(lines):
                code.append(lines[i])
                if _FENCE.match(lines[i].strip()):
                    break
                i += 1
            else:  # an unclosed fence: close it so Discord renders the rest as text again
                code.append("```")
            blocks.append(("\n".join(code), True))
        elif not line.strip():
            if paragraph:
                blocks.append(("\n".join(paragraph), False))
                paragraph = []
        else:
            paragraph.append(line)
        i += 1
    if paragraph:
        blocks.append(("\n".join(paragraph), False))
    return blocks


def _split_code(block: str, limit: int) -> list[str]:
    """A code block longer than the limit: cut between lines, closing and reopening the fence."""
    lines = block.split("\n")
    opener, body = lines[0].strip(), lines[1:-1]
    pieces: list[str] = []
    room = limit - len(opener) - len("\n\n```")
    current: list[str] = []
    size = 0
    for line in body:
        while len(line) > room:  # a single monster line: hard cut, still inside fences
            if current:
                pieces.append("\n".join([opener, *current, "```"]))
                current, size = [], 0
            pieces.append("\n".join([opener, line[:room], "```"]))
            line = line[room:]
        if size + len(line) + 1 > room and current:
            pieces.append("\n".join([opener, *current, "```"]))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current or not pieces:
        pieces.append("\n".join([opener, *current, "```"]))
    return pieces


def _split_prose(block: str, limit: int) -> list[str]:
    """A paragraph longer than the limit: cut at spaces, never inside a link."""
    pieces: list[str] = []
    current = ""
    for token in _TOKENS.findall(block):
        if len(current) + len(token) <= limit:
            current += token
            continue
        if current.strip():
            pieces.append(current.rstrip())
        current = "" if token.isspace() else token
        while len(current) > limit:  # one token longer than a message: nothing else to do
            pieces.append(current[:limit])
            current = current[limit:]
    if current.strip():
        pieces.append(current.rstrip())
    return pieces


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut text into messages of at most `limit` characters at paragraph boundaries.

    A code block stays whole when it fits in one message; a longer one is cut between its
    lines and each piece is fenced again. Links are never cut.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: list[str] = []
    for block, is_code in _blocks(text):
        if len(block) <= limit:
            pieces.append(block)
        elif is_code:
            pieces.extend(_split_code(block, limit))
        else:
            pieces.extend(_split_prose(block, limit))
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}\n\n{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


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
