"""Knowledge base suggestions: agents' resolutions waiting for a person to approve them.

Approving writes the suggestion as a Markdown article under SUPPORTBOT_HOME/suggestions/,
which is always one of the knowledge sources, so the next ingest or sync keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.handoff.summary import first_sentence
from bot.storage.database import writer
from bot.storage.models import KbSuggestion, utcnow

SUGGESTIONS_CATEGORY = "agent-answers"


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    question: str
    answer: str
    status: str


class SuggestionError(ValueError):
    """An approve or reject that cannot be done (unknown id, already decided)."""


def list_suggestions(engine: Engine, status: str | None = "pending") -> list[Suggestion]:
    with Session(engine) as session:
        query = select(KbSuggestion).order_by(col(KbSuggestion.id))
        if status:
            query = query.where(KbSuggestion.status == status)
        rows = session.exec(query).all()
    return [Suggestion(r.id or 0, r.question, r.answer, r.status) for r in rows]


def decide(engine: Engine, suggestion_id: int, approve: bool, who: str) -> Suggestion:
    with Session(writer(engine)) as session:
        row = session.get(KbSuggestion, suggestion_id)
        if row is None:
            raise SuggestionError(f"no suggestion {suggestion_id}")
        if row.status != "pending":
            raise SuggestionError(f"suggestion {suggestion_id} is already {row.status}")
        row.status = "approved" if approve else "rejected"
        row.decided_at = utcnow()
        row.decided_by = who
        session.add(row)
        session.commit()
        return Suggestion(row.id or 0, row.question, row.answer, row.status)


def write_article(suggestion: Suggestion, directory: Path) -> Path:
    """The approved suggestion as a Markdown article with front matter."""
    directory.mkdir(parents=True, exist_ok=True)
    title = first_sentence(suggestion.question, 120).replace('"', "'")
    path = directory / f"suggestion-{suggestion.id}.md"
    path.write_text(
        "---\n"
        f'title: "{title}"\n'
        f"category: {SUGGESTIONS_CATEGORY}\n"
        f"updated: {utcnow():%Y-%m-%d}\n"
        "---\n\n"
        f"## {title}\n\n{suggestion.answer.strip()}\n",
        encoding="utf-8",
    )
    return path
