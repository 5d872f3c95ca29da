"""Sentiment labels: VADER polarity plus the anger lexicon, profanity and shouting."""

from __future__ import annotations

import pytest

from bot.triage.sentiment import read_sentiment
from bot.triage.signals import lexical_signals
from bot.triage.types import Sentiment


def _label(text: str) -> Sentiment:
    return read_sentiment(text, lexical_signals(text)).label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thanks, that worked great!", Sentiment.POSITIVE),
        ("How do I reset my password?", Sentiment.NEUTRAL),
        ("I have a problem with my invoice", Sentiment.NEGATIVE),
        ("This is ridiculous, your app deleted my files!!! Fix it NOW", Sentiment.ANGRY),
        ("this shit is broken again", Sentiment.ANGRY),
        ("I HATE THIS APP", Sentiment.ANGRY),
        # VADER alone scores this positive ("support", "joke"); the anger lexicon does not.
        ("Your support is a joke", Sentiment.NEGATIVE),
        # Profanity in praise is not anger.
        ("this is fucking awesome", Sentiment.POSITIVE),
    ],
)
def test_sentiment_labels(text: str, label: Sentiment) -> None:
    assert _label(text) is label


def test_anger_is_zero_for_positive_and_grows_with_markers() -> None:
    calm = read_sentiment("Thanks!", lexical_signals("Thanks!"))
    cross = "This is unacceptable"
    furious = "This is UNACCEPTABLE and RIDICULOUS!!! what the hell"
    assert calm.anger == 0.0
    assert (
        read_sentiment(furious, lexical_signals(furious)).anger
        > read_sentiment(cross, lexical_signals(cross)).anger
    )
