"""The retrieval confidence rule: range, monotonicity, agreement, and its floor fallback."""

from __future__ import annotations

import math

import pytest

from bot.routing_confidence import (
    DEFAULT_RULE,
    confidence_features,
    routing_confidence,
    top_score_confidence,
)


def test_empty_and_range() -> None:
    assert routing_confidence([]) == 0.0
    for score in (0.0, 0.3, 0.6, 0.9, 1.0):
        assert 0.0 <= routing_confidence([("a", score), ("b", score - 0.1)]) <= 1.0


def test_higher_top_score_means_higher_confidence() -> None:
    low = routing_confidence([("a", 0.5), ("b", 0.45)])
    high = routing_confidence([("a", 0.8), ("b", 0.45)])
    assert high > low


def test_agreement_of_the_top_k_raises_confidence() -> None:
    scattered = [("a", 0.7), ("b", 0.69), ("c", 0.68), ("d", 0.67), ("e", 0.66)]
    agreeing = [("a", 0.7), ("a", 0.69), ("a", 0.68), ("a", 0.67), ("e", 0.66)]
    assert confidence_features(agreeing).agreement == 0.8
    assert routing_confidence(agreeing) > routing_confidence(scattered)


def test_order_of_candidates_does_not_matter() -> None:
    cands = [("b", 0.5), ("a", 0.7), ("a", 0.6)]
    assert routing_confidence(cands) == routing_confidence(sorted(cands))
    assert confidence_features(cands).top_doc == "a"
    assert confidence_features(cands).margin == pytest.approx(0.2)


def test_without_agreement_the_rule_routes_like_the_tuned_floor() -> None:
    """At neutral agreement the boundary on the top score is the floor's threshold."""
    from bot.escalation import EscalationPolicy

    t = EscalationPolicy().min_retrieval_confidence
    logit = math.log(t / (1 - t))
    rule = DEFAULT_RULE
    boundary = (
        logit - rule.intercept - rule.agreement_weight * rule.neutral_agreement
    ) / rule.top_weight
    assert 0.55 < boundary < 0.7  # the floor tuned on CLINC150 sits at about 0.63
    for top in (boundary - 0.02, boundary + 0.02):
        cands = [("a", top), ("b", top - 0.05)]
        by_rule = routing_confidence(cands, agreement_available=False) >= t
        assert by_rule is (top_score_confidence(cands) >= boundary)
