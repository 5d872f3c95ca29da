"""Fusion of the dense (vector) and full-text candidate lists into one ranking.

This is the contract between the index (which produces candidates) and search (which
orders them and turns scores into a confidence the engine can use to abstain).
"""

from __future__ import annotations

from dataclasses import dataclass


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
    rrf_k: int = 60


@dataclass(frozen=True, slots=True)
class Fused:
    candidate: Candidate
    rank_score: float  # used only for ordering
    confidence: float  # in [0, 1]; how sure we are this chunk answers the query


def fuse(candidates: list[Candidate], config: FusionConfig = FusionConfig()) -> list[Fused]:
    """Plain reciprocal rank fusion; confidence is the cosine clipped to [0, 1]."""
    fused: list[Fused] = []
    for cand in candidates:
        score = 0.0
        if cand.vector_rank is not None:
            score += 1.0 / (config.rrf_k + cand.vector_rank)
        if cand.text_rank is not None:
            score += 1.0 / (config.rrf_k + cand.text_rank)
        confidence = max(0.0, min(1.0, cand.vector_score or 0.0))
        fused.append(Fused(cand, score, confidence))
    fused.sort(key=lambda f: f.rank_score, reverse=True)
    return fused
