"""What the engine needs from the outside, as protocols, so tests can pass fakes of them."""

from __future__ import annotations

from typing import Protocol

from knowledge.types import SearchHit


class KnowledgeSearch(Protocol):
    """The part of knowledge.KnowledgeBase the engine uses."""

    async def asearch(
        self,
        query: str,
        *,
        k: int = 5,
        category: str | None = None,
        product: str | None = None,
        include_internal: bool = False,
        per_doc: bool = True,
    ) -> list[SearchHit]: ...

    def categories(self) -> list[str]: ...
