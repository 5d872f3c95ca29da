"""Priority ordering: stakes first, then tone, frustration, signals and VIP."""

from __future__ import annotations

from bot.triage import TriageContext
from bot.triage.priority import compute_priority
from bot.triage.types import Intent, Sentiment, Signal


def test_priority_orders_messages_by_stakes(triager) -> None:
    ranked = [
        "My laptop battery is swelling and smoke is coming out",
        "I'm going to sue you if this isn't fixed",
        "This is ridiculous, your app deleted my files!!! Fix it NOW",
        "How do I change my username?",
        "hello",
    ]
    priorities = [triager.triage(text).priority for text in ranked]
    assert priorities == sorted(priorities, reverse=True)
    assert len(set(priorities)) == len(priorities)
    assert priorities[0] == 10


def test_vip_and_repetition_raise_priority(triager) -> None:
    text = "The export fails with an error"
    plain = triager.triage(text).priority
    assert triager.triage(text, TriageContext(is_vip=True)).priority > plain
    assert triager.triage(text, TriageContext(failed_attempts=3)).priority > plain


def test_floors_do_not_depend_on_tone() -> None:
    polite_fraud = compute_priority(
        Intent.QUESTION, Sentiment.POSITIVE, 0.0, {Signal.SECURITY_OR_FRAUD}
    )
    assert polite_fraud >= 8
    assert compute_priority(Intent.GREETING, Sentiment.POSITIVE, 0.0, set()) == 1
    maxed = compute_priority(Intent.PROBLEM, Sentiment.ANGRY, 1.0, set(Signal), is_vip=True)
    assert maxed == 10
