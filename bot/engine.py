"""The conversation engine: one customer message in, platform-neutral actions out.

One pass per message:
1. intake: dedupe by event id and store the message, its ticket move and audit entry
   (one transaction); memory commands ("what do you remember about me?", "forget me");
2. retrieve from the knowledge base;
3. triage locally (intent, sentiment, signals, frustration with the user's history);
4. required escalations (human request, legal, security, safety, repeated failure,
   frustration) are decided before any LLM call; otherwise exactly one answerer call,
   whose suggested triage is merged in (it can only raise the stakes);
5. the deterministic router decides answer / clarify / escalate, with reasons;
6. act: reply in the thread, and store the reply, ticket move and audit entries.
Each step that can fail degrades to an honest reply instead of silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from bot import replies
from bot.answering.base import Answerer, AnswerRequest, AnswerResult, HistoryTurn
from bot.answering.thresholds import AnswerThresholds
from bot.escalation import DecisionInput, EscalationRouter
from bot.handoff.service import ActiveEscalation, HandoffService
from bot.handoff.summary import HandoffSummary
from bot.memory import FORGET_REQUEST, RECALL_REQUEST, MemoryScope, MemoryStore
from bot.ports import KnowledgeSearch
from bot.storage.conversations import ConversationStore, Intake, StoredMessage
from bot.text import CleanText, clean_message, defuse_mass_mentions
from bot.triage import Intent, PastMessage, Triage, TriageContext, Triager, merge_llm_triage
from bot.triage.category import categories_near_tied
from bot.types import Action, Citation, Decision, Inbound, Reply
from knowledge.types import SearchHit

log = logging.getLogger(__name__)

# A question this close (relative to the answer threshold) nearly matched: if it is very
# short, or matched several categories about equally, asking is better than handing over.
NEAR_MISS = 0.9

# Besides one hit per article, the answerer also sees up to this many more sections of the
# best article: the right section is often a close second within it.
SECTIONS_OF_TOP_ARTICLE = 2


class SummaryWriter(Protocol):
    """Improves the offline handoff summary (e.g. Claude); must return it on failure."""

    async def improve(
        self, summary: HandoffSummary, transcript: Sequence[tuple[str, str]]
    ) -> HandoffSummary: ...


@dataclass(frozen=True, slots=True)
class EngineConfig:
    top_k: int = 5
    max_message_chars: int = 4000
    history_turns: int = 10
    user_history_messages: int = 30


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
    triage: Triage | None = None
    ticket_state: str | None = None
    hits: tuple[SearchHit, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, object]:
        return {
            "action": self.decision.value,
            "reply": self.reply,
            "citations": [c.to_json() for c in self.citations],
            "confidence": round(self.confidence, 4),
            "triage": self.triage.to_json() if self.triage else None,
            "escalation": {"reasons": list(self.reasons)},
            "ticket": {"state": self.ticket_state},
            "duplicate": self.duplicate,
        }


@dataclass
class _Turn:
    """What one pass has learned so far, handed from step to step."""

    inbound: Inbound
    intake: Intake
    text: str
    scope: MemoryScope
    truncated: bool = False
    relayed: tuple[Action, ...] = ()
    escalated: bool = False  # an escalation is already open for this conversation
    hits: list[SearchHit] = field(default_factory=list)
    triage: Triage | None = None


@dataclass(frozen=True, slots=True)
class _Context:
    """The conversation's stored context, read while the knowledge search runs."""

    history: list[StoredMessage]
    past: tuple[PastMessage, ...] = ()  # the user's earlier messages, for triage
    memory: tuple[str, ...] = ()  # remembered facts the answerer may use


@dataclass(frozen=True, slots=True)
class _Gathered:
    active: ActiveEscalation | None
    context: _Context


