"""Sentiment (positive, neutral, negative, angry) from VADER plus an anger lexicon.

VADER scores polarity well on short informal text but has no notion of anger: "your
support is a joke, FIX IT" and "my card was stolen" are both just negative. The anger
score adds what support cares about: hostile words, profanity, shouting, "!!!".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.triage.types import Sentiment, Signal

# VADER's own recommended cut-offs for its compound score.
POSITIVE_COMPOUND = 0.05
NEGATIVE_COMPOUND = -0.05

_ANGER = re.compile(
    r"\b(?:ridiculous|unacceptable|furious|outrageous|useless|pathetic|joke|scam|worst|"
    r"fed\s+up|sick\s+of|sick\s+and\s+tired|waste\s+of\s+(?:my\s+)?time|incompetent|garbage|"
    r"trash|angry|livid|disgust(?:ed|ing)|appalling|absurd|insane|are\s+you\s+(?:kidding|serious)|"
    r"how\s+hard\s+(?:is|can)\s+it|enough\s+is\s+enough|unbelievable|infuriat\w+|"
    r"frustrat(?:ed|ing)|annoy(?:ed|ing)|hate|shame\s+on\s+you|what\s+the\s+hell)\b",
    re.IGNORECASE,
)
_EXCLAIMS = re.compile(r"!{2,}|\?!|!\?")


@dataclass(frozen=True, slots=True)
class SentimentReading:
    """`compound` is VADER's score in [-1, 1]; `anger` is in [0, 1]."""

    label: Sentiment
    compound: float
    anger: float


@lru_cache(maxsize=1)
def _vader():  # the library ships no type hints
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def read_sentiment(text: str, signals: set[Signal] | frozenset[Signal]) -> SentimentReading:
    """Label one message; `signals` are its lexical signals (profanity, all caps)."""
    compound = float(_vader().polarity_scores(text)["compound"])
    anger_words = len(_ANGER.findall(text))
    markers = (
        min(anger_words, 2) * 0.2
        + (0.25 if Signal.PROFANITY in signals else 0.0)
        + (0.2 if Signal.ALL_CAPS in signals else 0.0)
        + (0.1 if _EXCLAIMS.search(text) else 0.0)
    )
    # VADER misses hostility it has no words for ("your support is a joke" scores
    # positive) and shouting; either makes a not-positive message read as negative.
    shouted = bool({Signal.PROFANITY, Signal.ALL_CAPS} & signals) and compound < POSITIVE_COMPOUND
    negative_tone = compound <= NEGATIVE_COMPOUND or anger_words > 0 or shouted
    if not negative_tone:
        label = Sentiment.POSITIVE if compound >= POSITIVE_COMPOUND else Sentiment.NEUTRAL
        return SentimentReading(label, compound, 0.0)
    anger = min(1.0, max(0.0, -compound) * 0.5 + markers)
    if markers >= 0.4 or (markers >= 0.2 and compound <= NEGATIVE_COMPOUND):
        label = Sentiment.ANGRY
    else:
        label = Sentiment.NEGATIVE
    return SentimentReading(label, compound, anger)
