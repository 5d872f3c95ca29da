"""Frustration grows with the conversation and the user's history, not only with tone."""

from __future__ import annotations

from bot.triage import PastMessage, TriageContext
from bot.triage.frustration import MAX_TONE, FrustrationEvidence, frustration_score

ANGRY_FIRST = "This is ridiculous, your app deleted my files!!! Fix it NOW"
CALM_THIRD = "Hello, exporting to CSV gives me an error again."
EARLIER_CONTACTS = (
    PastMessage("conv-1", "My CSV export fails with an error"),
    PastMessage("conv-2", "Export to CSV is still broken for me"),
)


def test_calm_third_contact_scores_higher_than_first_angry_message(triager) -> None:
    first_angry = triager.triage(ANGRY_FIRST)
    calm_third = triager.triage(CALM_THIRD, TriageContext(user_history=EARLIER_CONTACTS))
    assert first_angry.sentiment.value == "angry"
    assert calm_third.sentiment.value != "angry"
    assert calm_third.frustration > first_angry.frustration


def test_history_about_another_issue_does_not_count(triager) -> None:
    unrelated = (
        PastMessage("conv-1", "How do I add a teammate to my workspace?"),
        PastMessage("conv-2", "Where can I download my invoices?"),
    )
    report = triager.assess(CALM_THIRD, TriageContext(user_history=unrelated))
    assert report.similar_past_conversations == 0
    related = triager.assess(CALM_THIRD, TriageContext(user_history=EARLIER_CONTACTS))
    assert related.similar_past_conversations == 2
    assert "repeated_issue" in related.triage.to_json()["signals"]


def test_given_history_embeddings_are_used(triager, embedder) -> None:
    vectors = embedder.embed([p.text for p in EARLIER_CONTACTS])
    history = tuple(
        PastMessage(p.conversation_id, "", vector)
        for p, vector in zip(EARLIER_CONTACTS, vectors, strict=True)
    )  # texts blanked: only the embeddings can match
    report = triager.assess(CALM_THIRD, TriageContext(user_history=history))
    assert report.similar_past_conversations == 2


def test_failed_attempts_and_repetition_in_conversation_raise_frustration(triager) -> None:
    text = "The export still fails"
    alone = triager.triage(text).frustration
    after_failures = triager.triage(text, TriageContext(failed_attempts=2)).frustration
    restated = triager.assess(text, TriageContext(previous_messages=("My export to CSV fails",)))
    assert after_failures > alone
    assert restated.repeated_in_conversation
    assert restated.triage.frustration > alone


def test_score_is_bounded_and_tone_is_capped() -> None:
    furious = FrustrationEvidence(anger=1.0, repeated_wording=False)
    assert frustration_score(furious) == MAX_TONE
    everything = FrustrationEvidence(
        anger=1.0,
        repeated_wording=True,
        previous_anger=(1.0, 1.0),
        repeated_in_conversation=True,
        failed_attempts=10,
        similar_past_conversations=10,
    )
    assert 0.99 < frustration_score(everything) <= 1.0
    assert frustration_score(FrustrationEvidence(anger=0.0, repeated_wording=False)) == 0.0