class ConversationEngine:
    def __init__(
        self,
        store: ConversationStore,
        knowledge: KnowledgeSearch,
        answerer: Answerer,
        config: EngineConfig | None = None,
        *,
        memory: MemoryStore | None = None,
        triager: Triager | None = None,
        router: EscalationRouter | None = None,
        handoff: HandoffService | None = None,
        thresholds: AnswerThresholds | None = None,
        summary_writer: SummaryWriter | None = None,
    ) -> None:
        self._store = store
        self._knowledge = knowledge
        self._answerer = answerer
        self._config = config or EngineConfig()
        self._memory = memory
        self._triager = triager
        self._router = router or EscalationRouter()
        self._handoff = handoff
        self._thresholds = thresholds or AnswerThresholds()
        self._summary_writer = summary_writer
        self._categories: tuple[str, ...] | None = None

    async def handle(self, inbound: Inbound) -> list[Action]:
        return list((await self.process(inbound)).actions)

    async def process(self, inbound: Inbound) -> Outcome:
        cleaned = clean_message(inbound.text, max_chars=self._config.max_message_chars)
        # The knowledge search (the slow step: query embedding plus two retrievers) needs
        # nothing from the database, so it starts now and runs beside intake and the
        # context reads; a message that turns out not to need it (a duplicate event, a
        # memory command, a claimed conversation) just drops the result.
        search: asyncio.Task[list[SearchHit] | Exception] | None = None
        if cleaned.text and not inbound.from_agent:
            search = asyncio.create_task(self._search(cleaned.head))
        try:
            return await self._process(inbound, cleaned, search)
        finally:
            if search is not None and not search.done():
                search.cancel()

    async def _search(self, text: str) -> list[SearchHit] | Exception:
        """The hits, or the error (reported by the step that uses the result)."""
        try:
            return await self._knowledge.asearch(
                text, k=self._config.top_k + SECTIONS_OF_TOP_ARTICLE, per_doc=False
            )
        except Exception as exc:
            return exc

    async def _process(
        self,
        inbound: Inbound,
        cleaned: CleanText,
        search: asyncio.Task[list[SearchHit] | Exception] | None,
    ) -> Outcome:
        intake = await asyncio.to_thread(self._store.intake, inbound, cleaned.text)
        if intake is None:
            return Outcome(actions=(), decision=Decision.IGNORE, duplicate=True)
        turn = _Turn(
            inbound,
            intake,
            cleaned.head,
            MemoryScope(intake.user_id, intake.conversation_id, intake.is_dm),
            truncated=cleaned.truncated,
        )
        if inbound.from_agent:  # a person from support answered in the thread: stay quiet
            return Outcome(actions=(), decision=Decision.IGNORE, reasons=("human_reply",))
        command = self._memory_request(turn.text)
        # One worker-thread hop for every read and write before the answer (each hop costs
        # a wake-up of the event loop, which the busy search threads make slow).
        gathered = await asyncio.to_thread(self._gather, turn, command)
        relayed: tuple[Action, ...] = ()
        active = gathered.active
        if active is not None:
            turn.escalated = True
            author = inbound.user_name or inbound.user
            relayed = tuple(
                await asyncio.to_thread(
                    self._handoff.customer_message,  # type: ignore[union-attr]
                    intake.conversation_id,
                    cleaned.text,
                    author,
                )
            )
            if active.status == "claimed":  # the agent answers, not the bot
                return Outcome(
                    actions=relayed,
                    decision=Decision.ESCALATE,
                    reasons=(f"claimed_by:{active.claimed_by_name}",),
                    ticket_state=intake.ticket_state,
                )
        turn.relayed = relayed
        if not cleaned.text:
            return await self._finish(
                turn, Decision.CLARIFY, replies.EMPTY_MESSAGE, reasons=("empty_message",)
            )
        if command is not None:
            return await self._memory_command(turn, command)

        context = gathered.context
        history = context.history
        if search is None:  # process() starts it for every customer message with text
            search = asyncio.create_task(self._search(cleaned.head))
        found = await search
        if isinstance(found, Exception):
            log.error("knowledge search failed", exc_info=found)
            return await self._finish(
                turn, Decision.ESCALATE, replies.KNOWLEDGE_DOWN, reasons=("knowledge_unavailable",)
            )

        turn.hits, more_sections = _one_per_article(found, self._config.top_k)
        report = await self._triage(
            turn, [m.text for m in history[:-1] if m.role == "customer"], context.past
        )
        retrieval_confidence = self._thresholds.support(turn.hits[0]) if turn.hits else None
        threshold = self._thresholds.for_hit(turn.hits[0]) if turn.hits else 1.0
        router = self._router_for(threshold)
        # Near-tied categories make a question ambiguous only when it nearly matched: far
        # from everything, it is out of scope (escalate), not ambiguous (clarify).
        near_miss = (retrieval_confidence or 0.0) >= NEAR_MISS * threshold
        decision_context = {
            "failed_attempts": intake.failed_attempts,
            "ambiguous": bool(report and near_miss and categories_near_tied(report.categories)),
            # A short message is worth a clarifying question only if it nearly matched;
            # a short question far from everything ("is flu contagious") is out of scope.
            "word_count": len(turn.text.split()) if near_miss else None,
            "clarifications_asked": sum(1 for m in history if m.decision == "clarify"),
        }

        # Required escalations need no LLM call: decide them on local triage alone.
        if turn.triage is not None:
            required = router.required_escalation_reasons(
                DecisionInput(turn.triage, retrieval_confidence, **decision_context)  # type: ignore[arg-type]
            )
            if required:
                return await self._finish(
                    turn, Decision.ESCALATE, replies.handover(required), reasons=tuple(required)
                )

        request = AnswerRequest(
            question=turn.text,
            passages=(*turn.hits, *more_sections),
            thread=tuple(HistoryTurn(m.role, m.text) for m in history[:-1]),
            memory=context.memory,
            categories=self._known_categories(),
        )
        result = await self._answer(request)
        answer_text, citations = _grounded(result, turn.hits)
        if result.text and answer_text is None and result.error is None:
            result = AnswerResult(None, (), 0.0, result.triage, error="citation_not_in_passages")

        if turn.triage is not None and report is not None:
            turn.triage = merge_llm_triage(
                turn.triage,
                result.triage,
                lexicon_intent=report.intent_from_lexicon,
                categories=self._known_categories(),
            )
        if turn.triage is None:  # no triager configured: a grounded answer or a handover
            return await self._without_router(turn, result, answer_text, citations)

        routed = router.decide(
            DecisionInput.from_answer(
                turn.triage,
                retrieval_confidence,
                AnswerResult(
                    answer_text,
                    result.cited_doc_ids,
                    result.confidence,
                    result.triage,
                    result.error,
                ),
                **decision_context,  # type: ignore[arg-type]
            )
        )
        reasons = routed.reasons
        if routed.action is Decision.ANSWER:
            if answer_text is not None:
                return await self._finish(
                    turn,
                    Decision.ANSWER,
                    answer_text,
                    citations,
                    result.confidence,
                    reasons,
                )
            if turn.triage.intent is Intent.FEEDBACK:
                return await self._finish(
                    turn, Decision.ANSWER, replies.FEEDBACK_THANKS, reasons=reasons
                )
            reasons = (*reasons, "no_supporting_passage")
            return await self._finish(
                turn, Decision.ESCALATE, replies.handover(reasons), reasons=reasons
            )
        if routed.action is Decision.CLARIFY:
            suggested = result.triage.get("clarifying_question")
            question = replies.clarifying_question(
                routed.clarify_reason,
                suggested if isinstance(suggested, str) else None,
                [v.category for v in (report.categories if report else ())],
            )
            return await self._finish(
                turn, Decision.CLARIFY, question, confidence=result.confidence, reasons=reasons
            )
        return await self._finish(
            turn,
            Decision.ESCALATE,
            replies.handover(reasons),
            confidence=result.confidence,
            reasons=reasons,
        )

    def _router_for(self, threshold: float) -> EscalationRouter:
        """The router with the retrieval threshold of what matched (FAQ or passage)."""
        policy = self._router.policy
        if policy.min_retrieval_confidence == threshold:
            return self._router
        return EscalationRouter(replace(policy, min_retrieval_confidence=threshold))

    async def _open_escalation(self, turn: _Turn, reasons: tuple[str, ...]) -> list[Action]:
        """Post the card and handoff summary (written by Claude when a writer is set)."""
        assert self._handoff is not None
        cid = turn.intake.conversation_id
        priority = turn.triage.priority if turn.triage else 5
        summary = None
        if self._summary_writer is not None:
            draft = await asyncio.to_thread(self._handoff.draft_summary, cid, priority, reasons)
            history = await asyncio.to_thread(self._store.thread_messages, cid, limit=30)
            summary = await self._summary_writer.improve(draft, [(m.role, m.text) for m in history])
        return await asyncio.to_thread(self._handoff.open, cid, priority, reasons, summary)

    # --- steps ---------------------------------------------------------------------------
    def _memory_request(self, text: str) -> str | None:
        """ "recall" or "forget" when the message asks about the user's memory."""
        if self._memory is None:
            return None
        if RECALL_REQUEST.match(text):
            return "recall"
        if FORGET_REQUEST.match(text):
            return "forget"
        return None

    def _gather(self, turn: _Turn, command: str | None) -> _Gathered:
        """The open escalation, what this message teaches memory, and the stored context."""
        cid = turn.intake.conversation_id
        active = self._handoff.active_for(cid) if self._handoff is not None else None
        if active is not None and active.status == "claimed":
            return _Gathered(active, _Context([]))  # the agent answers: nothing else needed
        if self._memory is not None and command is None and turn.text:
            self._memory.learn(turn.scope, turn.intake.message_id, turn.text)
        return _Gathered(active, self._read_context(turn))

    async def _memory_command(self, turn: _Turn, command: str) -> Outcome:
        if self._memory is None:  # _memory_request recognises commands only with memory on
            raise RuntimeError("a memory command needs a memory store")
        if command == "recall":
            text = await asyncio.to_thread(self._memory.describe, turn.scope)
            return await self._finish(turn, Decision.ANSWER, text, reasons=("memory_request",))
        erased = await asyncio.to_thread(self._memory.forget, turn.scope.user_id)
        text = (
            f"Done. I've deleted everything I had about you: {erased.conversations} "
            f"conversation(s), {erased.messages} message(s) and {erased.facts} remembered "
            "fact(s). Nothing of it is kept."
        )
        # The conversation itself is gone, so the reply is not stored anywhere.
        return self._outcome(
            turn, Decision.ANSWER, text, reasons=("forget_request",), ticket_state=None
        )

    def _read_context(self, turn: _Turn) -> _Context:
        """Everything the later steps read from the database, in one worker-thread hop."""
        history = self._store.thread_messages(
            turn.intake.conversation_id, limit=self._config.history_turns
        )
        if self._memory is None:
            return _Context(history)
        past = ()
        if self._triager is not None:
            earlier = self._memory.previous_customer_messages_with_conversation(
                turn.scope, limit=self._config.user_history_messages
            )
            past = tuple(PastMessage(text=text, conversation_id=str(cid)) for text, cid in earlier)
        facts = self._memory.recall(turn.scope)
        return _Context(history, past, tuple(f"{fact.key}: {fact.text}" for fact in facts))

    async def _triage(  # type: ignore[no-untyped-def]
        self, turn: _Turn, previous: list[str], past: tuple[PastMessage, ...]
    ):
        if self._triager is None:
            return None
        context = TriageContext(
            previous_messages=tuple(previous),
            failed_attempts=turn.intake.failed_attempts,
            user_history=past,
            is_vip=turn.intake.is_vip,
        )
        hits = [(h.category or "", h.score) for h in turn.hits]
        report = await asyncio.to_thread(self._triager.assess, turn.text, context, hits)
        turn.triage = report.triage
        return report

    def _known_categories(self) -> tuple[str, ...]:
        if self._categories is None:
            try:
                self._categories = tuple(self._knowledge.categories())
            except Exception:
                log.exception("could not list knowledge categories")
                return ()
        return self._categories

    async def _answer(self, request: AnswerRequest) -> AnswerResult:
        try:
            return await self._answerer.answer(request)
        except Exception as exc:  # an answerer must not raise, but never lose the message
            log.exception("answerer raised")
            return AnswerResult(None, (), 0.0, error=f"answerer_exception: {type(exc).__name__}")

    async def _without_router(
        self, turn: _Turn, result: AnswerResult, text: str | None, citations: tuple[Citation, ...]
    ) -> Outcome:
        if text is None:
            reasons = ("llm_failure",) if result.error else ("no_supporting_passage",)
            return await self._finish(
                turn,
                Decision.ESCALATE,
                replies.handover(reasons),
                confidence=result.confidence,
                reasons=reasons,
            )
        return await self._finish(turn, Decision.ANSWER, text, citations, result.confidence)

    async def _finish(
        self,
        turn: _Turn,
        decision: Decision,
        text: str,
        citations: tuple[Citation, ...] = (),
        confidence: float = 0.0,
        reasons: tuple[str, ...] = (),
    ) -> Outcome:
        if turn.truncated and decision is not Decision.CLARIFY:
            text += (
                f"\n\n(Your message was long, so I read its first "
                f"{self._config.max_message_chars:,} characters.)"
            )
        text = defuse_mass_mentions(text)
        state = await asyncio.to_thread(
            self._store.record_outcome,
            turn.intake.conversation_id,
            text,
            decision=decision.value,
            confidence=confidence,
            cited_doc_ids=[c.doc_id for c in citations],
            reasons=reasons,
            retrieval=[
                {"doc_id": h.doc_id, "chunk_id": h.chunk_id, "score": round(h.score, 4)}
                for h in turn.hits
            ],
            triage=turn.triage.to_json() if turn.triage else None,
            failed=decision is not Decision.ANSWER,
        )
        extra: list[Action] = list(turn.relayed)
        if decision is Decision.ESCALATE and self._handoff is not None and not turn.escalated:
            extra += await self._open_escalation(turn, reasons)
        return self._outcome(
            turn, decision, text, citations, confidence, reasons, state, tuple(extra)
        )

    def _outcome(
        self,
        turn: _Turn,
        decision: Decision,
        text: str,
        citations: tuple[Citation, ...] = (),
        confidence: float = 0.0,
        reasons: tuple[str, ...] = (),
        ticket_state: str | None = None,
        extra: tuple[Action, ...] = (),
    ) -> Outcome:
        inbound = turn.inbound
        reply = Reply(
            platform=inbound.platform,
            workspace=inbound.workspace,
            channel=inbound.channel,
            thread=inbound.conversation_key[3],
            text=defuse_mass_mentions(text),
            citations=citations,
            kind=decision,
        )
        return Outcome(
            actions=(reply, *extra),
            decision=decision,
            reply=reply.text,
            citations=citations,
            confidence=confidence,
            reasons=reasons,
            triage=turn.triage,
            ticket_state=ticket_state,
            hits=tuple(turn.hits),
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


def _one_per_article(
    found: list[SearchHit], k: int
) -> tuple[list[SearchHit], tuple[SearchHit, ...]]:
    """(best hit of each article, up to k; other sections of the top article)."""
    best: dict[str, SearchHit] = {}
    for hit in found:
        best.setdefault(hit.doc_id, hit)
    hits = list(best.values())[:k]
    if not hits:
        return hits, ()
    top = hits[0]
    more = [h for h in found if h.doc_id == top.doc_id and h.chunk_id != top.chunk_id]
    return hits, tuple(more[:SECTIONS_OF_TOP_ARTICLE])
