"""Frustration in [0, 1]: today's tone plus what the conversation and history say.

Each piece of evidence is a probability-like component and they combine as a noisy-OR
(1 - prod(1 - c)): more evidence always raises the score, no single piece saturates
it, and the result stays in [0, 1]. The weights encode one product decision: tone
alone is capped (`MAX_TONE`) below what repetition reaches, because a customer calmly
writing in for the third time about the same issue is closer to churning than one
who vents once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_TONE = 0.55


@dataclass(frozen=True, slots=True)
class FrustrationEvidence:
    anger: float  # this message's anger in [0, 1] (see sentiment.read_sentiment)
    repeated_wording: bool  # "again", "still not", "third time" ...
    previous_anger: Sequence[float] = ()  # anger of earlier messages in this conversation
    repeated_in_conversation: bool = False  # says again what they said earlier
    failed_attempts: int = 0
    similar_past_conversations: int = 0


@dataclass(frozen=True, slots=True)
class FrustrationWeights:
    tone_scale: float = 0.8
    repeated_wording: float = 0.15
    previous_anger_scale: float = 0.35
    repeated_in_conversation: float = 0.25
    per_failed_attempt: float = 0.3  # each failure removes 30% of the remaining calm
    per_similar_conversation: float = 0.38


def frustration_score(
    evidence: FrustrationEvidence, weights: FrustrationWeights = FrustrationWeights()
) -> float:
    prior_anger = (
        sum(evidence.previous_anger) / len(evidence.previous_anger)
        if evidence.previous_anger
        else 0.0
    )
    components = (
        min(MAX_TONE, evidence.anger * weights.tone_scale),
        weights.repeated_wording if evidence.repeated_wording else 0.0,
        min(MAX_TONE, prior_anger * weights.previous_anger_scale),
        weights.repeated_in_conversation if evidence.repeated_in_conversation else 0.0,
        1.0 - (1.0 - weights.per_failed_attempt) ** max(0, evidence.failed_attempts),
        1.0
        - (1.0 - weights.per_similar_conversation) ** max(0, evidence.similar_past_conversations),
    )
    calm = 1.0
    for component in components:
        calm *= 1.0 - max(0.0, min(1.0, component))
    return round(1.0 - calm, 4)
