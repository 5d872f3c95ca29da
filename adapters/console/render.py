"""Render engine actions as plain terminal text (the console's Block Kit)."""

from __future__ import annotations

from bot.types import (
    Action,
    AskRating,
    CardView,
    Decision,
    PostEscalation,
    PostInThread,
    PrivateNotice,
    Reply,
    UpdateCard,
)

_LABEL = {
    Decision.ANSWER: "bot",
    Decision.CLARIFY: "bot (question)",
    Decision.ESCALATE: "bot (handing over)",
}

_COMMAND = {
    "claim": "/claim",
    "resolve": "/resolve",
    "draft": "/draft",
    "back_to_bot": "/back",
    "release": "/release",
}


def render_card(card: CardView) -> str:
    lines = [f"┌ {card.title}", f"│ {card.status}"]
    lines += [f"│ {name}: {value}" for name, value in card.fields]
    if card.buttons:
        buttons = "  ".join(
            f"[{b.label}: {_COMMAND.get(b.action, b.action)} {b.value}]" for b in card.buttons
        )
        lines.append(f"└ {buttons}")
    else:
        lines.append("└")
    return "\n".join(lines)


def render(action: Action) -> str:
    if isinstance(action, Reply):
        lines = [f"{_LABEL.get(action.kind, 'bot')}> {action.text}"]
        if action.citations:
            lines.append("Sources:")
            for number, citation in enumerate(action.citations, start=1):
                link = f" <{citation.url}>" if citation.url else ""
                lines.append(f"  [{number}] {citation.title}{link}")
        return "\n".join(lines)
    if isinstance(action, PostEscalation):
        return (
            f"[#{action.desk.channel}] new escalation\n{render_card(action.card)}\n"
            f"[#{action.desk.channel} › thread {action.card.escalation_id}] handoff summary:\n"
            f"{action.summary}"
        )
    if isinstance(action, UpdateCard):
        return f"[#{action.desk.channel}] card updated\n{render_card(action.card)}"
    if isinstance(action, PostInThread):
        where = f"#{action.place.channel} › thread {action.place.thread}"
        who = f"{action.author}: " if action.author else ""
        return f"[{where}] {who}{action.text}"
    if isinstance(action, PrivateNotice):
        return f"(only {action.user} sees this) {action.text}"
    if isinstance(action, AskRating):
        scale = " ".join(b.label for b in action.buttons)
        return f"bot> {action.text} [{scale}] (type /rate N)"
    return f"[{type(action).__name__}] {action}"
