"""The escalation router: every required reason escalates, clarify where it is better,
the LLM cannot suppress a required escalation, and thresholds come from the policy."""

from __future__ import annotations

import itertools

import pytest

from bot.answering.base import AnswerResult
from bot.escalation import (
    DecisionInput,
    EscalationPolicy,
    EscalationRouter,
    llm_route_suggestion,
)
from bot.triage import Intent, Sentiment, Signal, Triage, merge_llm_triage
from bot.types import Decision

ROUTER = EscalationRouter()


def _triage(**changes: object) -> Triage:
    fields: dict[str, object] = {
        "intent": Intent.QUESTION,
        "category": "billing",
        "sentiment": Sentiment.NEUTRAL,
        "frustration": 0.1,
        "signals": (),
        "priority": 3,
    }
    fields.update(changes)
    return Triage(**fields)  # type: ignore[arg-type]


def _input(triage: Triage | None = None, **changes: object) -> DecisionInput:
    fields: dict[str, object] = {
        "retrieval_confidence": 0.9,
        "answer_present": True,
        "answer_confidence": 0.9,
        "word_count": 12,
    }
    fields.update(changes)
    return DecisionInput(triage or _triage(), **fields)  # type: ignore[arg-type]


def test_confident_answer_is_answered_with_its_evidence() -> None:
    decision = ROUTER.decide(_input())
    assert decision.action is Decision.ANSWER
    assert decision.reasons[0].startswith("retrieval_confidence:0.9>=")


@pytest.mark.parametrize(
    ("triage", "reason"),
    [
        (_triage(signals=(Signal.EXPLICIT_HUMAN_REQUEST,)), "explicit_human_request"),
        (_triage(intent=Intent.HUMAN_REQUEST), "explicit_human_request"),
        (_triage(signals=(Signal.LEGAL_THREAT,)), "legal_threat"),
        (_triage(signals=(Signal.SECURITY_OR_FRAUD,)), "security_or_fraud"),
        (_triage(signals=(Signal.SAFETY,)), "safety"),
        (_triage(frustration=0.82), "frustration:0.82>=0.7"),
        (_triage(priority=9), "priority:9>=9"),
    ],
)
def test_each_required_escalation(triage: Triage, reason: str) -> None:
    decision = ROUTER.decide(_input(triage))
    assert decision.action is Decision.ESCALATE
    assert reason in decision.reasons


def test_repeated_failure_escalates() -> None:
    decision = ROUTER.decide(_input(failed_attempts=3))
    assert decision.action is Decision.ESCALATE
    assert decision.reasons == ("repeated_failure:3>=3",)
    assert ROUTER.decide(_input(failed_attempts=2)).action is Decision.ANSWER


def test_llm_failure_escalates() -> None:
    result = AnswerResult(text=None, cited_doc_ids=(), confidence=0.0, error="overloaded")
    decision = ROUTER.decide(DecisionInput.from_answer(_triage(), 0.9, result, word_count=8))
    assert decision.action is Decision.ESCALATE
    assert "llm_failure" in decision.reasons


def test_low_retrieval_confidence_escalates_a_specific_question() -> None:
    decision = ROUTER.decide(_input(retrieval_confidence=0.31))
    assert decision.action is Decision.ESCALATE
    assert decision.reasons == ("low_retrieval_confidence:0.31<0.52",)


def test_low_answer_confidence_and_missing_answer_escalate() -> None:
    low = ROUTER.decide(_input(answer_confidence=0.2))
    assert low.action is Decision.ESCALATE
    assert low.reasons == ("low_answer_confidence:0.2<0.5",)
    none = ROUTER.decide(_input(retrieval_confidence=None, answer_present=False))
    assert none.reasons == ("no_retrieval_hits", "no_answer")


def test_short_vague_first_message_is_clarified_not_escalated() -> None:
    decision = ROUTER.decide(_input(retrieval_confidence=0.2, answer_present=False, word_count=2))
    assert decision.action is Decision.CLARIFY
    assert decision.clarify_reason == "short_message:2<=3"
    assert "low_retrieval_confidence:0.2<0.52" in decision.reasons


def test_ambiguous_categories_are_clarified() -> None:
    decision = ROUTER.decide(_input(retrieval_confidence=0.4, ambiguous=True))
    assert decision.action is Decision.CLARIFY
    assert decision.clarify_reason == "ambiguous"


def test_clarify_only_once_and_only_on_first_attempt() -> None:
    vague = {"retrieval_confidence": 0.2, "answer_present": False, "word_count": 2}
    again = ROUTER.decide(_input(clarifications_asked=1, **vague))
    assert again.action is Decision.ESCALATE
    later = ROUTER.decide(_input(failed_attempts=1, **vague))
    assert later.action is Decision.ESCALATE


def test_llm_can_ask_for_clarification() -> None:
    decision = ROUTER.decide(_input(llm_suggestion={"clarifying_question": "Which plan?"}))
    assert decision.action is Decision.CLARIFY
    assert decision.reasons == ("llm_suggested_clarify",)


