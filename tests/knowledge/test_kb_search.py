"""Hybrid search: exact keywords, FAQ phrasings, filters inside the query, one hit per doc."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, SearchHit
from knowledge.embedding import Embedder

CORPUS: dict[str, str] = {
    "billing/refunds.md": (
        "---\ntitle: Refund policy\ncategory: billing\nurl: https://help.x/refunds\n---\n"
        "## Window\n\nYou can ask for a refund within 30 days of purchase.\n"
    ),
    "billing/invoices.md": (
        "---\ntitle: Invoices on the web\ncategory: billing\nproduct: web\n---\n"
        "Download invoices as PDF from the web dashboard under Billing.\n"
    ),
    "mobile/offline.md": (
        "---\ntitle: Offline mode\ncategory: account\nproduct: mobile\n---\n"
        "The mobile app keeps working offline and syncs when you reconnect.\n"
    ),
    "internal/disputes.md": (
        "---\ntitle: Refund disputes runbook\ncategory: billing\nvisibility: internal\n---\n"
        "Escalate refund disputes above 500 dollars to the finance team, code word FALCON.\n"
    ),
    "storage/quota.md": (
        "---\ntitle: Storage quota\ncategory: troubleshooting\n---\n"
        "Uploads beyond your plan's storage are refused with E-4012. Delete old files or "
        "upgrade the plan.\n"
    ),
    "troubleshooting/e4011.md": (
        "---\ntitle: Error E4011\ncategory: troubleshooting\n---\n"
        "Error E4011 means the session expired: sign in again.\n"
    ),
    "troubleshooting/e4013.md": (
        "---\ntitle: Error E4013\ncategory: troubleshooting\n---\n"
        "Error E4013 means the webhook endpoint did not answer in time.\n"
    ),
    "troubleshooting/errors.md": (
        "---\ntitle: Understanding error messages\ncategory: troubleshooting\n---\n"
        "Every error message shows a code and a short explanation of what went wrong.\n"
    ),
    "troubleshooting/crashes.md": (
        "---\ntitle: When something fails\ncategory: troubleshooting\n---\n"
        "If an error keeps appearing, clear the cache and try again before contacting us.\n"
    ),
    "partners.md": (
        "---\ntitle: Partner programme\ncategory: partner's corner\n---\n"
        "Partners earn a commission on every referred customer.\n"
    ),
    "exports.md": (
        "---\ntitle: Exporting data\ncategory: data\n---\n"
        "## CSV export\n\nExport tasks as CSV from the project menu.\n\n"
        "## JSON export\n\nExport tasks as JSON for scripts and backups.\n\n"
        "## Scheduled export\n\nSchedule a nightly export of all tasks to your email.\n"
    ),
}
FAQ = {
    "id": "faq-reset",
    "question": "How do I reset my password?",
    "alt_questions": ["I am locked out of my account", "forgot my login credentials"],
    "answer": "Use the Forgot password link on the sign-in page; the email arrives in a minute.",
    "category": "account",
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeBase:
    docs = tmp_path_factory.mktemp("corpus")
    for relative, text in CORPUS.items():
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        (docs / relative).write_text(text)
    (docs / "faq.jsonl").write_text(json.dumps(FAQ) + "\n")
    base = KnowledgeBase(tmp_path_factory.mktemp("kb") / "lancedb", embedder=embedder)
    report = base.ingest([docs])
    assert report.errors == [] and report.documents_added == len(CORPUS) + 1
    return base


def _ids(hits: list[SearchHit]) -> list[str]:
    return [hit.doc_id for hit in hits]


def test_exact_error_code_is_found_by_full_text_when_vectors_miss_it(kb: KnowledgeBase) -> None:
    query = "I got error code E-4012"
    vector = kb.embedder.embed_one(query)
    by_vector = [row["doc_id"] for row in kb.index.vector_search(vector, "", 10)]
    # by meaning, one error code looks like another
    assert by_vector[0] in {"troubleshooting/e4011.md", "troubleshooting/e4013.md"}
    assert kb.search(query)[0].doc_id == "storage/quota.md"


def test_an_faq_alternate_phrasing_is_found_by_meaning_and_by_words(kb: KnowledgeBase) -> None:
    vector = kb.embedder.embed_one("I'm locked out of my account")
    best = kb.index.vector_search(vector, "", 1)[0]
    assert (best["doc_id"], best["variant"]) == ("faq-reset", 1)  # the phrasing's own vector
    hits = kb.search("I'm locked out of my account")
    assert hits[0].doc_id == "faq-reset"
    assert "Forgot password link" in hits[0].text and "locked out" in hits[0].text
    by_words = kb.index.text_search("credentials", "", 5)
    assert [row["doc_id"] for row in by_words] == ["faq-reset"]


def test_category_filter_is_applied_in_the_query(kb: KnowledgeBase) -> None:
    hits = kb.search("refund within 30 days", category="Billing", k=10)
    assert hits and {hit.category for hit in hits} == {"billing"}
    assert "billing/refunds.md" not in _ids(kb.search("refund within 30 days", category="data"))


def test_product_filter_keeps_documents_for_all_products(kb: KnowledgeBase) -> None:
    mobile = _ids(kb.search("invoices offline refunds", product="mobile", k=20))
    assert "mobile/offline.md" in mobile and "billing/refunds.md" in mobile
    assert "billing/invoices.md" not in mobile
    web = _ids(kb.search("invoices offline refunds", product="web", k=20))
    assert "billing/invoices.md" in web and "mobile/offline.md" not in web


def test_internal_documents_never_reach_customers_by_default(kb: KnowledgeBase) -> None:
    query = "refund disputes finance team FALCON"
    hits = kb.search(query, k=50, per_doc=False)
    assert "internal/disputes.md" not in _ids(hits)
    assert all(hit.extra["visibility"] == "public" for hit in hits)
    assert kb.search(query, include_internal=True)[0].doc_id == "internal/disputes.md"


def test_one_hit_per_document_unless_asked(kb: KnowledgeBase) -> None:
    query = "export tasks as CSV JSON or on a schedule"
    per_doc = _ids(kb.search(query, k=10))
    assert per_doc.count("exports.md") == 1
    chunks = kb.search(query, k=10, per_doc=False)
    assert _ids(chunks).count("exports.md") == 3
    assert len({hit.chunk_id for hit in chunks}) == len(chunks)


def test_hits_carry_citation_fields_and_calibrated_scores(kb: KnowledgeBase) -> None:
    hits = kb.search("how long do I have to get a refund", k=5)
    top = hits[0]
    assert (top.doc_id, top.title, top.url, top.heading_path) == (
        "billing/refunds.md", "Refund policy", "https://help.x/refunds", ("Window",),
    )  # fmt: skip
    assert top.chunk_id.startswith("billing/refunds.md#0-")
    assert top.source.endswith("billing/refunds.md")
    assert all(0.0 <= hit.score <= 1.0 for hit in hits)
    assert [h.rank_score for h in hits] == sorted((h.rank_score for h in hits), reverse=True)
    assert set(top.to_json()) >= {"doc_id", "chunk_id", "title", "url", "category", "score", "text"}


def test_empty_query_returns_nothing(kb: KnowledgeBase) -> None:
    assert kb.search("") == [] and kb.search("   \n") == []
    assert kb.search_many(["", "refund"])[0] == []


def test_filter_values_are_quoted_safely(kb: KnowledgeBase) -> None:
    assert _ids(kb.search("commission", category="partner's corner")) == ["partners.md"]
    assert kb.search("refund", category="x' OR '1'='1") == []
    assert kb.search("refund", product="a'b") != []  # 'all' documents still match


def test_search_many_matches_search_one_by_one(kb: KnowledgeBase) -> None:
    queries = ["E-4012", "offline mobile app", "reset password"]
    many = kb.search_many(queries, k=3)
    assert [_ids(h) for h in many] == [_ids(kb.search(q, k=3)) for q in queries]


async def test_asearch_runs_off_the_event_loop(kb: KnowledgeBase) -> None:
    hits = await kb.asearch("offline mobile app", k=2)
    assert hits[0].doc_id == "mobile/offline.md"


def test_k_must_be_positive(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="k must be"):
        kb.search("refund", k=0)


def test_an_empty_knowledge_base_answers_without_loading_a_model(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "nothing-here")
    assert kb.search("refund") == []
    assert kb.is_empty() and kb.categories() == []
    assert kb._embedder is None
