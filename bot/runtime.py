"""The core's composition root: settings -> database, knowledge base, answerer, engine.

Adapters (console, Slack, Discord, the CLI) build one `Runtime` and hand its engine events;
nothing else in the core constructs its own dependencies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.answering.base import Answerer
from bot.answering.extractive import ExtractiveAnswerer
from bot.answering.thresholds import AnswerThresholds
from bot.config import Settings, SettingsError
from bot.engine import ConversationEngine, EngineConfig
from bot.escalation import EscalationPolicy, EscalationRouter
from bot.handoff.service import HandoffService
from bot.memory import MemoryStore
from bot.storage.conversations import ConversationStore
from bot.storage.database import make_engine
from bot.storage.schema import upgrade_schema
from bot.types import Place, Platform
from knowledge import IndexConfig, KnowledgeBase, KnowledgeConfig
from knowledge.sample import SAMPLE_DIR

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    database: Engine
    store: ConversationStore
    knowledge: KnowledgeBase
    answerer: Answerer
    engine: ConversationEngine
    memory: MemoryStore
    handoff: HandoffService


def open_database(settings: Settings) -> Engine:
    """Create the engine and upgrade the schema, turning driver errors into one line."""
    if settings.uses_default_sqlite:
        settings.ensure_home()
    try:
        engine = make_engine(settings.effective_database_url)
        upgrade_schema(engine)
    except ArgumentError as exc:
        raise SettingsError(f"DATABASE_URL: not a valid SQLAlchemy URL ({exc})") from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise SettingsError(f"DATABASE_URL: cannot open the database ({reason})") from None
    except ModuleNotFoundError as exc:
        raise SettingsError(f"DATABASE_URL: the driver {exc.name!r} is not installed") from None
    return engine


def knowledge_config(settings: Settings) -> KnowledgeConfig:
    """The knowledge base knobs the settings set; every opener of an index uses these."""
    return KnowledgeConfig(index=IndexConfig(memory_max_rows=settings.kb_memory_max_rows))


def open_knowledge(settings: Settings) -> KnowledgeBase:
    settings.ensure_home()
    return KnowledgeBase(
        settings.lancedb_path,
        chunk_chars=settings.kb_chunk_chars,
        config=knowledge_config(settings),
    )


def make_answerer(settings: Settings) -> Answerer:
    """Claude when a key is configured, the offline extractive answerer otherwise."""
    if settings.anthropic_api_key is not None:
        from bot.answering.claude import ClaudeAnswerer

        return ClaudeAnswerer.from_settings(settings)
    return ExtractiveAnswerer(thresholds=answer_thresholds(settings))


def answer_thresholds(settings: Settings) -> AnswerThresholds:
    return AnswerThresholds(
        passage=settings.answer_min_score,
        faq=settings.faq_min_score,
        faq_agreement_weight=settings.faq_agreement_weight,
    )


def escalation_policy(settings: Settings) -> EscalationPolicy:
    return EscalationPolicy(
        min_retrieval_confidence=settings.answer_min_score,
        min_answer_confidence=settings.min_answer_confidence,
        max_failed_attempts=settings.escalate_after_failures,
        frustration_threshold=settings.escalate_frustration,
    )


GIL_SWITCH_INTERVAL_S = 0.0002  # Python's default is 0.005


def tune_for_latency() -> None:
    """Process settings for a bot answering messages, measured with benchmarks/bench_engine.py.

    While one message is searched (ONNX Runtime, numpy and LanceDB release the GIL), its
    intake runs SQLAlchemy code that holds it; a thread that wants the GIL back waits up to
    the switch interval, 5 ms by default, at every hand-over. At 0.2 ms, engine overhead at
    100k chunks went from p95 40.5-44 to 36.6-39.9 ms (six runs). One BLAS thread for the
    in-memory vector search: its two threads spin-wait against the other busy threads on
    two cores (search alone: p95 27 -> 22 ms).
    """
    import sys

    from threadpoolctl import threadpool_limits

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    threadpool_limits(limits=1, user_api="blas")


def build_runtime(
    settings: Settings,
    *,
    answerer: Answerer | None = None,
    knowledge: KnowledgeBase | None = None,
) -> Runtime:
    from bot.triage import Triager

    database = open_database(settings)
    store = ConversationStore(database)
    memory = MemoryStore(database)
    knowledge = knowledge or open_knowledge(settings)
    handoff = HandoffService(database, agents_desk(settings))
    chosen = answerer or make_answerer(settings)
    engine = ConversationEngine(
        store,
        knowledge,
        chosen,
        EngineConfig(top_k=settings.kb_top_k, max_message_chars=settings.max_message_chars),
        memory=memory,
        # The knowledge base's own embedder: its per-text cache then serves triage the
        # vector search already computed for the same message.
        triager=Triager(knowledge.embedder),
        router=EscalationRouter(escalation_policy(settings)),
        handoff=handoff,
        thresholds=answer_thresholds(settings),
        summary_writer=_summary_writer(settings),
    )
    tune_for_latency()  # last: loading the model loads more BLAS libraries
    return Runtime(settings, database, store, knowledge, chosen, engine, memory, handoff)


def _summary_writer(settings: Settings):  # type: ignore[no-untyped-def]
    """Claude writes handoff summaries when a key is set; offline assembly otherwise."""
    if settings.anthropic_api_key is None:
        return None
    from bot.handoff.claude_summary import ClaudeHandoffWriter

    return ClaudeHandoffWriter(settings)


def agents_desk(settings: Settings) -> Place:
    """Where escalation cards go: Slack's or Discord's agents channel, else the console's."""
    if settings.slack_agents_channel:
        return Place(Platform.SLACK, "slack", settings.slack_agents_channel)
    if settings.discord_agents_channel:
        return Place(Platform.DISCORD, "discord", settings.discord_agents_channel)
    return Place(Platform.CONSOLE, "local", "agents")


def prepare_knowledge(
    runtime: Runtime, *, announce: Callable[[str], None] = lambda _: None
) -> None:
    """The embedded default: fill an empty knowledge base before the first message.

    Configured sources win; with none, the bundled sample is ingested so a new user can
    talk to the bot at once. `kb ingest` never calls this, so a knowledge base built from a
    user's own files holds only those files.
    """
    if not runtime.knowledge.is_empty():
        return
    if runtime.settings.kb_sources:
        sources = runtime.settings.knowledge_sources
        announce(f"Indexing the configured knowledge sources ({len(sources)})…")
        report = runtime.knowledge.sync(sources)
    else:
        announce("Indexing the bundled sample knowledge base (Tasklane help center)…")
        report = runtime.knowledge.ingest([SAMPLE_DIR])
    announce(report.summary())
