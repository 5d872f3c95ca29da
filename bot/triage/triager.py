"""One pass of offline triage over a customer message: no LLM, one embedding call.

Ties the single-purpose pieces together: lexical signals, VADER sentiment, prototype
intent, category from the retrieval hits, repetition from the conversation and the
user's history, frustration and priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.triage.category import CategoryHit, CategoryVote, rank_categories
from bot.triage.frustration import FrustrationEvidence, FrustrationWeights, frustration_score
from bot.triage.intent import IntentClassifier, IntentGuess, TextEmbedder
from bot.triage.priority import compute_priority
from bot.triage.repetition import (
    SIMILAR_ISSUE_THRESHOLD,
    count_similar_conversations,
    repeats_earlier,
)
from bot.triage.sentiment import SentimentReading, read_sentiment
from bot.triage.signals import lexical_signals
from bot.triage.types import Signal, Triage, TriageContext, sorted_signals


@dataclass(frozen=True, slots=True)
class TriageSettings:
    similar_issue_threshold: float = SIMILAR_ISSUE_THRESHOLD
    category_top_k: int = 5
    frustration: FrustrationWeights = field(default_factory=FrustrationWeights)


@dataclass(frozen=True, slots=True)
class TriageReport:
    """The triage plus the evidence behind it, for the merge, the router and the audit."""

    triage: Triage
    intent: IntentGuess
    sentiment: SentimentReading
    categories: tuple[CategoryVote, ...]
    similar_past_conversations: int
    repeated_in_conversation: bool

    @property
    def intent_from_lexicon(self) -> bool:
        return self.intent.source == "lexicon"


class Triager:
    """Build once per process (it embeds the intent prototypes) and call per message."""

    def __init__(
        self,
        embedder: TextEmbedder,
        *,
        settings: TriageSettings = TriageSettings(),
        classifier: IntentClassifier | None = None,
    ) -> None:
        self._embedder = embedder
        self.settings = settings
        self._classifier = classifier or IntentClassifier(embedder)

    def triage(
        self,
        text: str,
        context: TriageContext = TriageContext(),
        hits: Sequence[CategoryHit] = (),
    ) -> Triage:
        return self.assess(text, context, hits).triage

    def assess(
        self,
        text: str,
        context: TriageContext = TriageContext(),
        hits: Sequence[CategoryHit] = (),
    ) -> TriageReport:
        """`hits` are (category, score) of the retrieval hits for this message."""
        vectors = self._embed_all(text, context)
        message_vec = vectors["message"]
        signals = lexical_signals(text)
        reading = read_sentiment(text, signals)

        similar = 0
        if context.user_history:
            similar = count_similar_conversations(
                message_vec,
                vectors["history"],
                [past.conversation_id for past in context.user_history],
                self.settings.similar_issue_threshold,
            )
        repeated_here = repeats_earlier(
            message_vec, vectors["previous"], self.settings.similar_issue_threshold
        )
        repeated_wording = Signal.REPEATED_ISSUE in signals
        if similar or repeated_here:
            signals.add(Signal.REPEATED_ISSUE)

        previous_anger = [
            read_sentiment(prev, lexical_signals(prev)).anger for prev in context.previous_messages
        ]
        frustration = frustration_score(
            FrustrationEvidence(
                anger=reading.anger,
                repeated_wording=repeated_wording,
                previous_anger=previous_anger,
                repeated_in_conversation=repeated_here,
                failed_attempts=context.failed_attempts,
                similar_past_conversations=similar,
            ),
            self.settings.frustration,
        )
        guess = self._classifier.classify(text, signals, message_vec)
        votes = tuple(rank_categories(hits, self.settings.category_top_k))
        triage = Triage(
            intent=guess.intent,
            category=votes[0].category if votes else None,
            sentiment=reading.label,
            frustration=frustration,
            signals=sorted_signals(signals),
            priority=compute_priority(
                guess.intent, reading.label, frustration, signals, is_vip=context.is_vip
            ),
        )
        return TriageReport(triage, guess, reading, votes, similar, repeated_here)

    def _embed_all(self, text: str, context: TriageContext) -> dict[str, np.ndarray]:
        """Embed the message, the conversation and un-embedded history in one batch."""
        missing = [past.text for past in context.user_history if past.embedding is None]
        batch = [text, *context.previous_messages, *missing]
        matrix = self._embedder.embed(batch, cache=True)
        n_prev = len(context.previous_messages)
        fresh = iter(matrix[1 + n_prev :])
        history = [
            past.embedding if past.embedding is not None else next(fresh)
            for past in context.user_history
        ]
        return {
            "message": matrix[0],
            "previous": matrix[1 : 1 + n_prev],
            "history": np.asarray(history, dtype=np.float32).reshape(-1, matrix.shape[1]),
        }
