"""Priority 1 (can wait) to 10 (drop everything) from the triage facts.

Additive points on an intent base, then floors for signals whose urgency does not
depend on tone: a polite message about a fire or a lawsuit is still a 10 or an 8.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.triage.types import Intent, Sentiment, Signal

_BASE: Mapping[Intent, int] = {
    Intent.GREETING: 1,
    Intent.FEEDBACK: 2,
    Intent.QUESTION: 3,
    Intent.ACTION_REQUEST: 3,
    Intent.PROBLEM: 4,
    Intent.HUMAN_REQUEST: 5,
}
_SENTIMENT_POINTS: Mapping[Sentiment, int] = {
    Sentiment.POSITIVE: 0,
    Sentiment.NEUTRAL: 0,
    Sentiment.NEGATIVE: 1,
    Sentiment.ANGRY: 2,
}
_SIGNAL_POINTS: Mapping[Signal, int] = {
    Signal.CHURN_THREAT: 2,
    Signal.BUSINESS_IMPACT: 2,
    Signal.TIME_PRESSURE: 1,
    Signal.REPEATED_ISSUE: 1,
}
_SIGNAL_FLOORS: Mapping[Signal, int] = {
    Signal.SAFETY: 10,
    Signal.SECURITY_OR_FRAUD: 8,
    Signal.LEGAL_THREAT: 8,
    Signal.EXPLICIT_HUMAN_REQUEST: 5,
}
VIP_POINTS = 2


def compute_priority(
    intent: Intent,
    sentiment: Sentiment,
    frustration: float,
    signals: set[Signal] | frozenset[Signal] | tuple[Signal, ...],
    *,
    is_vip: bool = False,
) -> int:
    points = _BASE[intent] + _SENTIMENT_POINTS[sentiment] + round(3 * frustration)
    points += sum(_SIGNAL_POINTS.get(signal, 0) for signal in signals)
    points += VIP_POINTS if is_vip else 0
    floor = max((_SIGNAL_FLOORS.get(signal, 1) for signal in signals), default=1)
    return max(1, min(10, max(points, floor)))
