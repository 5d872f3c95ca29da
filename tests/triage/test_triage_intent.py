"""Intent on clear examples: embedding prototypes plus the lexicon overrides."""

from __future__ import annotations

import pytest

from bot.triage.intent import lexicon_intent, strip_greeting
from bot.triage.signals import lexical_signals
from bot.triage.types import Intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("What file formats can I import?", Intent.QUESTION),
        ("Please close my account", Intent.ACTION_REQUEST),
        ("My upload gets stuck at 99%", Intent.PROBLEM),
        ("Which payment methods do you accept?", Intent.QUESTION),
        ("The app crashes every time I open the settings page", Intent.PROBLEM),
        ("The sync has not worked since yesterday", Intent.PROBLEM),
        ("Please delete my account", Intent.ACTION_REQUEST),
        ("Can you send me my invoice for March?", Intent.ACTION_REQUEST),
        ("Your new dashboard is great, well done", Intent.FEEDBACK),
        ("Thanks, that worked!", Intent.FEEDBACK),
        ("I want to talk to a human", Intent.HUMAN_REQUEST),
        ("hello", Intent.GREETING),
        ("Good morning team!", Intent.GREETING),
        ("Hi team, my export keeps failing with an error", Intent.PROBLEM),
    ],
)
def test_intent_on_clear_examples(triager, text: str, intent: Intent) -> None:
    assert triager.triage(text).intent is intent


def test_negated_human_request_is_not_human_request_intent(triager) -> None:
    assert triager.triage("I don't want a human, just tell me how to export").intent is not (
        Intent.HUMAN_REQUEST
    )


def test_lexicon_overrides_only_sure_cases() -> None:
    assert lexicon_intent("hey there!", set()) is Intent.GREETING
    assert lexicon_intent("thanks a lot!", set()) is Intent.FEEDBACK
    text = "get me a manager"
    assert lexicon_intent(text, lexical_signals(text)) is Intent.HUMAN_REQUEST
    assert lexicon_intent("hey, where is my invoice?", set()) is None


def test_strip_greeting_keeps_the_request() -> None:
    assert strip_greeting("Hi team, my export fails") == "my export fails"
    assert strip_greeting("Hello!") == "Hello!"


def test_category_is_the_vote_of_the_top_hits(triager) -> None:
    from bot.triage.category import categories_near_tied, rank_categories

    hits = [("billing", 0.62), ("accounts", 0.7), ("billing", 0.6), ("billing", 0.58)]
    assert triager.triage("Where is my invoice?", hits=hits).category == "billing"
    assert triager.triage("Where is my invoice?").category is None
    assert not categories_near_tied(rank_categories(hits))
    assert categories_near_tied(rank_categories([("billing", 0.6), ("accounts", 0.59)]))


@pytest.mark.parametrize("text", ["am kind of busy now", "suo2", "king of acid"])
def test_only_the_lexicon_calls_something_a_greeting(triager, text: str) -> None:
    assert triager.triage(text).intent is not Intent.GREETING
