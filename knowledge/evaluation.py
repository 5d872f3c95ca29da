"""Retrieval evaluation: ranking metrics over doc ids, latency percentiles, and a runner.

Why it lives in `knowledge/`: the metrics are what every retrieval change is judged by
(docs/retrieval.md, benchmarks/bench_retrieval_quality.py, `supportbot eval retrieval`),
so there is exactly one implementation of them, tested against hand-computed values.

Relevance is binary over document ids and a query may have several gold ids
(StackFAQ lists every answer of a thread). Definitions, for a ranked list `r` of
distinct doc ids and a gold set `G`:

- recall@k  = |G ∩ r[:k]| / |G|
- hit@k     = 1 if G ∩ r[:k] else 0 (equals recall@k when |G| = 1)
- MRR@k     = 1 / rank of the first relevant id within the top k, else 0
- nDCG@k    = DCG@k / IDCG@k with gain 1 and discount 1/log2(rank + 1), where the ideal
  ranking puts min(|G|, k) relevant ids first.

Ranked lists are deduplicated by doc id before scoring (first occurrence wins), so a
retriever that returns several chunks of one document is not rewarded twice.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .types import SearchHit

DEFAULT_KS: tuple[int, ...] = (1, 5, 10)


@dataclass(frozen=True, slots=True)
class EvalQuery:
    """One labelled question: its text and the doc ids that answer it."""

    text: str
    gold_ids: frozenset[str]
    split: str | None = None
    category: str | None = None


def load_queries(path: str | Path, split: str | None = None) -> list[EvalQuery]:
    """Read `{query, gold_ids, split?, category?}` rows; keep one split when asked.

    A file without a `split` field (StackFAQ) is returned whole even when a split is
    asked for, because it has only one.
    """
    rows = [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
    has_split = any("split" in row for row in rows)
    queries = []
    for row in rows:
        if split and has_split and row.get("split") != split:
            continue
        gold = frozenset(str(g) for g in row["gold_ids"])
        if not gold:
            continue
        queries.append(EvalQuery(row["query"], gold, row.get("split"), row.get("category")))
    return queries


def dedupe(ranked: Iterable[str]) -> list[str]:
    """Doc ids in first-seen order, each once."""
    seen: set[str] = set()
    out = []
    for doc_id in ranked:
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out


def recall_at(ranked: Sequence[str], gold: frozenset[str] | set[str], k: int) -> float:
    """Share of the gold ids found in the top k."""
    if not gold:
        return 0.0
    return len(gold.intersection(dedupe(ranked)[:k])) / len(gold)


def hit_at(ranked: Sequence[str], gold: frozenset[str] | set[str], k: int) -> float:
    """1.0 when any gold id is in the top k: "did the bot find an answer"."""
    return 1.0 if gold.intersection(dedupe(ranked)[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], gold: frozenset[str] | set[str], k: int = 10) -> float:
    """1 / rank of the first gold id within the top k, else 0."""
    for i, doc_id in enumerate(dedupe(ranked)[:k]):
        if doc_id in gold:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(ranked: Sequence[str], gold: frozenset[str] | set[str], k: int = 10) -> float:
    """Binary-gain nDCG; the ideal list puts min(|gold|, k) relevant ids first."""
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(dedupe(ranked)[:k]) if d in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default), without needing numpy."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def score_rankings(
    rankings: Sequence[Sequence[str]],
    golds: Sequence[frozenset[str] | set[str]],
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, float]:
    """Mean recall@k and hit@k for each k, plus MRR@10 and nDCG@10."""
    if len(rankings) != len(golds):
        raise ValueError("one ranking per query is needed")
    n = len(rankings)
    if n == 0:
        return {}
    pairs = list(zip(rankings, golds, strict=True))
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = sum(recall_at(r, g, k) for r, g in pairs) / n
    for k in ks:
        out[f"hit@{k}"] = sum(hit_at(r, g, k) for r, g in pairs) / n
    out["mrr@10"] = sum(reciprocal_rank(r, g, 10) for r, g in pairs) / n
    out["ndcg@10"] = sum(ndcg_at(r, g, 10) for r, g in pairs) / n
    return out


class Searchable(Protocol):
    """What the runner needs from a knowledge base (knowledge.KnowledgeBase fits)."""

    def search(
        self, query: str, k: int = ..., category: str | None = ..., per_doc: bool = ...
    ) -> list[SearchHit]: ...


@dataclass(slots=True)
class RetrievalReport:
    """Metrics of one run, with per-query latency in milliseconds."""

    n_queries: int
    k: int
    metrics: dict[str, float]
    latency_p50_ms: float
    latency_p95_ms: float
    label: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "n_queries": self.n_queries,
            "k": self.k,
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "latency_p50_ms": round(self.latency_p50_ms, 2),
            "latency_p95_ms": round(self.latency_p95_ms, 2),
            **self.extra,
        }


def evaluate(
    kb: Searchable,
    queries: Sequence[EvalQuery],
    k: int = 10,
    *,
    by_category: bool = False,
    label: str = "",
    clock: Callable[[], float] = time.perf_counter,
) -> RetrievalReport:
    """Search every query one at a time (query embedding included) and score the doc ids.

    One call per query, not a batch, because the latency that matters to a user is
    that of one question. `by_category` restricts each search to the query's own
    category (the per-region setting of the FeedbackQA paper); the default searches
    the whole knowledge base, which is harder and closer to the bot's use.
    """
    rankings: list[list[str]] = []
    latencies: list[float] = []
    for query in queries:
        category = query.category if by_category else None
        start = clock()
        hits = kb.search(query.text, k=k, category=category, per_doc=True)
        latencies.append((clock() - start) * 1000.0)
        rankings.append([hit.doc_id for hit in hits])
    ks = [x for x in DEFAULT_KS if x <= k]
    metrics = score_rankings(rankings, [q.gold_ids for q in queries], ks)
    return RetrievalReport(
        n_queries=len(queries),
        k=k,
        metrics=metrics,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        label=label,
    )
