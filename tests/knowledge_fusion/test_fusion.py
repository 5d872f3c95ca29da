"""Fusion and confidence on hand-made candidate lists (no model, no index)."""

from __future__ import annotations

import math

import pytest

from knowledge.fusion import Candidate, Fused, FusionConfig, fuse


def cand(
    doc: str, cos: float | None = None, bm25: float | None = None, vr=None, tr=None, chunk=None
) -> Candidate:
    return Candidate(chunk or f"{doc}#0", doc, cos, bm25, vr, tr)


def order(fused: list[Fused]) -> list[str]:
    return [f.candidate.chunk_id for f in fused]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_default_is_weighted_score_fusion() -> None:
    # fused = 0.8 * cos + 0.2 * bm25 / max_bm25
    a = cand("a", cos=0.60, bm25=2.0)  # 0.48 + 0.05 = 0.53
    b = cand("b", cos=0.50, bm25=8.0)  # 0.40 + 0.20 = 0.60
    out = fuse([a, b])
    assert order(out) == ["b#0", "a#0"]
    assert out[0].rank_score == pytest.approx(0.60)
    assert out[1].rank_score == pytest.approx(0.53)


def test_scores_not_ranks_decide() -> None:
    # RRF sees two first places and ties; the score fusion sees a near-tie in BM25
    # and a large cosine gap, so the strong semantic match wins.
    sem = cand("sem", cos=0.80, bm25=9.9, vr=1, tr=2)
    lex = cand("lex", cos=0.30, bm25=10.0, vr=2, tr=1)
    assert order(fuse([lex, sem]))[0] == "sem#0"
    rrf = fuse([lex, sem], FusionConfig(method="rrf"))
    assert rrf[0].rank_score == pytest.approx(rrf[1].rank_score)


def test_missing_score_is_imputed_with_the_lowest_seen() -> None:
    # "t" came from full text only: its cosine becomes 0.4 (lowest cosine seen), and
    # "v" came from vectors only: its BM25 becomes 1.0 (lowest seen), relative 1/4.
    v = cand("v", cos=0.70)
    w = cand("w", cos=0.40, bm25=4.0)
    t = cand("t", bm25=1.0)
    scores = {f.candidate.doc_id: f.rank_score for f in fuse([v, w, t])}
    assert scores["t"] == pytest.approx(0.8 * 0.40 + 0.2 * 0.25)
    assert scores["v"] == pytest.approx(0.8 * 0.70 + 0.2 * 0.25)
    assert scores["w"] == pytest.approx(0.8 * 0.40 + 0.2 * 1.0)


def test_no_full_text_hits_means_cosine_order() -> None:
    out = fuse([cand("a", cos=0.2), cand("b", cos=0.9), cand("c", cos=0.5)])
    assert order(out) == ["b#0", "c#0", "a#0"]


def test_plain_rrf_is_available_as_baseline() -> None:
    a = cand("a", cos=0.9, vr=1)
    b = cand("b", cos=0.5, bm25=3.0, vr=2, tr=1)
    out = fuse([a, b], FusionConfig(method="rrf", rrf_k=60))
    assert order(out) == ["b#0", "a#0"]
    assert out[0].rank_score == pytest.approx(1 / 62 + 1 / 61)
    assert out[1].rank_score == pytest.approx(1 / 61)


def test_vector_mode_ignores_full_text() -> None:
    a = cand("a", cos=0.5, bm25=10.0)
    b = cand("b", cos=0.6)
    t = cand("t", bm25=20.0)
    out = fuse([a, b, t], FusionConfig(mode="vector"))
    assert order(out) == ["b#0", "a#0"]
    assert out[0].rank_score == pytest.approx(0.6)
    assert out[0].candidate.text_score is None


def test_text_mode_ranks_by_bm25_only() -> None:
    a = cand("a", cos=0.9, bm25=1.0)
    b = cand("b", bm25=4.0)
    v = cand("v", cos=0.95)
    out = fuse([a, b, v], FusionConfig(mode="text"))
    assert order(out) == ["b#0", "a#0"]
    assert out[0].rank_score == pytest.approx(1.0)
    assert out[1].rank_score == pytest.approx(0.25)


def test_confidence_formula_uses_gap_to_the_nth_document() -> None:
    cfg = FusionConfig(text_weight=0.0, gap_rank=3)
    cands = [cand("a", cos=0.9), cand("b", cos=0.5), cand("c", cos=0.4), cand("d", cos=0.1)]
    out = {f.candidate.doc_id: f.confidence for f in fuse(cands, cfg)}
    ref = 0.4  # third-best document
    for doc, cos in [("a", 0.9), ("b", 0.5), ("d", 0.1)]:
        logit = cfg.confidence_bias + cfg.confidence_cosine * cos + cfg.confidence_gap * (cos - ref)
        expected = sigmoid(logit)
        assert out[doc] == pytest.approx(expected)


def test_duplicate_chunks_of_one_document_do_not_move_the_reference() -> None:
    cfg = FusionConfig(text_weight=0.0, gap_rank=2)
    base = [cand("a", cos=0.9), cand("b", cos=0.3)]
    dupes = [*base, cand("a", cos=0.85, chunk="a#1"), cand("a", cos=0.8, chunk="a#2")]
    top = fuse(base, cfg)[0].confidence
    assert fuse(dupes, cfg)[0].confidence == pytest.approx(top)


def test_standing_out_raises_confidence_at_equal_cosine() -> None:
    crowd = [cand("top", cos=0.7)] + [cand(f"n{i}", cos=0.68) for i in range(12)]
    alone = [cand("top", cos=0.7)] + [cand(f"n{i}", cos=0.30) for i in range(12)]
    assert fuse(alone)[0].confidence > fuse(crowd)[0].confidence + 0.2


def test_higher_cosine_raises_confidence_at_equal_gap() -> None:
    low = [cand("top", cos=0.45)] + [cand(f"n{i}", cos=0.35) for i in range(12)]
    high = [cand("top", cos=0.85)] + [cand(f"n{i}", cos=0.75) for i in range(12)]
    assert fuse(high)[0].confidence > fuse(low)[0].confidence


def test_confidence_is_a_probability_even_for_extreme_scores() -> None:
    out = fuse([cand("a", cos=1.0, bm25=1e6)] + [cand(f"n{i}", cos=-1.0) for i in range(10)])
    assert all(0.0 <= f.confidence <= 1.0 for f in out)
    assert out[0].confidence > 0.99
    extreme = FusionConfig(confidence_bias=-1000.0)
    assert fuse([cand("a", cos=0.5)], extreme)[0].confidence == 0.0


def test_empty_and_single_candidate() -> None:
    assert fuse([]) == []
    assert fuse([cand("t", bm25=3.0)], FusionConfig(mode="vector")) == []
    (only,) = fuse([cand("a", cos=0.8)])
    assert 0.0 < only.confidence < 0.5  # nothing to stand out from: no gap credit


def test_ties_break_deterministically() -> None:
    a, b = cand("a", cos=0.5, chunk="z#0"), cand("b", cos=0.5, chunk="y#0")
    assert order(fuse([a, b])) == order(fuse([b, a])) == ["y#0", "z#0"]


@pytest.mark.parametrize(
    "kwargs", [{"mode": "both"}, {"method": "borda"}, {"text_weight": 1.5}, {"gap_rank": 1}]
)
def test_bad_config_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        FusionConfig(**kwargs)
