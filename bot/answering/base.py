"""The answerer port: one call per customer message on the answer path.

The engine does not know which answerer is active (Claude or the offline extractive one);
both take an `AnswerRequest` and return an `AnswerResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from knowledge.types import SearchHit


@dataclass(frozen=True, slots=True)
class HistoryTurn:
    """One earlier message the answerer may see (thread or the user's relevant history)."""

    role: str  # "customer" | "bot" | "agent"
    text: str


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    question: str
    passages: tuple[SearchHit, ...]
    thread: tuple[HistoryTurn, ...] = ()
    memory: tuple[str, ...] = ()  # facts about this user that may be used in this reply
    categories: tuple[str, ...] = ()  # the knowledge base's categories, for triage


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """What an answerer produced.

    `text` is None when the answerer found no supporting passage: the engine then says
    honestly that it does not know (or escalates). `cited_doc_ids` must be a subset of the
    request's passages' doc ids; the engine refuses to send anything else.
    """

    text: str | None
    cited_doc_ids: tuple[str, ...]
    confidence: float
    triage: dict[str, object] = field(default_factory=dict)  # LLM-suggested triage fields
    error: str | None = None  # set when the answerer failed after retries


class Answerer(Protocol):
    async def answer(self, request: AnswerRequest) -> AnswerResult: ...