def test_llm_escalation_suggestion_escalates_and_is_labelled() -> None:
    decision = ROUTER.decide(_input(llm_suggestion={"escalate_suggestion": True}))
    assert decision.action is Decision.ESCALATE
    assert decision.reasons == ("llm_suggested",)
    both = ROUTER.decide(
        _input(
            _triage(signals=(Signal.LEGAL_THREAT,)), llm_suggestion={"escalate_suggestion": True}
        )
    )
    assert both.reasons == ("legal_threat", "llm_suggested")


def test_llm_suggestion_cannot_suppress_a_legal_threat_escalation() -> None:
    """An injected message and an LLM that plays along: still escalated, priority kept."""
    local = _triage(
        intent=Intent.PROBLEM,
        sentiment=Sentiment.NEGATIVE,
        signals=(Signal.LEGAL_THREAT, Signal.PROMPT_INJECTION),
        priority=8,
    )
    llm_fields = {
        "intent": "greeting",
        "sentiment": "positive",
        "frustration": 0.0,
        "signals": [],
        "priority_suggestion": 1,
        "escalate_suggestion": False,
        "clarifying_question": "Anything else?",
    }
    merged = merge_llm_triage(local, llm_fields, lexicon_intent=False)
    result = AnswerResult(text="Sure!", cited_doc_ids=("d1",), confidence=0.99, triage=llm_fields)
    decision = ROUTER.decide(DecisionInput.from_answer(merged, 0.95, result, word_count=20))
    assert decision.action is Decision.ESCALATE
    assert "legal_threat" in decision.reasons
    assert decision.priority >= 8


def test_greeting_is_clarified_and_thanks_acknowledged() -> None:
    hello = ROUTER.decide(_input(_triage(intent=Intent.GREETING), retrieval_confidence=None))
    assert (hello.action, hello.reasons) == (Decision.CLARIFY, ("greeting",))
    thanks = _triage(intent=Intent.FEEDBACK, sentiment=Sentiment.POSITIVE)
    ack = ROUTER.decide(_input(thanks, retrieval_confidence=0.1, answer_present=False))
    assert ack.action is Decision.ANSWER


def test_reasons_are_never_empty_for_escalate_or_clarify() -> None:
    triages = [
        _triage(),
        _triage(intent=Intent.GREETING),
        _triage(signals=(Signal.SAFETY,)),
        _triage(frustration=0.9),
        _triage(intent=Intent.FEEDBACK, sentiment=Sentiment.NEGATIVE),
    ]
    grid = itertools.product(
        triages,
        (None, 0.1, 0.6, 0.95),  # retrieval confidence
        (True, False),  # answer present
        (None, 0.2, 0.9),  # answer confidence
        (None, "timeout"),  # answer error
        (0, 1, 3),  # failed attempts
        (True, False),  # ambiguous
        (1, 10),  # word count
        ({}, {"escalate_suggestion": True}, {"escalate_suggestion": "clarify"}),
    )
    for tri, ret, present, conf, err, failed, amb, words, llm in grid:
        decision = ROUTER.decide(
            DecisionInput(tri, ret, present, conf, err, failed, amb, words, 0, llm)
        )
        if decision.action is not Decision.ANSWER:
            assert decision.reasons, decision
        if decision.action is Decision.CLARIFY:
            assert decision.clarify_reason


def test_thresholds_come_from_the_policy() -> None:
    strict = EscalationRouter(
        EscalationPolicy(
            min_retrieval_confidence=0.95,
            min_answer_confidence=0.95,
            max_failed_attempts=1,
            frustration_threshold=0.3,
            clarify_max_words=10,
            escalate_min_priority=4,
        )
    )
    inp = _input()
    assert ROUTER.decide(inp).action is Decision.ANSWER
    decision = strict.decide(_input(retrieval_confidence=0.9, answer_confidence=0.9))
    assert decision.reasons == (
        "low_retrieval_confidence:0.9<0.95",
        "low_answer_confidence:0.9<0.95",
    )
    assert strict.decide(_input(failed_attempts=1)).reasons == ("repeated_failure:1>=1",)
    assert strict.decide(_input(_triage(frustration=0.35))).reasons == ("frustration:0.35>=0.3",)
    assert strict.decide(_input(_triage(priority=4))).reasons == ("priority:4>=4",)
    short = strict.decide(_input(retrieval_confidence=0.9, word_count=8))
    assert (short.action, short.clarify_reason) == (Decision.CLARIFY, "short_message:8<=10")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"escalate_suggestion": True}, Decision.ESCALATE),
        ({"escalate_suggestion": "escalate"}, Decision.ESCALATE),
        ({"escalate_suggestion": "clarify"}, Decision.CLARIFY),
        ({"clarify_suggestion": True}, Decision.CLARIFY),
        ({"escalate_suggestion": False}, None),
        ({"escalate_suggestion": "no"}, None),
        ({}, None),
    ],
)
def test_llm_route_suggestion_parsing(fields: dict[str, object], expected: Decision | None) -> None:
    assert llm_route_suggestion(fields) is expected


def test_decision_json_shape() -> None:
    decision = ROUTER.decide(_input(_triage(signals=(Signal.SAFETY,), priority=10)))
    assert decision.to_json() == {
        "action": "escalate",
        "reasons": ["safety", "priority:10>=9"],
        "priority": 10,
        "clarify_reason": None,
    }
