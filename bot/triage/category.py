"""Category from the retrieval hits the engine already has, not from a second KB query.

The top hits vote with their scores: one stray strong hit from another category does
not outvote three good ones, and a near-even split is reported so the router can ask
the customer to clarify instead of guessing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CategoryHit = tuple[str | None, float]  # (category of a hit, its retrieval score)


@dataclass(frozen=True, slots=True)
class CategoryVote:
    category: str
    share: float  # share of the top hits' score mass, in [0, 1]
    best_score: float


def rank_categories(hits: Sequence[CategoryHit], top_k: int = 5) -> list[CategoryVote]:
    """Categories of the `top_k` best hits, ranked by summed score (ties: best single hit)."""
    ranked = sorted(hits, key=lambda hit: hit[1], reverse=True)[:top_k]
    mass: dict[str, float] = {}
    best: dict[str, float] = {}
    for category, score in ranked:
        if not category:
            continue
        weight = max(0.0, float(score))
        mass[category] = mass.get(category, 0.0) + weight
        best[category] = max(best.get(category, 0.0), weight)
    total = sum(mass.values())
    votes = [
        CategoryVote(category, mass[category] / total if total else 0.0, best[category])
        for category in mass
    ]
    votes.sort(key=lambda vote: (vote.share, vote.best_score), reverse=True)
    return votes


def nearest_category(hits: Sequence[CategoryHit], top_k: int = 5) -> str | None:
    votes = rank_categories(hits, top_k)
    return votes[0].category if votes else None


def categories_near_tied(votes: Sequence[CategoryVote], max_gap: float = 0.15) -> bool:
    """True when the two leading categories hold nearly the same share of the evidence."""
    return len(votes) >= 2 and votes[0].share - votes[1].share < max_gap
