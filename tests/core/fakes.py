"""Fakes of the engine's ports (not of our components): a keyword knowledge base."""

from __future__ import annotations

from knowledge.types import SearchHit


def hit(doc_id: str, title: str, text: str, score: float, url: str | None = None) -> SearchHit:
    return SearchHit(
        doc_id=doc_id,
        chunk_id=f"{doc_id}#0",
        title=title,
        url=url or f"https://help.example/{doc_id}",
        category="account",
        score=score,
        text=text,
    )


class KeywordKnowledge:
    """Returns the passages whose keywords all occur in the query; counts its calls."""

    def __init__(self, entries: dict[tuple[str, ...], SearchHit], *, fail: bool = False) -> None:
        self.entries = entries
        self.fail = fail
        self.queries: list[str] = []

    async def asearch(self, query: str, **_: object) -> list[SearchHit]:
        self.queries.append(query)
        if self.fail:
            raise RuntimeError("index unavailable")
        lowered = query.lower()
        return [h for keys, h in self.entries.items() if all(k in lowered for k in keys)]

    def categories(self) -> list[str]:
        return sorted({h.category or "" for h in self.entries.values()})
