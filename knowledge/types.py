"""Value types of the knowledge base, shared by loaders, the index, search and its callers.

`knowledge` is a standalone retrieval library: it imports nothing from `bot` or `adapters`,
so evaluation scripts and benchmarks can use it without the conversation engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Visibility(StrEnum):
    """Who may see a document. Internal documents never reach customers."""

    PUBLIC = "public"
    INTERNAL = "internal"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One retrieved passage, with everything a citation and the abstain decision need.

    `score` is a calibrated confidence in [0, 1] (see knowledge/fusion.py for how it is
    computed); `rank_score` is the raw fused score used only for ordering.
    """

    doc_id: str
    chunk_id: str
    title: str
    url: str | None
    category: str | None
    score: float
    text: str
    heading_path: tuple[str, ...] = ()
    source: str = ""
    rank_score: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)
    # Cosine of the query to this chunk (None if only full-text found it): the engine's
    # routing rule is calibrated on cosines, so it reads this rather than `score`.
    vector_score: float | None = None
    # Share of the query's AGREEMENT_ROWS nearest vector rows (phrasings, passages, heading
    # lines) that belong to this hit's document; None unless the document has at least
    # that many rows, since a sparse entry cannot fill them (knowledge/search.py).
    agreement: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "title": self.title,
            "url": self.url,
            "category": self.category,
            "score": round(self.score, 4),
            "text": self.text,
            "heading_path": list(self.heading_path),
        }
