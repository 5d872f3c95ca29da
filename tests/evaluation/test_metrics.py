"""Ranking metrics against values computed by hand (see each test's comment)."""

from __future__ import annotations

import json
import math

import pytest

from knowledge.evaluation import (
    EvalQuery,
    dedupe,
    evaluate,
    hit_at,
    load_queries,
    ndcg_at,
    percentile,
    recall_at,
    reciprocal_rank,
    score_rankings,
)
from knowledge.types import SearchHit

RANKED = ["a", "b", "c", "d", "e"]


def test_recall_counts_the_share_of_gold_found() -> None:
    gold = frozenset({"b", "e", "z"})
    assert recall_at(RANKED, gold, 1) == 0.0
    assert recall_at(RANKED, gold, 2) == pytest.approx(1 / 3)
    assert recall_at(RANKED, gold, 5) == pytest.approx(2 / 3)


def test_hit_is_any_gold_in_top_k() -> None:
    gold = frozenset({"c", "z"})
    assert hit_at(RANKED, gold, 2) == 0.0
    assert hit_at(RANKED, gold, 3) == 1.0


def test_reciprocal_rank_uses_first_gold_and_cutoff() -> None:
    assert reciprocal_rank(RANKED, frozenset({"c", "e"})) == pytest.approx(1 / 3)
    assert reciprocal_rank(RANKED, frozenset({"e"}), k=4) == 0.0
    assert reciprocal_rank(RANKED, frozenset({"a"})) == 1.0


def test_ndcg_binary_with_several_gold() -> None:
    # gold at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    gold = frozenset({"b", "d"})
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at(RANKED, gold, 10) == pytest.approx(expected)
    assert ndcg_at(["b", "d"], gold, 10) == pytest.approx(1.0)


def test_ndcg_ideal_is_capped_at_k() -> None:
    # 3 gold, k=2, both top slots relevant: perfect despite a third gold id unseen
    assert ndcg_at(["a", "b", "c"], frozenset({"a", "b", "c"}), 2) == pytest.approx(1.0)


def test_duplicate_doc_ids_are_not_counted_twice() -> None:
    ranked = ["a", "a", "a", "b"]
    assert dedupe(ranked) == ["a", "b"]
    assert recall_at(ranked, frozenset({"b"}), 2) == 1.0
    assert reciprocal_rank(ranked, frozenset({"b"})) == 0.5


def test_score_rankings_averages_over_queries() -> None:
    out = score_rankings([["a", "b"], ["x", "y"]], [frozenset({"b"}), frozenset({"q"})], ks=(1, 5))
    assert out["recall@1"] == 0.0
    assert out["recall@5"] == 0.5
    assert out["hit@5"] == 0.5
    assert out["mrr@10"] == pytest.approx(0.25)
    assert out["ndcg@10"] == pytest.approx((1 / math.log2(3)) / 2)


def test_score_rankings_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError):
        score_rankings([["a"]], [])


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == pytest.approx(25.0)
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([], 50) == 0.0


def test_load_queries_filters_split_only_when_the_file_has_one(tmp_path) -> None:
    with_split = tmp_path / "a.jsonl"
    with_split.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"query": "q1", "gold_ids": ["d1"], "split": "train"},
                {"query": "q2", "gold_ids": ["d2", "d3"], "split": "valid", "category": "UK"},
            ]
        )
    )
    valid = load_queries(with_split, "valid")
    assert [q.text for q in valid] == ["q2"]
    assert valid[0].gold_ids == frozenset({"d2", "d3"}) and valid[0].category == "UK"
    no_split = tmp_path / "b.jsonl"
    no_split.write_text(json.dumps({"query": "q", "gold_ids": ["d"]}) + "\n")
    assert len(load_queries(no_split, "valid")) == 1


class _FakeKB:
    """Returns a fixed ranking per query and records the category it was asked for."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.categories: list[str | None] = []

    def search(self, query, k=10, category=None, per_doc=True):
        self.categories.append(category)
        return [_hit(d) for d in self.answers[query][:k]]


def _hit(doc_id: str) -> SearchHit:
    return SearchHit(
        doc_id=doc_id, chunk_id=f"{doc_id}#0", title="", url=None, category=None, score=0.5, text=""
    )


def test_evaluate_scores_and_times_each_query() -> None:
    kb = _FakeKB({"q1": ["d1", "d2"], "q2": ["d3", "d4"]})
    ticks = iter([0.0, 0.010, 1.0, 1.030])  # 10 ms and 30 ms
    queries = [EvalQuery("q1", frozenset({"d2"}), category="A"), EvalQuery("q2", frozenset({"d3"}))]
    report = evaluate(kb, queries, k=10, clock=lambda: next(ticks), by_category=True)
    assert report.metrics["recall@1"] == 0.5
    assert report.metrics["mrr@10"] == pytest.approx(0.75)
    assert report.latency_p50_ms == pytest.approx(20.0)
    assert report.latency_p95_ms == pytest.approx(29.0)
    assert kb.categories == ["A", None]
