"""The handoff summary: everything an agent needs so the customer never repeats themselves.

Assembled from stored data (messages, the audit trail's triage entries, memory), so it works
offline; personal data is redacted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.handoff.redact import redact
from bot.storage.models import AuditEntry, Conversation, MemoryFact, MemorySummary, Message

_SENTENCE = re.compile(r"(?<=[.!?])\s")

_FIRST_ACTION = (
    ("legal_threat", "Loop in a lead before replying; acknowledge and avoid admitting fault."),
    ("security_or_fraud", "Verify the customer's identity, then secure the account."),
    ("safety", "Reply now; point to emergency services if anyone is at risk."),
    ("explicit_human_request", "Introduce yourself and confirm the issue in one line."),
    ("frustration", "Apologise for the back-and-forth and give a concrete next step."),
    ("repeated_failure", "Read the bot's attempts below; answer what they missed."),
)


@dataclass(frozen=True, slots=True)
class HandoffSummary:
    issue: str
    bot_tried: tuple[str, ...]
    history: str | None
    sentiment_trend: str
    key_details: tuple[str, ...]
    draft_reply: str
    first_action: str
    priority: int
    reasons: tuple[str, ...]

    def render(self) -> str:
        lines = [
            f"*Issue:* {self.issue}",
            f"*Priority:* {self.priority}/10 - {', '.join(self.reasons) or 'escalated'}",
            f"*Sentiment:* {self.sentiment_trend}",
        ]
        if self.bot_tried:
            lines.append("*What the bot tried:*")
            lines.extend(f"• {attempt}" for attempt in self.bot_tried)
        else:
            lines.append("*What the bot tried:* nothing yet")
        if self.key_details:
            lines.append("*Key details:* " + "; ".join(self.key_details))
        if self.history:
            lines.append("*Earlier conversations:*\n" + self.history)
        lines.append(f"*Suggested first action:* {self.first_action}")
        lines.append(f"*Draft reply:* {self.draft_reply}")
        return "\n".join(lines)


def first_sentence(text: str, limit: int = 200) -> str:
    flat = " ".join(line.lstrip("> ").strip() for line in text.split("\n") if line.strip())
    sentence = _SENTENCE.split(flat, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def build_summary(
    engine: Engine, conversation_id: int, priority: int, reasons: tuple[str, ...]
) -> HandoffSummary:
    with Session(engine) as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"conversation {conversation_id} does not exist")
        messages = session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.id))
        ).all()
        decisions = session.exec(
            select(AuditEntry)
            .where(AuditEntry.conversation_id == conversation_id, AuditEntry.kind == "decision")
            .order_by(col(AuditEntry.seq))
        ).all()
        facts = session.exec(
            select(MemoryFact).where(MemoryFact.user_id == conversation.user_id)
        ).all()
        history = session.get(MemorySummary, conversation.user_id)

    customer = [m for m in messages if m.role == "customer" and m.text.strip()]
    # The message that led to the handoff is the issue; a thread may have started elsewhere.
    issue = redact(first_sentence(customer[-1].text)) if customer else "(no message text)"
    tried = []
    for message in messages:
        if message.role != "bot" or message.decision not in {"answer", "clarify"}:
            continue
        cited = json.loads(message.citations or "[]")
        source = f" (cited {', '.join(cited)})" if cited else ""
        tried.append(f"{message.decision}: {redact(first_sentence(message.text, 140))}{source}")
    sentiments = []
    for entry in decisions:
        triage = json.loads(entry.payload).get("triage") or {}
        if triage.get("sentiment"):
            sentiments.append(str(triage["sentiment"]))
    trend = " → ".join(sentiments[-5:]) if sentiments else "unknown"
    details = tuple(f"{f.key}: {redact(f.text)}" for f in facts)
    if len(customer) > 1:
        opening = redact(first_sentence(customer[0].text, 120))
        details += (f'{len(customer)} customer messages in this thread, starting with "{opening}"',)
    action = next(
        (text for key, text in _FIRST_ACTION if any(r.startswith(key) for r in reasons)),
        "Answer the question; if the docs lack it, approve the resolution as a KB article.",
    )
    draft = (
        "Hi, I'm from the support team and I've read the conversation above. "
        f'About "{issue}": I\'m on it and will get back to you here shortly.'
    )
    return HandoffSummary(
        issue=issue,
        bot_tried=tuple(tried[-5:]),
        history=redact(history.text) if history and history.text else None,
        sentiment_trend=trend,
        key_details=details,
        draft_reply=draft,
        first_action=action,
        priority=priority,
        reasons=reasons,
    )
