"""Intent by nearest embedding prototypes, with lexicon overrides for the sure cases.

A handful of phrasings per intent is enough for MiniLM to separate questions from
problems from requests, needs no training data and is easy to extend; the lexicon
covers what embeddings get wrong or what must never be missed (a human request, a
bare "hi").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.triage.types import Intent, Signal


class TextEmbedder(Protocol):
    """Anything that returns unit-length rows for texts (knowledge.embedding.Embedder)."""

    def embed(self, texts: Sequence[str], *, cache: bool = False) -> np.ndarray: ...


# Phrasings of each intent about the *same* topics (passwords, email, invoices, export,
# cards, subscriptions, uploads, payments, 2FA): MiniLM embeds topic strongly, so shared
# topics leave the speech act as what tells the intents apart. There are no prototypes
# for human requests: a false one forces an escalation ("the support team was
# fantastic" is close to "let me talk to support staff"), so only the lexicon decides it.
PROTOTYPES: Mapping[Intent, tuple[str, ...]] = {
    Intent.QUESTION: (
        "How do I reset my password?",
        "How can I update my email address?",
        "Where can I find my invoices?",
        "Can I export my data to CSV?",
        "When will my new card arrive?",
        "What does the pro subscription include?",
        "Which file types can I upload?",
        "How long does a payment take to go through?",
        "Does the app support two-factor authentication?",
        "Is there a mobile app?",
        "What are your opening hours?",
    ),
    Intent.PROBLEM: (
        "I can't reset my password, the link doesn't work",
        "I changed my email address but it still shows the old one",
        "My invoice shows the wrong amount",
        "The CSV export is not working",
        "My new card hasn't arrived yet",
        "I was charged twice for my subscription",
        "I get an error when I upload a file",
        "My payment failed",
        "The two-factor codes are not accepted",
        "The app crashes when I open it",
        "I can't log in to my account",
    ),
    Intent.ACTION_REQUEST: (
        "Please reset my password for me",
        "Please change the email address on my account to my new one",
        "Send me a copy of my last invoice",
        "Export my data and email it to me",
        "Please send me a replacement card",
        "Cancel my subscription",
        "Delete my account",
        "Refund my last payment",
        "Turn off two-factor authentication on my account",
        "Upgrade me to the pro plan",
        "Add my colleague to our team",
    ),
    Intent.FEEDBACK: (
        "Thanks, resetting my password worked!",
        "The new export feature is great",
        "The invoice page is confusing",
        "I love the new card design",
        "It would be nice if the subscription page showed the renewal date",
        "Uploading files is much faster now, well done",
        "Your documentation is really helpful",
        "The redesign looks worse than before",
        "Feature request: let me schedule reports",
        "Thank you so much for your help",
    ),
    Intent.GREETING: (
        "Hi",
        "Hello there",
        "Good morning",
        "Hey, anyone around?",
        "Hi team!",
        "Hello, I hope you are well",
        "Good afternoon everyone",
    ),
}

_GREETING = (
    r"(?:hi|hello|hey|heya|hiya|howdy|greetings|yo|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|team|all|everyone|folks|guys|bot|support|@\S+))?"
)
_ONLY_GREETING = re.compile(rf"^\s*{_GREETING}[\s!.,:;)(-]*$", re.IGNORECASE)
_LEADING_GREETING = re.compile(rf"^\s*{_GREETING}[\s!.,:;-]+", re.IGNORECASE)
_ONLY_THANKS = re.compile(
    r"^\s*(?:(?:thanks|thank\s+you|thx|ty|cheers|much\s+appreciated|perfect|great|awesome)"
    r"(?:\s+(?:so\s+much|a\s+lot|again|very\s+much|guys|team))?[\s!.,:)(-]*)+$",
    re.IGNORECASE,
)


# Speech-act cues. MiniLM similarity is dominated by topic, so the form of the sentence
# ("please ...", "can you ...", "... doesn't work", "would be nice") adds a fixed bonus
# to its intent's score before the nearest intent is taken.
CUE_BONUS = 0.12
_CUES: Mapping[Intent, re.Pattern[str]] = {
    Intent.ACTION_REQUEST: re.compile(
        r"^\s*(?:please|kindly|cancel|delete|close|remove|refund|reset|resend|send|change|update|"
        r"upgrade|downgrade|add|unlock|merge|extend|enable|disable|turn\s+o(?:n|ff))\b|"
        r"\b(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?"
        r"(?!tell|explain|help\s+me\s+understand)\w+|i\s+(?:need|want|'d\s+like)\s+you\s+to)\b",
        re.IGNORECASE,
    ),
    Intent.PROBLEM: re.compile(
        r"\b(?:not\s+working|(?:does|do|is|are|was|did)n'?t\s+(?:work|load|show|arrive|open)|"
        r"won'?t|can'?t|cannot|unable|errors?|broken|fail(?:s|ed|ing)?|stuck|crash(?:es|ed|ing)?|"
        r"blank|stopped|declined|missing|bug|no\s+longer|(?:has|have)(?:n'?t|\s+not)\s+(?:worked|arrived)|"
        r"returns?\s+nothing|shows?\s+(?:no|nothing)|logged\s+out)\b",
        re.IGNORECASE,
    ),
    Intent.FEEDBACK: re.compile(
        r"\b(?:love|great\s+job|well\s+done|kudos|awesome|amazing|excellent|"
        r"(?:would|it'?d)\s+be\s+(?:great|nice|cool|helpful)|feature\s+request|suggestion|"
        r"i\s+wish|misleading|confusing|ugly|too\s+slow|slower|worse|much\s+better)\b",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True, slots=True)
class IntentGuess:
    intent: Intent
    score: float  # cosine to the nearest prototype of `intent`
    margin: float  # lead over the best other intent; 1.0 for lexicon overrides
    source: str  # "lexicon" | "embedding" | "fallback"


class IntentClassifier:
    """Embeds the prototypes once per instance; build one per process and reuse it.

    Below `min_margin` the two nearest intents are too close to call; the sentence form
    decides then: a question mark or a leading question word makes it a question, else
    the nearest intent stands.
    """

    def __init__(
        self,
        embedder: TextEmbedder,
        prototypes: Mapping[Intent, Sequence[str]] = PROTOTYPES,
        *,
        min_margin: float = 0.02,
    ) -> None:
        self._embedder = embedder
        self._labels: list[Intent] = []
        texts: list[str] = []
        for intent, phrases in prototypes.items():
            self._labels.extend([intent] * len(phrases))
            texts.extend(phrases)
        self._matrix = embedder.embed(texts)
        self._label_array = np.array([label.value for label in self._labels])
        self._intents = list(prototypes)
        self.min_margin = min_margin

    def classify(
        self,
        text: str,
        signals: set[Signal] | frozenset[Signal] = frozenset(),
        vector: np.ndarray | None = None,
    ) -> IntentGuess:
        """`vector` may be the message's embedding if the caller already has it."""
        override = lexicon_intent(text, signals)
        if override is not None:
            return IntentGuess(override, 1.0, 1.0, "lexicon")
        body = strip_greeting(text)
        if vector is None or body != text:
            vector = self._embedder.embed([body], cache=True)[0]
        sims = self._matrix @ vector
        best = {
            intent: float(sims[self._label_array == intent.value].max()) for intent in self._intents
        }
        for intent, cue in _CUES.items():
            if intent in best and cue.search(body):
                best[intent] += CUE_BONUS
        if looks_like_question(body) and not _CUES[Intent.ACTION_REQUEST].search(body):
            best[Intent.QUESTION] = best.get(Intent.QUESTION, 0.0) + CUE_BONUS
        # Greetings come from the lexicon only (a bare "hi"): by embedding, MiniLM also calls
        # "am kind of busy now" or "suo2" greetings (CLINC150 dev), and a greeting is answered
        # with a question instead of the knowledge base.
        best.pop(Intent.GREETING, None)
        ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
        (top, top_score), (_, second_score) = ranked[0], ranked[1]
        margin = top_score - second_score
        if margin < self.min_margin:
            fallback = Intent.QUESTION if looks_like_question(body) else top
            return IntentGuess(fallback, best[fallback], margin, "fallback")
        return IntentGuess(top, top_score, margin, "embedding")


def lexicon_intent(text: str, signals: set[Signal] | frozenset[Signal]) -> Intent | None:
    """The intents rules decide outright: a human request, a bare greeting or thanks."""
    if Signal.EXPLICIT_HUMAN_REQUEST in signals:
        return Intent.HUMAN_REQUEST
    if _ONLY_GREETING.match(text):
        return Intent.GREETING
    if _ONLY_THANKS.match(text):
        return Intent.FEEDBACK
    return None


_QUESTION_START = re.compile(
    r"^\s*(?:how|what|why|when|where|which|who|whom|whose|is|are|can|could|do|does|did|"
    r"will|would|should|may|might|am|was|were|has|have)\b",
    re.IGNORECASE,
)


def looks_like_question(text: str) -> bool:
    return text.rstrip().endswith("?") or bool(_QUESTION_START.match(text))


def strip_greeting(text: str) -> str:
    """Drop a leading greeting ("Hi team, my export fails"): it says nothing of intent."""
    stripped = _LEADING_GREETING.sub("", text, count=1)
    return stripped if stripped.strip() else text
