"""The public FAQ-retrieval datasets beside the repo, ingested once into cached indexes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from _common import SHARED_DATA, WORK_DIR

from knowledge import KnowledgeBase
from knowledge.embedding import Embedder
from knowledge.evaluation import EvalQuery, load_queries
from knowledge.fusion import FusionConfig


@dataclass(frozen=True)
class Dataset:
    name: str
    kb_file: Path
    queries_file: Path
    split: str | None

    def queries(self) -> list[EvalQuery]:
        return load_queries(self.queries_file, self.split)


FAQ = SHARED_DATA / "faq_retrieval"
DATASETS = {
    "feedbackqa": Dataset(
        "FeedbackQA valid", FAQ / "feedbackqa/kb.jsonl", FAQ / "feedbackqa/queries.jsonl", "valid"
    ),
    "stackfaq": Dataset(
        "StackFAQ", FAQ / "stackfaq/kb.jsonl", FAQ / "stackfaq/queries.jsonl", None
    ),
}


def require_data() -> None:
    if not FAQ.is_dir():
        raise SystemExit(f"needs the shared eval data at {SHARED_DATA} (SUPPORTBOT_SHARED_DATA)")


def open_dataset(
    ds: Dataset, embedder: Embedder, fusion: FusionConfig | None = None
) -> KnowledgeBase:
    """A KnowledgeBase over this dataset's passages; ingest is a no-op when cached."""
    key = hashlib.sha256(ds.kb_file.read_bytes()).hexdigest()[:12]
    path = WORK_DIR / f"{ds.kb_file.parent.name}-{key}"
    kb = KnowledgeBase(path, embedder=embedder, fusion=fusion)
    report = kb.ingest([ds.kb_file])
    if report.chunks_embedded:
        print(f"  indexed {ds.name}: {report.summary()}", flush=True)
    return kb
