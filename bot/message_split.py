"""Cut a reply into pieces that fit a platform's message limit, for every adapter alike.

Pieces break at paragraph boundaries where they can, then between words; a ``` code block
stays whole when it fits and is otherwise cut between its lines with each piece fenced
again, so every piece renders on its own. Links are never cut: markdown `[title](url)`
(Discord) and angle-bracket forms `<url|title>`, `<url>`, `<@user>` (Slack, Discord).
"""

from __future__ import annotations

import re

_FENCE = "```"
# A link or mention (kept whole), else a run of non-space characters, else spaces.
_TOKENS = re.compile(r"\[[^\]\n]*\]\([^)\s]*\)|<[^<>\n]+>|\S+|\s+")


def split_message(text: str, limit: int) -> list[str]:
    """`text` in order, as pieces of at most `limit` characters (none for blank text)."""
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


def _blocks(text: str) -> list[tuple[str, bool]]:
    """Paragraphs and fenced code blocks, in order; the flag says "code block"."""
    blocks: list[tuple[str, bool]] = []
    lines = text.split("\n")
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(("\n".join(paragraph), False))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith(_FENCE):
            end_paragraph()
            code = [line]
            if line.count(_FENCE) % 2 == 1:  # an opening fence: the block runs to its close
                i += 1
                while i < len(lines):
                    code.append(lines[i])
                    if lines[i].strip().startswith(_FENCE):
                        break
                    i += 1
                else:  # an unclosed fence: close it so the rest renders as text again
                    code.append(_FENCE)
            blocks.append(("\n".join(code), True))
        elif not line.strip():
            end_paragraph()
        else:
            paragraph.append(line)
        i += 1
    end_paragraph()
    return blocks


def _split_code(block: str, limit: int) -> list[str]:
    """A code block longer than the limit: cut between lines, closing and reopening the fence."""
    lines = block.split("\n")
    opener = lines[0].strip()
    body = lines[1:-1] if len(lines) > 1 and lines[-1].strip() == _FENCE else lines[1:]
    room = limit - len(opener) - len("\n\n" + _FENCE)
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in body:
        while len(line) > room:  # a single monster line: hard cut, still inside fences
            if current:
                pieces.append("\n".join([opener, *current, _FENCE]))
                current, size = [], 0
            pieces.append("\n".join([opener, line[:room], _FENCE]))
            line = line[room:]
        if size + len(line) + 1 > room and current:
            pieces.append("\n".join([opener, *current, _FENCE]))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current or not pieces:
        pieces.append("\n".join([opener, *current, _FENCE]))
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
