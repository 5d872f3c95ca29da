"""The conversation engine: one customer message in, platform-neutral actions out.

One pass per message: intake (dedupe + store), retrieve, answer, gate, act. Each step that
can fail degrades to an honest reply instead of silence: a broken knowledge base or LLM
turns into "a person will follow up", never into a dropped message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.answering.base import Answerer, AnswerRequest, AnswerResult, HistoryTurn
from bot.ports import KnowledgeSearch
from bot.storage.conversations import ConversationStore, Intake
from bot.text import clean_message, defuse_mass_mentions
from bot.types import Action, Citation, Decision, Inbound, Reply
from knowledge.types import SearchHit

log = logging.getLogger(__name__)

EMPTY_MESSAGE_REPLY = (
    "Your message came through empty. What can I help you with? "
    "A question in a sentence or two works best."
)
NO_ANSWER_REPLY = (
    "I couldn't find an answer to that in our help center, and I'd rather not guess. "
    "I've passed your question to the support team; a person will follow up in this thread."
)
KNOWLEDGE_DOWN_REPLY = (
    "I can't search our help center right now. I've passed your question to the support "
    "team; a person will follow up in this thread."
)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    top_k: int = 5
    max_message_chars: int = 4000
    history_turns: int = 10


@dataclass(frozen=True, slots=True)
class Outcome:
    """The full decision for one message: the actions plus why (for `ask --json` and audit)."""

    actions: tuple[Action, ...]
    decision: Decision
    reply: str | None = None
    citations: tuple[Citation, ...] = ()
    confidence: float = 0.0
    reasons: tuple[str, ...] = ()
    duplicate: bool = False
    hits: tuple[SearchHit, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.decision.value,
            "reply": self.reply,
            "citations": [c.to_json() for c in self.citations],
            "confidence": round(self.confidence, 4),
            "escalation": {"reasons": list(self.reasons)},
            "duplicate": self.duplicate,
        }


class ConversationEngine:
    def __init__(
        self,
        store: ConversationStore,
        knowledge: KnowledgeSearch,
        answerer: Answerer,
        config: EngineConfig | None = None,
    ) -> None:
        self._store = store
        self._knowledge = knowledge
        self._answerer = answerer
        self._config = config or EngineConfig()

    async def handle(self, inbound: Inbound) -> list[Action]:
        return list((await self.process(inbound)).actions)

    async def process(self, inbound: Inbound) -> Outcome:
        cleaned = clean_message(inbound.text, max_chars=self._config.max_message_chars)
        intake = await asyncio.to_thread(self._store.intake, inbound, cleaned.text)
        if intake is None:
            return Outcome(actions=(), decision=Decision.IGNORE, duplicate=True)
        if not cleaned.text:
            return await self._finish(
                inbound, intake, Decision.CLARIFY, EMPTY_MESSAGE_REPLY, (), 0.0, ("empty_message",)
            )

        try:
            hits = await self._knowledge.asearch(cleaned.head, k=self._config.top_k)
        except Exception:
            log.exception("knowledge search failed")
            return await self._finish(
                inbound,
                intake,
                Decision.ESCALATE,
                KNOWLEDGE_DOWN_REPLY,
                (),
                0.0,
                ("knowledge_unavailable",),
            )

        history = await asyncio.to_thread(
            self._store.thread_messages, intake.conversation_id, limit=self._config.history_turns
        )
        request = AnswerRequest(
            question=cleaned.head,
            passages=tuple(hits),
            thread=tuple(HistoryTurn(m.role, m.text) for m in history[:-1]),
        )
        result = await self._answer(request)
        answer_text, citations = _grounded(result, hits)
        if answer_text is None:
            reasons = ("llm_failure",) if result.error else ("no_supporting_passage",)
            return await self._finish(
                inbound, intake, Decision.ESCALATE, NO_ANSWER_REPLY, (), result.confidence, reasons
            )
        if cleaned.truncated:
            answer_text += (
                f"\n\n(Your message was long, so I read its first "
                f"{self._config.max_message_chars:,} characters.)"
            )
        return await self._finish(
            inbound, intake, Decision.ANSWER, answer_text, citations, result.confidence, (), hits
        )

    async def _answer(self, request: AnswerRequest) -> AnswerResult:
        try:
            return await self._answerer.answer(request)
        except Exception as exc:  # an answerer must not raise, but never lose the message
            log.exception("answerer raised")
            return AnswerResult(None, (), 0.0, error=f"answerer_exception: {type(exc).__name__}")

    async def _finish(
        self,
        inbound: Inbound,
        intake: Intake,
        decision: Decision,
        text: str,
        citations: tuple[Citation, ...],
        confidence: float,
        reasons: tuple[str, ...],
        hits: list[SearchHit] | tuple[SearchHit, ...] = (),
    ) -> Outcome:
        text = defuse_mass_mentions(text)
        await asyncio.to_thread(
            self._store.record_bot_reply,
            intake.conversation_id,
            text,
            decision=decision.value,
            confidence=confidence,
            cited_doc_ids=[c.doc_id for c in citations],
            failed=decision is not Decision.ANSWER,
        )
        reply = Reply(
            platform=inbound.platform,
            workspace=inbound.workspace,
            channel=inbound.channel,
            thread=inbound.conversation_key[3],
            text=text,
            citations=citations,
            kind=decision,
        )
        return Outcome(
            actions=(reply,),
            decision=decision,
            reply=text,
            citations=citations,
            confidence=confidence,
            reasons=reasons,
            hits=tuple(hits),
        )


def _grounded(
    result: AnswerResult, hits: list[SearchHit]
) -> tuple[str | None, tuple[Citation, ...]]:
    """Keep an answer only if it cites retrieved passages and nothing else."""
    if not result.text or not result.cited_doc_ids:
        return None, ()
    by_doc = {hit.doc_id: hit for hit in hits}
    if any(doc_id not in by_doc for doc_id in result.cited_doc_ids):
        log.warning("answer cited passages that were not retrieved; not sent")
        return None, ()
    citations = tuple(
        Citation(doc_id, by_doc[doc_id].title, by_doc[doc_id].url)
        for doc_id in dict.fromkeys(result.cited_doc_ids)
    )
    return result.text, citations
