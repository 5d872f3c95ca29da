"""The vocabulary of triage: what a message is, how the customer feels, and what it risks.

Kept apart from the code that computes them so the router, the merge with LLM
suggestions and the tests all speak the same closed set of names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Intent(StrEnum):
    QUESTION = "question"
    PROBLEM = "problem"
    ACTION_REQUEST = "action_request"
    FEEDBACK = "feedback"
    HUMAN_REQUEST = "human_request"
    GREETING = "greeting"


class Sentiment(StrEnum):
    """Ordered from calm to hostile; `SENTIMENT_ORDER` ranks them for merges."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    ANGRY = "angry"


SENTIMENT_ORDER: dict[Sentiment, int] = {
    Sentiment.POSITIVE: 0,
    Sentiment.NEUTRAL: 1,
    Sentiment.NEGATIVE: 2,
    Sentiment.ANGRY: 3,
}


class Signal(StrEnum):
    """Machine-readable flags the router and the agents' card act on."""

    EXPLICIT_HUMAN_REQUEST = "explicit_human_request"
    LEGAL_THREAT = "legal_threat"
    CHURN_THREAT = "churn_threat"
    SECURITY_OR_FRAUD = "security_or_fraud"
    SAFETY = "safety"
    REPEATED_ISSUE = "repeated_issue"
    ALL_CAPS = "all_caps"
    PROFANITY = "profanity"
    TIME_PRESSURE = "time_pressure"
    BUSINESS_IMPACT = "business_impact"
    PROMPT_INJECTION = "prompt_injection"


# Signals that mean "a human must look at this" whatever any model says.
HIGH_STAKES_SIGNALS: frozenset[Signal] = frozenset(
    {Signal.LEGAL_THREAT, Signal.SECURITY_OR_FRAUD, Signal.SAFETY}
)
# Signals read off the surface of the text; only the local code may set them.
SURFACE_SIGNALS: frozenset[Signal] = frozenset(
    {Signal.ALL_CAPS, Signal.PROFANITY, Signal.PROMPT_INJECTION}
)


@dataclass(frozen=True, slots=True)
class PastMessage:
    """One earlier customer message by the same user, in an earlier conversation.

    `embedding` (unit length, from the same embedder) is optional: memory may store it
    so triage need not embed the user's history again.
    """

    conversation_id: str
    text: str
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class TriageContext:
    """What triage knows beyond the message itself.

    `previous_messages` are this conversation's earlier customer messages (oldest first);
    `failed_attempts` counts bot answers in this conversation that did not help;
    `user_history` holds the user's messages from *other* conversations, from which
    triage counts the conversations about a similar issue.
    """

    previous_messages: tuple[str, ...] = ()
    failed_attempts: int = 0
    user_history: tuple[PastMessage, ...] = ()
    is_vip: bool = False


@dataclass(frozen=True, slots=True)
class Triage:
    """The triage of one customer message. `signals` is kept sorted for stable output."""

    intent: Intent
    category: str | None
    sentiment: Sentiment
    frustration: float
    signals: tuple[Signal, ...]
    priority: int

    def has(self, signal: Signal) -> bool:
        return signal in self.signals

    def to_json(self) -> dict[str, object]:
        return {
            "intent": self.intent.value,
            "category": self.category,
            "sentiment": self.sentiment.value,
            "frustration": round(self.frustration, 3),
            "signals": sorted(s.value for s in self.signals),
            "priority": self.priority,
        }


def sorted_signals(signals: set[Signal] | frozenset[Signal]) -> tuple[Signal, ...]:
    return tuple(sorted(signals, key=lambda s: s.value))
