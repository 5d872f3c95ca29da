"""Answer thresholds: closeness by what matched, and an FAQ entry's agreement moving it."""

from __future__ import annotations

import asyncio

import pytest

from bot.answering.base import AnswerRequest
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.thresholds import AnswerThresholds
from knowledge.types import SearchHit


def _hit(kind: str, cosine: float, agreement: float | None) -> SearchHit:
    return SearchHit(
        doc_id=f"{kind}-doc",
        chunk_id=f"{kind}-doc#0",
        title="How do I get a refund?",
        url=None,
        category="billing",
        score=0.5,
        text="How do I get a refund?\nFrom Settings > Billing > Refund, within 30 days.",
        extra={"kind": kind},
        vector_score=cosine,
        agreement=agreement,
    )


@pytest.mark.parametrize(
    ("kind", "cosine", "agreement", "support"),
    [
        ("faq", 0.60, None, 0.60),  # a sparse entry: closeness alone
        ("faq", 0.60, 0.5, 0.60),  # the centre leaves it unchanged
        ("faq", 0.60, 1.0, 0.75),
        ("faq", 0.60, 0.0, 0.45),
        ("passage", 0.60, 1.0, 0.60),  # passages are judged on closeness alone
    ],
)
def test_support_moves_only_faq_closeness_by_agreement(
    kind: str, cosine: float, agreement: float | None, support: float
) -> None:
    assert AnswerThresholds().support(_hit(kind, cosine, agreement)) == pytest.approx(support)
    assert AnswerThresholds(faq_agreement_weight=0.0).support(
        _hit(kind, cosine, agreement)
    ) == pytest.approx(cosine)


def test_the_offline_answerer_quotes_by_the_same_support_the_router_reads() -> None:
    answerer = ExtractiveAnswerer(thresholds=AnswerThresholds())

    def answer(hit: SearchHit):  # type: ignore[no-untyped-def]
        return asyncio.run(answerer.answer(AnswerRequest(question="refund?", passages=(hit,))))

    agreed = answer(_hit("faq", 0.58, 0.9))  # below 0.62 alone, 0.70 with agreement
    assert agreed.text and agreed.cited_doc_ids == ("faq-doc",) and agreed.confidence >= 0.5
    scattered = answer(_hit("faq", 0.66, 0.05))  # above alone, 0.525 with agreement
    assert scattered.text is None and scattered.confidence < 0.5
