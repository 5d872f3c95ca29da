"""Combine local triage with the fields an LLM answerer suggested, deterministically.

The rule is monotone: the LLM can make a message look *more* serious, never less, so
nothing written in the message (prompt injection included) can lower its priority or
remove a signal through the model.

- intent: a lexicon decision (human request, bare greeting/thanks) stays; otherwise
  the LLM's intent if it is a known one (it reads the whole thread).
- category: the LLM's, only if it names one of the knowledge base's categories.
- sentiment: the more negative of the two; frustration: the maximum.
- signals: the union of local signals and the LLM's known, non-surface signals it
  asserts (a list entry, or a mapping entry with confidence >= `min_signal_confidence`).
  Surface signals (all caps, profanity, prompt injection) are only measured locally.
  No local signal is ever removed.
- priority: the maximum of the local priority and the priority recomputed from the
  merged fields; an LLM `priority_suggestion` may raise that by at most
  `max_priority_raise`, so an injected "priority 10" cannot jump the whole queue.
- if prompt injection was detected locally, the LLM's intent and category are ignored
  (it read the injected text); its raising suggestions still count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.triage.priority import compute_priority
from bot.triage.types import (
    SENTIMENT_ORDER,
    SURFACE_SIGNALS,
    Intent,
    Sentiment,
    Signal,
    Triage,
    sorted_signals,
)

_E = TypeVar("_E", Intent, Sentiment, Signal)


@dataclass(frozen=True, slots=True)
class MergeRules:
    min_signal_confidence: float = 0.5
    max_priority_raise: int = 2


def merge_llm_triage(
    local: Triage,
    suggested: Mapping[str, object],
    *,
    lexicon_intent: bool,
    categories: Sequence[str] = (),
    is_vip: bool = False,
    rules: MergeRules = MergeRules(),
) -> Triage:
    """`lexicon_intent` says the local intent came from a rule, not from embeddings."""
    if not suggested:
        return local
    injected = Signal.PROMPT_INJECTION in local.signals
    intent = local.intent
    llm_intent = _enum(Intent, suggested.get("intent"))
    if llm_intent is not None and not lexicon_intent and not injected:
        intent = llm_intent
    category = local.category
    llm_category = suggested.get("category")
    if not injected and isinstance(llm_category, str) and llm_category in set(categories):
        category = llm_category
    sentiment = local.sentiment
    llm_sentiment = _enum(Sentiment, suggested.get("sentiment"))
    if llm_sentiment is not None and SENTIMENT_ORDER[llm_sentiment] > SENTIMENT_ORDER[sentiment]:
        sentiment = llm_sentiment
    frustration = max(local.frustration, _unit(suggested.get("frustration")))
    signals = set(local.signals) | _asserted_signals(suggested.get("signals"), rules)
    priority = max(
        local.priority, compute_priority(intent, sentiment, frustration, signals, is_vip=is_vip)
    )
    llm_priority = suggested.get("priority_suggestion")
    if isinstance(llm_priority, int | float) and not isinstance(llm_priority, bool):
        priority = max(priority, min(int(llm_priority), priority + rules.max_priority_raise))
    return Triage(
        intent=intent,
        category=category,
        sentiment=sentiment,
        frustration=frustration,
        signals=sorted_signals(signals),
        priority=max(1, min(10, priority)),
    )


def _asserted_signals(raw: object, rules: MergeRules) -> set[Signal]:
    if isinstance(raw, Mapping):
        named = [name for name, conf in raw.items() if _unit(conf) >= rules.min_signal_confidence]
    elif isinstance(raw, list | tuple | set | frozenset):
        named = list(raw)
    else:
        return set()
    found = {_enum(Signal, name) for name in named}
    return {signal for signal in found if signal is not None and signal not in SURFACE_SIGNALS}


def _enum(kind: type[_E], raw: object) -> _E | None:
    if not isinstance(raw, str):
        return None
    try:
        return kind(raw.strip().lower())
    except ValueError:
        return None


def _unit(raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return 0.0
    return max(0.0, min(1.0, float(raw)))
