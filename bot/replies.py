"""What the bot says when it does not answer from a passage: ask, hand over, acknowledge.

Plain, honest sentences: every handover says a person will follow up, every clarifying
question says what would help, nothing promises what the bot cannot do.
"""

from __future__ import annotations

from collections.abc import Sequence

EMPTY_MESSAGE = (
    "Your message came through empty. What can I help you with? "
    "A question in a sentence or two works best."
)
GREETING = "Hi! What can I help you with today? Ask me anything about the product."
FEEDBACK_THANKS = "Thanks for telling us, I've noted it for the team."
KNOWLEDGE_DOWN = (
    "I can't search our help center right now. I've passed your question to the support "
    "team; a person will follow up in this thread."
)

_HANDOVER = {
    "explicit_human_request": (
        "Of course. I've asked a person from the support team to take over; they'll reply "
        "here in this thread and will see everything you've written, so you won't need to "
        "repeat anything."
    ),
    "legal_threat": (
        "I've passed this to a person on our team straight away; they'll follow up with you "
        "in this thread."
    ),
    "security_or_fraud": (
        "This needs a person, so I've flagged it to our support team as urgent; they'll "
        "follow up in this thread. Please don't share passwords or card numbers here."
    ),
    "safety": (
        "I've flagged this to a person on our team as urgent; they'll follow up here. If "
        "anyone is in danger, please contact your local emergency services."
    ),
    "llm_failure": (
        "I'm having trouble putting an answer together right now, so I've passed your "
        "question to the support team; a person will follow up in this thread."
    ),
}
_DEFAULT_HANDOVER = (
    "I couldn't find an answer to that in our help center, and I'd rather not guess. I've "
    "passed your question to the support team; a person will follow up in this thread."
)
_FRUSTRATED_HANDOVER = (
    "I'm sorry this has been frustrating. I've asked a person from the support team to "
    "take over; they'll reply in this thread and can see our conversation so far."
)


def handover(reasons: Sequence[str]) -> str:
    """The customer-facing sentence for an escalation, chosen by its strongest reason."""
    for key in ("safety", "security_or_fraud", "legal_threat", "explicit_human_request"):
        if key in reasons:
            return _HANDOVER[key]
    if any(r.startswith(("frustration", "repeated_failure")) for r in reasons):
        return _FRUSTRATED_HANDOVER
    if "llm_failure" in reasons or any(r.startswith("llm_unavailable") for r in reasons):
        return _HANDOVER["llm_failure"]
    return _DEFAULT_HANDOVER


def clarifying_question(
    reason: str | None, suggested: str | None, categories: Sequence[str] = ()
) -> str:
    """The LLM's own question when it offered one, else a question that narrows things down."""
    if suggested and suggested.strip():
        return suggested.strip()
    if reason == "greeting":
        return GREETING
    if len(categories) >= 2:
        options = " or ".join(c.replace("-", " ") for c in categories[:2])
        return (
            f"I want to point you to the right answer: is this about {options}? "
            "A sentence on what you're trying to do (and any error message) helps."
        )
    return (
        "Could you tell me a bit more? What are you trying to do, and what happens instead "
        "(any error message helps)?"
    )
