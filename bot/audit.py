"""A hash-chained audit trail per conversation.

Each entry's hash covers its content and the previous entry's hash; the conversation row
keeps the chain's head, so editing, deleting or reordering any entry (including the last)
is detected by `supportbot audit verify`. Payloads hold ids, scores and text digests, not
message text, so the trail itself is not a second copy of personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.storage.models import AuditEntry, Conversation, utcnow

GENESIS = "0" * 64


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def entry_hash(
    prev_hash: str, conversation_id: int, seq: int, kind: str, payload: str, at: str
) -> str:
    material = "\x1f".join([prev_hash, str(conversation_id), str(seq), kind, payload, at])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _at(entry: AuditEntry) -> str:
    return entry.at.replace(tzinfo=None).isoformat(timespec="microseconds")


class AuditTrail:
    """Appends inside the caller's session so an entry commits with the step it records."""

    @staticmethod
    def append(
        session: Session, conversation: Conversation, kind: str, payload: dict[str, Any]
    ) -> None:
        seq = conversation.audit_seq + 1
        entry = AuditEntry(
            conversation_id=conversation.id,  # type: ignore[arg-type]
            seq=seq,
            kind=kind,
            payload=canonical(payload),
            at=utcnow(),
            prev_hash=conversation.audit_head or GENESIS,
            hash="",
        )
        entry.hash = entry_hash(
            entry.prev_hash, entry.conversation_id, seq, kind, entry.payload, _at(entry)
        )
        conversation.audit_seq = seq
        conversation.audit_head = entry.hash
        session.add(entry)
        session.add(conversation)


@dataclass(frozen=True, slots=True)
class AuditProblem:
    conversation_id: int
    seq: int | None
    problem: str  # modified | missing | broken_link | head_mismatch

    def __str__(self) -> str:
        where = f"entry {self.seq}" if self.seq is not None else "chain head"
        return f"conversation {self.conversation_id}, {where}: {self.problem}"


@dataclass(frozen=True, slots=True)
class AuditReport:
    conversations: int
    entries: int
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(engine: Engine, conversation_id: int | None = None) -> AuditReport:
    with Session(engine) as session:
        query = select(Conversation)
        if conversation_id is not None:
            query = query.where(Conversation.id == conversation_id)
        conversations = session.exec(query).all()
        problems: list[AuditProblem] = []
        total = 0
        for conversation in conversations:
            entries = session.exec(
                select(AuditEntry)
                .where(AuditEntry.conversation_id == conversation.id)
                .order_by(col(AuditEntry.seq))
            ).all()
            total += len(entries)
            problems.extend(_verify_chain(conversation, list(entries)))
    return AuditReport(len(conversations), total, tuple(problems))


def _verify_chain(conversation: Conversation, entries: list[AuditEntry]) -> list[AuditProblem]:
    cid = conversation.id or 0
    problems: list[AuditProblem] = []
    expected_seq = 1
    prev_hash = GENESIS
    for entry in entries:
        while entry.seq > expected_seq:  # one or more rows are gone
            problems.append(AuditProblem(cid, expected_seq, "missing"))
            expected_seq += 1
        recomputed = entry_hash(
            entry.prev_hash, cid, entry.seq, entry.kind, entry.payload, _at(entry)
        )
        if recomputed != entry.hash:
            problems.append(AuditProblem(cid, entry.seq, "modified"))
        elif entry.prev_hash != prev_hash and not any(p.problem == "missing" for p in problems):
            problems.append(AuditProblem(cid, entry.seq, "broken_link"))
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
    if conversation.audit_seq >= expected_seq:
        for seq in range(expected_seq, conversation.audit_seq + 1):
            problems.append(AuditProblem(cid, seq, "missing"))
    elif (entries and conversation.audit_head != entries[-1].hash) or (
        not entries and conversation.audit_seq
    ):
        problems.append(AuditProblem(cid, None, "head_mismatch"))
    return problems
