"""Helpers shared by the answering tests (kept out of conftest.py so tests can import them)."""

from __future__ import annotations

from typing import Any

from knowledge.types import SearchHit

TEST_MODEL = "claude-test-model"
TEST_MAX_TOKENS = 400


def hit(doc_id: str, text: str, title: str = "Doc", **extra: Any) -> SearchHit:
    """A retrieved passage as the knowledge base would return it."""
    return SearchHit(
        doc_id=doc_id,
        chunk_id=f"{doc_id}#0",
        title=title,
        url=f"https://docs.example.com/{doc_id}",
        category="account",
        score=0.8,
        text=text,
        **extra,
    )
