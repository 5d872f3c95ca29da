"""Offline triage of customer messages: intent, category, sentiment, signals, frustration,
priority; and the deterministic merge with an LLM answerer's suggested fields."""

from bot.triage.merge import MergeRules, merge_llm_triage
from bot.triage.triager import Triager, TriageReport, TriageSettings
from bot.triage.types import (
    HIGH_STAKES_SIGNALS,
    Intent,
    PastMessage,
    Sentiment,
    Signal,
    Triage,
    TriageContext,
)

__all__ = [
    "HIGH_STAKES_SIGNALS",
    "Intent",
    "MergeRules",
    "PastMessage",
    "Sentiment",
    "Signal",
    "Triage",
    "TriageContext",
    "TriageReport",
    "TriageSettings",
    "Triager",
    "merge_llm_triage",
]
