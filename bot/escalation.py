"""The escalation router: answer, clarify or escalate, always with machine-readable reasons.

A fixed policy, not a model: every escalation must be explainable to the agent who
receives it and reproducible in a test. The order of the checks is the policy:

1. Required escalations, which nothing can suppress: an explicit human request, high
   stakes (legal threat, security or fraud, safety), repeated failure, frustration over
   the threshold, priority at the top of the scale, an answerer that failed after its
   retries. The LLM's suggestion only adds the reason "llm_suggested" here.
2. The LLM suggested escalating: escalate (asking for a human is the safe direction).
3. A bare greeting: clarify ("how can I help?"); positive feedback: answer (thank) -
   unless the knowledge base answers it confidently, which wins. Neutral "feedback" is
   too often an out-of-scope remark to thank for, so it is routed like any question.
4. Low retrieval or answer confidence (or no answer): clarify when that is better - a
   very short or ambiguous message on the first attempt, or the LLM asked for it, and
   no clarifying question was asked yet - otherwise escalate.
5. Otherwise answer.

The router never reads the message text, so nothing written in it (prompt injection
included) can change a decision except through triage, whose merge only ever raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.answering.base import AnswerResult
from bot.triage.types import HIGH_STAKES_SIGNALS, Intent, Sentiment, Signal, Triage
from bot.types import Decision


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """Thresholds of the router. See docs/routing.md for how each default was set.

    `min_retrieval_confidence` is on the scale of bot.routing_confidence (calibrated on
    CLINC150); the other thresholds are product decisions, not fitted to data.
    """

    min_retrieval_confidence: float = 0.52
    min_answer_confidence: float = 0.5
    max_failed_attempts: int = 3
    frustration_threshold: float = 0.7
    escalate_min_priority: int = 9
    clarify_max_words: int = 3
    max_clarifications: int = 1
    follow_llm_escalation: bool = True
    follow_llm_clarification: bool = True


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """Everything the router looks at for one customer message.

    `retrieval_confidence` is `routing_confidence(...)` of the search candidates (None:
    nothing was retrieved). The answer fields come from the answerer's AnswerResult
    (`from_answer` fills them); `llm_suggestion` is AnswerResult.triage.
    """

    triage: Triage
    retrieval_confidence: float | None
    answer_present: bool = False
    answer_confidence: float | None = None
    answer_error: str | None = None
    failed_attempts: int = 0
    ambiguous: bool = False  # e.g. near-tied categories (bot.triage.category)
    word_count: int | None = None
    clarifications_asked: int = 0
    llm_suggestion: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_answer(
        cls,
        triage: Triage,
        retrieval_confidence: float | None,
        answer: AnswerResult | None,
        *,
        failed_attempts: int = 0,
        ambiguous: bool = False,
        word_count: int | None = None,
        clarifications_asked: int = 0,
    ) -> DecisionInput:
        """Build the input from the answerer's result (None: the answerer did not run)."""
        return cls(
            triage,
            retrieval_confidence,
            answer_present=bool(answer and answer.text and answer.text.strip()),
            answer_confidence=answer.confidence if answer else None,
            answer_error=answer.error if answer else None,
            failed_attempts=failed_attempts,
            ambiguous=ambiguous,
            word_count=word_count,
            clarifications_asked=clarifications_asked,
            llm_suggestion=answer.triage if answer else {},
        )


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    action: Decision
    reasons: tuple[str, ...]
    priority: int
    clarify_reason: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.action.value,
            "reasons": list(self.reasons),
            "priority": self.priority,
            "clarify_reason": self.clarify_reason,
        }


def llm_route_suggestion(suggestion: Mapping[str, object]) -> Decision | None:
    """What the answerer suggested: `escalate_suggestion` as a bool or as one of
    "escalate"/"clarify"/"answer"; or a truthy `clarify_suggestion`/`clarifying_question`."""
    raw = suggestion.get("escalate_suggestion")
    if raw is True:
        return Decision.ESCALATE
    if isinstance(raw, str):
        value = raw.strip().lower()
        if value in {"escalate", "true", "yes"}:
            return Decision.ESCALATE
        if value == "clarify":
            return Decision.CLARIFY
    for key in ("clarify_suggestion", "clarifying_question"):
        value = suggestion.get(key)
        if value is True or (isinstance(value, str) and value.strip()):
            return Decision.CLARIFY
    return None


def _num(value: float) -> str:
    return f"{round(value, 3):g}"


