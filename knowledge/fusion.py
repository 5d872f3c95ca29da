"""Fusion of the dense (vector) and full-text candidate lists into one ranking, and confidence.

This is the contract between the index (which produces candidates) and search (which
orders them and turns scores into a confidence the engine can use to abstain).

Ranking (method "score", the default)
-------------------------------------
    fused = (1 - text_weight) * cosine + text_weight * bm25 / max_bm25_in_pool

Why scores and not ranks: the cosine of MiniLM is already on a fixed, comparable scale,
while BM25 is not (it grows with query length and corpus statistics), so BM25 is made
relative to the best full-text hit of the same query. Reciprocal rank fusion throws the
score gaps away and gives both retrievers equal say; on FeedbackQA (train split) the
vector evidence deserves more, and a strong vector retriever (StackFAQ) is dragged down by
equal-weight RRF (nDCG@10 0.967 -> 0.887) but not by this fusion (0.959). `text_weight`
0.2 was chosen on FeedbackQA *train* (flat optimum 0.15-0.25); docs/retrieval.md has the
numbers on valid and StackFAQ.

A candidate seen by one retriever only gets, for the other, the lowest score that
retriever returned for this query: it ranked below all of them, so that is an upper bound
of its true score and the least-biased cheap guess. Plain RRF stays available
(`method="rrf"`) as the baseline for benchmarks.

`mode` restricts search to one retriever ("vector" or "text") for evaluation: the other
retriever's candidates and scores are dropped and the ranking uses the remaining score
alone (in "text" mode the cosine is unknown and counts as 0 in the confidence).

Confidence
----------
`confidence` estimates the probability that a candidate answers the query:

    confidence = sigmoid(bias + w_cos * cosine + w_gap * (fused - fused_ref))

where `fused_ref` is the fused score of the `gap_rank`-th best *document* in the pool (the
lowest one when fewer documents were retrieved). The two terms catch different failures:
- a low cosine means nothing in the knowledge base is about the question (on StackFAQ with
  the question's thread removed, cosine alone separates answerable from unanswerable with
  AUC 0.95);
- a small gap means the best hit does not stand out from the crowd of merely on-topic
  passages (on FeedbackQA with the gold passage removed, near-duplicate pages from other
  regions remain and keep the cosine high; the gap separates them with AUC 0.76-0.78
  where the cosine gets 0.66). The reference is the 10th document, not the 2nd, because
  knowledge bases hold near-duplicates (StackFAQ keeps ~6 answers per question): a gap to
  the 2nd would call every duplicated answer uncertain (AUC 0.47 there).
The three weights are a logistic regression fitted on FeedbackQA train queries, labelled 1
when the top hit is the gold passage and 0 for the same queries with their gold passage
removed from the knowledge base; the resulting thresholds table is in docs/retrieval.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Mode = Literal["hybrid", "vector", "text"]
Method = Literal["score", "rrf"]


@dataclass(slots=True)
class Candidate:
    """One chunk seen by at least one retriever. Ranks are 1-based; None = not retrieved."""

    chunk_id: str
    doc_id: str
    vector_score: float | None = None  # cosine similarity in [-1, 1]
    text_score: float | None = None  # BM25 score from LanceDB full-text search
    vector_rank: int | None = None
    text_rank: int | None = None


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """How candidates are ordered and how confident the result is (module docstring says why)."""

    rrf_k: int = 60
    method: Method = "score"
    mode: Mode = "hybrid"
    text_weight: float = 0.2
    confidence_bias: float = -4.03
    confidence_cosine: float = 1.98
    confidence_gap: float = 8.63
    gap_rank: int = 10

    def __post_init__(self) -> None:
        if self.mode not in ("hybrid", "vector", "text"):
            raise ValueError(f"mode must be hybrid, vector or text, not {self.mode!r}")
        if self.method not in ("score", "rrf"):
            raise ValueError(f"method must be score or rrf, not {self.method!r}")
        if not 0.0 <= self.text_weight <= 1.0:
            raise ValueError("text_weight must be within [0, 1]")
        if self.gap_rank < 2:
            raise ValueError("gap_rank must be at least 2")


@dataclass(frozen=True, slots=True)
class Fused:
    candidate: Candidate
    rank_score: float  # used only for ordering
    confidence: float  # in [0, 1]; how sure we are this chunk answers the query


def fuse(candidates: list[Candidate], config: FusionConfig = FusionConfig()) -> list[Fused]:
    """Order candidates best first, each with a confidence in [0, 1] (see the module doc)."""
    pool = _restrict(candidates, config.mode)
    if not pool:
        return []
    cosines = _filled([c.vector_score for c in pool])
    bm25 = [c.text_score for c in pool]
    top_bm25 = max((s for s in bm25 if s is not None), default=0.0)
    relative = _filled([s / top_bm25 if s is not None and top_bm25 > 0 else None for s in bm25])
    if config.mode == "vector":
        scores = cosines
    elif config.mode == "text":
        scores = relative
    else:
        w = config.text_weight
        scores = [(1.0 - w) * v + w * t for v, t in zip(cosines, relative, strict=True)]

    reference = _reference(pool, scores, config.gap_rank)
    fused = []
    for cand, cosine, score in zip(pool, cosines, scores, strict=True):
        logit = (
            config.confidence_bias
            + config.confidence_cosine * cosine
            + config.confidence_gap * (score - reference)
        )
        rank_score = _rrf(cand, config.rrf_k) if config.method == "rrf" else score
        fused.append(Fused(cand, rank_score, _sigmoid(logit)))
    fused.sort(key=lambda f: (-f.rank_score, -f.confidence, f.candidate.chunk_id))
    return fused


def _restrict(candidates: list[Candidate], mode: Mode) -> list[Candidate]:
    """Drop what the other retriever alone found, and its scores, in single-retriever modes."""
    if mode == "hybrid":
        return list(candidates)
    out = []
    for c in candidates:
        if mode == "vector" and c.vector_score is not None:
            out.append(Candidate(c.chunk_id, c.doc_id, c.vector_score, None, c.vector_rank))
        elif mode == "text" and c.text_score is not None:
            out.append(Candidate(c.chunk_id, c.doc_id, None, c.text_score, None, c.text_rank))
    return out


def _filled(values: list[float | None]) -> list[float]:
    """Missing scores become the lowest score seen (0 when none was seen)."""
    seen = [v for v in values if v is not None]
    floor = min(seen) if seen else 0.0
    return [floor if v is None else v for v in values]


def _reference(pool: list[Candidate], scores: list[float], rank: int) -> float:
    """Fused score of the rank-th best document (documents, so duplicate chunks count once)."""
    best: dict[str, float] = {}
    for cand, score in zip(pool, scores, strict=True):
        if score > best.get(cand.doc_id, -math.inf):
            best[cand.doc_id] = score
    ordered = sorted(best.values(), reverse=True)
    return ordered[min(rank, len(ordered)) - 1]


def _rrf(cand: Candidate, k: int) -> float:
    score = 0.0
    if cand.vector_rank is not None:
        score += 1.0 / (k + cand.vector_rank)
    if cand.text_rank is not None:
        score += 1.0 / (k + cand.text_rank)
    return score


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
