"""Render engine actions as plain terminal text (the console's Block Kit)."""

from __future__ import annotations

from bot.types import Action, Decision, Reply

_LABEL = {
    Decision.ANSWER: "bot",
    Decision.CLARIFY: "bot (question)",
    Decision.ESCALATE: "bot (handing over)",
}


def render(action: Action) -> str:
    if isinstance(action, Reply):
        lines = [f"{_LABEL.get(action.kind, 'bot')}> {action.text}"]
        if action.citations:
            lines.append("Sources:")
            for number, citation in enumerate(action.citations, start=1):
                link = f" <{citation.url}>" if citation.url else ""
                lines.append(f"  [{number}] {citation.title}{link}")
        return "\n".join(lines)
    return f"[{type(action).__name__}] {action}"
