"""The escalation card's content for each state: what agents see and which buttons exist."""

from __future__ import annotations

import json

from bot.storage.models import Escalation
from bot.types import Button, CardView

_STATUS = {
    "open": "🟡 Waiting for an agent",
    "claimed": "🟢 Claimed",
    "resolved": "✅ Resolved",
    "back_to_bot": "🤖 Back with the bot",
    "released": "🟡 Released, waiting for an agent",
}


def card_for(escalation: Escalation, issue: str, customer: str) -> CardView:
    pid = escalation.public_id
    fields: list[tuple[str, str]] = [
        ("Customer", customer),
        ("Issue", issue),
        ("Reasons", ", ".join(json.loads(escalation.reasons)) or "escalated"),
        ("Opened", f"{escalation.created_at:%Y-%m-%d %H:%M} UTC"),
    ]
    if escalation.claimed_by_name and escalation.status == "claimed":
        fields.append(
            ("Claimed by", f"{escalation.claimed_by_name} at {escalation.claimed_at:%H:%M} UTC")
        )
    if escalation.status == "resolved" and escalation.resolved_at:
        who = escalation.claimed_by_name or "an agent"
        fields.append(("Resolved", f"by {who} at {escalation.resolved_at:%H:%M} UTC"))
    if escalation.status in {"open", "released"}:
        buttons: tuple[Button, ...] = (Button("claim", "Claim", pid, "primary"),)
    elif escalation.status == "claimed":
        buttons = (
            Button("resolve", "Resolve", pid, "primary"),
            Button("draft", "Send draft", pid),
            Button("back_to_bot", "Back to bot", pid),
            Button("release", "Release", pid, "danger"),
        )
    else:
        buttons = ()
    return CardView(
        escalation_id=pid,
        title=f"P{escalation.priority} escalation: {issue[:80]}",
        status=_STATUS.get(escalation.status, escalation.status),
        priority=escalation.priority,
        fields=tuple(fields),
        buttons=buttons,
    )
