"""Hygiene for text that arrives from people: invisible characters, control bytes, length.

Applied once at intake so every later step (search, answer, storage) sees the same text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width and bidi-control characters that change nothing visible but can hide content
# or split keywords ("pass\u200bword") so search misses them.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
# C0/C1 control characters except tab and newline.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t]+")
_SPACE_AROUND_NEWLINE = re.compile(r" *\n *")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class CleanText:
    text: str  # the whole cleaned message: this is what is stored, so nothing is lost
    head: str  # the part the bot reads (search, answer): at most max_chars
    truncated: bool  # the message was longer than max_chars


def clean_message(raw: str, *, max_chars: int) -> CleanText:
    """Normalize (NFKC), drop invisible and control characters, collapse spacing, cap length."""
    text = unicodedata.normalize("NFKC", raw)
    text = _INVISIBLE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if len(text) > max_chars:
        return CleanText(text, text[:max_chars].rstrip(), truncated=True)
    return CleanText(text, text, truncated=False)


_MASS_MENTIONS = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)


def defuse_mass_mentions(text: str) -> str:
    """Break @everyone/@here/@channel with a zero-width joiner so no platform pings anyone.

    Adapters also disable mentions at the API level; this is the belt to those braces.
    """
    return _MASS_MENTIONS.sub(lambda m: "@\u2060" + m.group(1), text)
