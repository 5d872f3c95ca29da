"""The offline answerer: quote the best supporting passage, never write new facts.

Used when no Anthropic key is configured. It has the same interface as the Claude
answerer, so the engine does not know which one is active.
"""

from __future__ import annotations

import re

from bot.answering.base import AnswerRequest, AnswerResult
from bot.answering.thresholds import AnswerThresholds, closeness
from knowledge.types import SearchHit

SIBLING_MARGIN = 0.03  # closeness within which a second section of the top article is quoted
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class ExtractiveAnswerer:
    """Quotes the top passage if its retrieval confidence clears `min_score`."""

    def __init__(
        self, *, thresholds: AnswerThresholds | None = None, max_quote_chars: int = 900
    ) -> None:
        self.thresholds = thresholds or AnswerThresholds()
        self.max_quote_chars = max_quote_chars

    async def answer(self, request: AnswerRequest) -> AnswerResult:
        supported = [
            hit
            for hit in request.passages
            if self.thresholds.support(hit) >= self.thresholds.for_hit(hit)
        ]
        if not supported:
            best = max((self.confidence(hit) for hit in request.passages), default=0.0)
            return AnswerResult(text=None, cited_doc_ids=(), confidence=best)
        best = supported[0]
        cited = [best.doc_id]
        text = _introduce(best) + "\n\n" + quote(best.text, self.max_quote_chars)
        # Another section of the same article that is nearly as close is quoted too: which
        # of an article's sections fits best is often a close call.
        sibling = next(
            (h for h in supported[1:] if h.doc_id == best.doc_id and h.text != best.text), None
        )
        if sibling is not None and closeness(sibling) >= closeness(best) - SIBLING_MARGIN:
            section = " › ".join(sibling.heading_path) or "Overview"
            text += f"\n\n*{section}*:\n\n" + quote(sibling.text, self.max_quote_chars * 2 // 3)
        # A passage from another article that is nearly as strong is worth pointing to.
        other = next((h for h in supported[1:] if h.doc_id != best.doc_id), None)
        if other is not None and closeness(other) >= closeness(best) - 0.05:
            cited.append(other.doc_id)
            text += f"\n\nSee also: {other.title}."
        return AnswerResult(text=text, cited_doc_ids=tuple(cited), confidence=self.confidence(best))

    def confidence(self, hit: SearchHit) -> float:
        """Closeness rescaled so 0.5 sits exactly at the hit's answer threshold.

        The router reads every answerer's confidence on one scale (an LLM's self-report);
        this keeps a quote that cleared its threshold at or above 0.5, and 1.0 = identical.
        """
        threshold = self.thresholds.for_hit(hit)
        value = self.thresholds.support(hit)
        if value >= threshold:
            return min(1.0, 0.5 + 0.5 * (value - threshold) / max(1e-6, 1.0 - threshold))
        return max(0.0, 0.5 * value / max(1e-6, threshold))


def _introduce(hit: SearchHit) -> str:
    section = " › ".join(part for part in hit.heading_path if part and part != hit.title)
    where = f"{hit.title} › {section}" if section else hit.title
    return f"Here is what our help center says in *{where}*:"


def quote(text: str, max_chars: int) -> str:
    """Quote a passage, cut at a paragraph or sentence boundary rather than mid-word."""
    body = text.strip()
    if len(body) > max_chars:
        cut = body[:max_chars]
        boundary = max(cut.rfind("\n\n"), cut.rfind("\n"))
        if boundary < max_chars // 2:
            sentences = _SENTENCE_END.split(cut)
            boundary = len(cut) - len(sentences[-1]) if len(sentences) > 1 else cut.rfind(" ")
        body = cut[: max(boundary, 1)].rstrip() + " …"
    return "\n".join(f"> {line}" if line.strip() else ">" for line in body.splitlines())
