"""The engine in the core: real SQLite store and extractive answerer, a fake knowledge port."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering.base import AnswerRequest, AnswerResult
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.thresholds import AnswerThresholds
from bot.engine import ConversationEngine, EngineConfig
from bot.storage.conversations import ConversationStore
from bot.storage.database import make_engine
from bot.storage.schema import upgrade_schema
from bot.types import Decision, Inbound, Platform, Reply
from tests.core.fakes import KeywordKnowledge, hit

RESET = hit(
    "account/reset-password",
    "How to reset your password",
    "1. Open the sign-in page.\n2. Click **Forgot password?**\n"
    "3. Follow the emailed link within 60 minutes.",
    0.82,
)


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade_schema(engine)
    return ConversationStore(engine)


def make_engine_with(
    store: ConversationStore, knowledge: KeywordKnowledge, answerer=None
) -> ConversationEngine:
    return ConversationEngine(
        store,
        knowledge,
        answerer or ExtractiveAnswerer(thresholds=AnswerThresholds(passage=0.45)),
        EngineConfig(max_message_chars=200),
    )


def msg(text: str, event: str = "E1", *, thread: str = "T1", user: str = "U1") -> Inbound:
    return Inbound(Platform.SLACK, "W1", "C1", user, text, event, thread=thread, mentions_bot=True)


async def test_answers_with_a_citation_in_the_thread(store: ConversationStore) -> None:
    engine = make_engine_with(store, KeywordKnowledge({("password",): RESET}))
    outcome = await engine.process(msg("How do I reset my password?"))
    assert outcome.decision is Decision.ANSWER
    [reply] = outcome.actions
    assert isinstance(reply, Reply) and reply.thread == "T1" and reply.channel == "C1"
    assert "Forgot password" in reply.text
    assert [c.doc_id for c in reply.citations] == ["account/reset-password"]
    assert outcome.confidence == pytest.approx(0.5 + 0.5 * (0.82 - 0.45) / (1 - 0.45))


async def test_unknown_question_gets_an_honest_reply_not_an_invention(
    store: ConversationStore,
) -> None:
    engine = make_engine_with(store, KeywordKnowledge({("password",): RESET}))
    outcome = await engine.process(msg("What's the weather in Lisbon?"))
    assert outcome.decision is Decision.ESCALATE
    assert outcome.citations == ()
    assert "rather not guess" in (outcome.reply or "")
    assert outcome.reasons == ("no_supporting_passage",)


async def test_weak_passage_is_not_quoted(store: ConversationStore) -> None:
    weak = hit("billing/plans", "Plans", "Team costs $8.", 0.2)
    engine = make_engine_with(store, KeywordKnowledge({("cost",): weak}))
    outcome = await engine.process(msg("how much does a spaceship cost"))
    assert outcome.decision is Decision.ESCALATE and "Team costs" not in (outcome.reply or "")


async def test_redelivered_event_gets_one_reply(store: ConversationStore) -> None:
    knowledge = KeywordKnowledge({("password",): RESET})
    engine = make_engine_with(store, knowledge)
    first = await engine.handle(msg("reset password", "Ev-7"))
    again = await engine.handle(msg("reset password", "Ev-7"))
    assert len(first) == 1 and again == []
    # The search starts beside intake, so it may run for the duplicate too; what counts is
    # that nothing of the second delivery is stored or answered.
    conversation = store.find_conversation("slack", "W1", "C1", "T1")
    assert conversation is not None
    stored = store.thread_messages(conversation)
    assert [m.role for m in stored] == ["customer", "bot"]


async def test_empty_message_gets_a_clarifying_question(store: ConversationStore) -> None:
    engine = make_engine_with(store, KeywordKnowledge({}))
    outcome = await engine.process(msg("\u200b \x00 "))
    assert outcome.decision is Decision.CLARIFY and "empty" in (outcome.reply or "")


async def test_huge_message_is_read_in_part_and_stored_whole(store: ConversationStore) -> None:
    knowledge = KeywordKnowledge({("password",): RESET})
    engine = make_engine_with(store, knowledge)
    text = "reset my password " + "blah " * 20_000
    outcome = await engine.process(msg(text))
    assert outcome.decision is Decision.ANSWER
    assert len(knowledge.queries[0]) <= 200
    assert "read its first" in (outcome.reply or "")
    stored = store.thread_messages(1)
    assert stored[0].text == text.strip()


async def test_knowledge_failure_is_never_silence(store: ConversationStore) -> None:
    engine = make_engine_with(store, KeywordKnowledge({}, fail=True))
    outcome = await engine.process(msg("reset password"))
    assert outcome.decision is Decision.ESCALATE and "person will follow up" in (
        outcome.reply or ""
    )


class CitesTheUnretrieved:
    async def answer(self, request: AnswerRequest) -> AnswerResult:
        return AnswerResult("Use the secret admin panel.", ("internal/admin",), 0.99)


class Raises:
    async def answer(self, request: AnswerRequest) -> AnswerResult:
        raise TimeoutError("llm down")


async def test_answer_citing_unretrieved_passages_is_not_sent(store: ConversationStore) -> None:
    engine = make_engine_with(
        store, KeywordKnowledge({("password",): RESET}), CitesTheUnretrieved()
    )
    outcome = await engine.process(msg("reset password"))
    assert outcome.decision is Decision.ESCALATE
    assert "secret admin" not in (outcome.reply or "")


async def test_answerer_exception_is_an_honest_handover(store: ConversationStore) -> None:
    engine = make_engine_with(store, KeywordKnowledge({("password",): RESET}), Raises())
    outcome = await engine.process(msg("reset password"))
    assert outcome.decision is Decision.ESCALATE and outcome.reasons == ("llm_failure",)


async def test_mass_mentions_in_passages_never_ping(store: ConversationStore) -> None:
    loud = hit("integrations/slack", "Slack notifications", "We never use @everyone or @here.", 0.9)
    engine = make_engine_with(store, KeywordKnowledge({("slack",): loud}))
    outcome = await engine.process(msg("slack notifications"))
    assert "@everyone" not in (outcome.reply or "") and "@here" not in (outcome.reply or "")


async def test_bot_reply_is_stored_with_its_decision(store: ConversationStore) -> None:
    engine = make_engine_with(store, KeywordKnowledge({("password",): RESET}))
    await engine.process(msg("reset password"))
    stored = store.thread_messages(1)
    assert [(m.role, m.decision) for m in stored] == [("customer", None), ("bot", "answer")]


async def test_a_near_tied_section_of_the_same_article_is_quoted_too(
    store: ConversationStore,
) -> None:
    faq = hit("billing/plans", "Plans and pricing", "Is there a free trial? Yes, 14 days.", 0.70)
    prices = replace(
        faq,
        chunk_id="billing/plans#1",
        text="Team costs $9 per member.",
        heading_path=("Overview",),
        score=0.69,
    )
    far = replace(faq, chunk_id="billing/plans#2", text="Discounts for nonprofits.", score=0.55)
    knowledge = KeywordKnowledge({("cost",): faq, ("cost", "team"): prices, ("plan",): far})
    outcome = await make_engine_with(store, knowledge).process(
        msg("how much does the team plan cost")
    )
    assert outcome.decision is Decision.ANSWER
    assert "14 days" in (outcome.reply or "") and "$9 per member" in (outcome.reply or "")
    assert "nonprofits" not in (outcome.reply or "")
    assert [c.doc_id for c in outcome.citations] == ["billing/plans"]
