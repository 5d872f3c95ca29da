"""How sure retrieval is that its best document answers the query, in [0, 1].

The raw top-1 score alone cannot tell "close to one FAQ" from "close to nothing in
particular". The rule adds agreement: the share of the top-k candidates (chunks or
phrasings) that belong to the top document. An in-scope question pulls several
phrasings of one entry to the top; an out-of-scope one pulls a scatter of entries.
The two features are combined by a logistic function whose weights were fitted on
CLINC150 (benchmarks/calibrate_routing.py; numbers in docs/routing.md), so the output
reads as an estimate of "answering from the top document would be right".

Pure and numpy-free on purpose: the engine applies it to every search result. The
weights assume the candidates' scores are cosine similarities (all-MiniLM-L6-v2); a
score on another scale (e.g. an already calibrated confidence) needs a re-fit first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Candidate = tuple[str, float]  # (doc_id, retrieval score), any order


@dataclass(frozen=True, slots=True)
class ConfidenceFeatures:
    top_doc: str | None
    top_score: float
    margin: float  # top score minus the best score of any other document
    agreement: float  # share of the top_k candidates that belong to top_doc


@dataclass(frozen=True, slots=True)
class ConfidenceRule:
    """logistic(intercept + top_weight * top_score + agreement_weight * agreement).

    `neutral_agreement` replaces agreement when the caller's search returns at most one
    hit per document (agreement then carries no information); at that value the rule's
    decision boundary on the top score equals the tuned single-threshold floor's, so
    such a knowledge base is routed exactly as by the floor.
    """

    intercept: float
    top_weight: float
    agreement_weight: float
    top_k: int = 5
    neutral_agreement: float = 0.5


# Fitted by benchmarks/calibrate_routing.py on CLINC150 train (leave-one-out) + oos_train.
DEFAULT_RULE = ConfidenceRule(
    intercept=-13.091,
    top_weight=15.134,
    agreement_weight=3.972,
    top_k=5,
    neutral_agreement=0.931,
)


def confidence_features(candidates: Sequence[Candidate], top_k: int = 5) -> ConfidenceFeatures:
    """Features of the candidate list; an empty list gives top_doc None and zeros."""
    ranked = sorted(candidates, key=lambda cand: cand[1], reverse=True)
    if not ranked:
        return ConfidenceFeatures(None, 0.0, 0.0, 0.0)
    top_doc, top_score = ranked[0]
    other = next((score for doc, score in ranked if doc != top_doc), None)
    window = ranked[:top_k]
    agreement = sum(1 for doc, _ in window if doc == top_doc) / len(window)
    margin = top_score - other if other is not None else top_score
    return ConfidenceFeatures(top_doc, float(top_score), float(margin), agreement)


def routing_confidence(
    candidates: Sequence[Candidate],
    rule: ConfidenceRule = DEFAULT_RULE,
    *,
    agreement_available: bool = True,
) -> float:
    """Confidence in [0, 1] that the best candidate's document answers the query.

    Pass every retrieved candidate (several chunks of one document are evidence, not
    noise). Set `agreement_available=False` when the search keeps one hit per document.
    """
    features = confidence_features(candidates, rule.top_k)
    if features.top_doc is None:
        return 0.0
    agreement = features.agreement if agreement_available else rule.neutral_agreement
    logit = rule.intercept + rule.top_weight * features.top_score
    logit += rule.agreement_weight * agreement
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def top_score_confidence(candidates: Sequence[Candidate]) -> float:
    """The floor rule: the best raw score, clipped to [0, 1]."""
    return max(0.0, min(1.0, max((score for _, score in candidates), default=0.0)))