class EscalationRouter:
    def __init__(self, policy: EscalationPolicy = EscalationPolicy()) -> None:
        self.policy = policy

    def decide(self, inp: DecisionInput) -> RoutingDecision:
        triage = inp.triage
        suggested = llm_route_suggestion(inp.llm_suggestion)

        required = self.required_escalation_reasons(inp)
        if required:
            if suggested is Decision.ESCALATE:
                required.append("llm_suggested")
            return self._decide(Decision.ESCALATE, required, triage)
        if suggested is Decision.ESCALATE and self.policy.follow_llm_escalation:
            return self._decide(Decision.ESCALATE, ["llm_suggested"], triage)

        low = self.low_confidence_reasons(inp)
        # Small talk is recognised only when the knowledge base has no confident answer:
        # an operator who wrote an entry for "hello" or "thanks" wants it used.
        if triage.intent is Intent.GREETING and low:
            return self._decide(Decision.CLARIFY, ["greeting"], triage, clarify="greeting")
        if triage.intent is Intent.FEEDBACK and triage.sentiment is Sentiment.POSITIVE and low:
            return self._decide(Decision.ANSWER, ["feedback_acknowledged"], triage)

        can_clarify = (
            inp.clarifications_asked < self.policy.max_clarifications and inp.failed_attempts == 0
        )
        if suggested is Decision.CLARIFY and self.policy.follow_llm_clarification and can_clarify:
            return self._decide(
                Decision.CLARIFY, ["llm_suggested_clarify", *low], triage, clarify="llm_suggested"
            )
        if low:
            vague = self.vagueness_reasons(inp)
            if vague and can_clarify:
                return self._decide(Decision.CLARIFY, [*vague, *low], triage, clarify=vague[0])
            return self._decide(Decision.ESCALATE, low, triage)
        return self._decide(Decision.ANSWER, self.confidence_reasons(inp), triage)

    def required_escalation_reasons(self, inp: DecisionInput) -> list[str]:
        """Reasons no suggestion, confidence or clarification can override."""
        policy, triage = self.policy, inp.triage
        reasons: list[str] = []
        if triage.has(Signal.EXPLICIT_HUMAN_REQUEST) or triage.intent is Intent.HUMAN_REQUEST:
            reasons.append(Signal.EXPLICIT_HUMAN_REQUEST.value)
        reasons.extend(sorted(s.value for s in triage.signals if s in HIGH_STAKES_SIGNALS))
        if inp.failed_attempts >= policy.max_failed_attempts:
            reasons.append(f"repeated_failure:{inp.failed_attempts}>={policy.max_failed_attempts}")
        if triage.frustration >= policy.frustration_threshold:
            reasons.append(
                f"frustration:{_num(triage.frustration)}>={_num(policy.frustration_threshold)}"
            )
        if triage.priority >= policy.escalate_min_priority:
            reasons.append(f"priority:{triage.priority}>={policy.escalate_min_priority}")
        if inp.answer_error:
            reasons.append("llm_failure")
        return reasons

    def low_confidence_reasons(self, inp: DecisionInput) -> list[str]:
        policy = self.policy
        reasons: list[str] = []
        if inp.retrieval_confidence is None:
            reasons.append("no_retrieval_hits")
        elif inp.retrieval_confidence < policy.min_retrieval_confidence:
            reasons.append(
                f"low_retrieval_confidence:{_num(inp.retrieval_confidence)}"
                f"<{_num(policy.min_retrieval_confidence)}"
            )
        if not inp.answer_present:
            reasons.append("no_answer")
        elif (
            inp.answer_confidence is not None
            and inp.answer_confidence < policy.min_answer_confidence
        ):
            reasons.append(
                f"low_answer_confidence:{_num(inp.answer_confidence)}"
                f"<{_num(policy.min_answer_confidence)}"
            )
        return reasons

    def vagueness_reasons(self, inp: DecisionInput) -> list[str]:
        reasons: list[str] = []
        if inp.word_count is not None and inp.word_count <= self.policy.clarify_max_words:
            reasons.append(f"short_message:{inp.word_count}<={self.policy.clarify_max_words}")
        if inp.ambiguous:
            reasons.append("ambiguous")
        return reasons

    def confidence_reasons(self, inp: DecisionInput) -> list[str]:
        reasons = []
        if inp.retrieval_confidence is not None:
            reasons.append(
                f"retrieval_confidence:{_num(inp.retrieval_confidence)}"
                f">={_num(self.policy.min_retrieval_confidence)}"
            )
        if inp.answer_confidence is not None:
            reasons.append(f"answer_confidence:{_num(inp.answer_confidence)}")
        return reasons

    @staticmethod
    def _decide(
        action: Decision, reasons: list[str], triage: Triage, clarify: str | None = None
    ) -> RoutingDecision:
        return RoutingDecision(action, tuple(reasons), triage.priority, clarify)
