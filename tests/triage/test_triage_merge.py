"""The merge with LLM-suggested fields only ever raises; nothing the LLM says removes a
local signal or lowers priority."""

from __future__ import annotations

from bot.triage import Intent, Sentiment, Signal, Triage, merge_llm_triage
from bot.triage.merge import MergeRules


def _local(**changes: object) -> Triage:
    fields: dict[str, object] = {
        "intent": Intent.PROBLEM,
        "category": "billing",
        "sentiment": Sentiment.NEGATIVE,
        "frustration": 0.4,
        "signals": (Signal.LEGAL_THREAT,),
        "priority": 8,
    }
    fields.update(changes)
    return Triage(**fields)  # type: ignore[arg-type]


def test_llm_cannot_remove_signals_or_lower_anything() -> None:
    local = _local()
    merged = merge_llm_triage(
        local,
        {
            "intent": "greeting",
            "sentiment": "positive",
            "frustration": 0.0,
            "signals": [],
            "priority_suggestion": 1,
            "escalate_suggestion": False,
        },
        lexicon_intent=False,
    )
    assert Signal.LEGAL_THREAT in merged.signals
    assert merged.sentiment is Sentiment.NEGATIVE
    assert merged.frustration == 0.4
    assert merged.priority >= local.priority


def test_llm_adds_confident_semantic_signals_only() -> None:
    merged = merge_llm_triage(
        _local(signals=()),
        {"signals": {"churn_threat": 0.9, "time_pressure": 0.2, "profanity": 1.0, "bogus": 1}},
        lexicon_intent=False,
    )
    assert merged.signals == (Signal.CHURN_THREAT,)
    as_list = merge_llm_triage(
        _local(signals=()), {"signals": ["safety", "all_caps"]}, lexicon_intent=False
    )
    assert as_list.signals == (Signal.SAFETY,)


def test_takes_max_frustration_and_more_negative_sentiment() -> None:
    merged = merge_llm_triage(
        _local(), {"frustration": 0.9, "sentiment": "angry"}, lexicon_intent=False
    )
    assert merged.frustration == 0.9
    assert merged.sentiment is Sentiment.ANGRY
    assert merged.priority >= _local().priority


def test_intent_and_category_rules() -> None:
    categories = ("billing", "accounts")
    merged = merge_llm_triage(
        _local(),
        {"intent": "question", "category": "accounts"},
        lexicon_intent=False,
        categories=categories,
    )
    assert (merged.intent, merged.category) == (Intent.QUESTION, "accounts")
    unknown = merge_llm_triage(
        _local(), {"category": "made-up"}, lexicon_intent=False, categories=categories
    )
    assert unknown.category == "billing"
    kept = merge_llm_triage(
        _local(intent=Intent.HUMAN_REQUEST), {"intent": "question"}, lexicon_intent=True
    )
    assert kept.intent is Intent.HUMAN_REQUEST


def test_prompt_injection_makes_the_llm_intent_and_category_ignored() -> None:
    local = _local(signals=(Signal.PROMPT_INJECTION,), priority=4)
    merged = merge_llm_triage(
        local,
        {"intent": "greeting", "category": "accounts", "frustration": 0.8},
        lexicon_intent=False,
        categories=("billing", "accounts"),
    )
    assert (merged.intent, merged.category) == (Intent.PROBLEM, "billing")
    assert merged.frustration == 0.8  # raising evidence still counts


def test_llm_priority_raise_is_capped() -> None:
    local = _local(
        intent=Intent.QUESTION, signals=(), priority=3, frustration=0.0, sentiment=Sentiment.NEUTRAL
    )
    merged = merge_llm_triage(
        local,
        {"priority_suggestion": 10},
        lexicon_intent=False,
        rules=MergeRules(max_priority_raise=2),
    )
    assert merged.priority == 5


def test_empty_suggestion_changes_nothing() -> None:
    local = _local()
    assert merge_llm_triage(local, {}, lexicon_intent=False) is local
