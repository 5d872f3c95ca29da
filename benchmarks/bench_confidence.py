"""How well the search confidence separates answerable from unanswerable questions.

Each question is searched twice through the production search path (HybridSearcher +
fuse): once against the whole knowledge base (answerable), once with its gold documents
filtered out inside the query (unanswerable: the answer is not in the knowledge base).
The engine answers when the top hit's confidence >= threshold. For each threshold:
- answered: share of answerable questions answered, and how many of those answers were
  the gold document (precision);
- false answers: share of unanswerable questions answered anyway (should be low).
FeedbackQA's unanswerable set is pessimistic: other regions' near-identical pages stay in
the knowledge base, so some "unanswerable" questions still have a fair answer.

    python benchmarks/bench_confidence.py [--datasets feedbackqa stackfaq] [--split valid]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass

import numpy as np
from _common import print_machine
from _datasets import DATASETS, open_dataset, require_data

from knowledge.embedding import load_embedder
from knowledge.index import ChunkIndex, in_filter
from knowledge.search import HybridSearcher

THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


@dataclass(frozen=True)
class _Where:
    """Duck-types SearchFilters: public documents except the excluded ones."""

    exclude: frozenset[str] = frozenset()

    def where(self) -> str:
        base = "visibility = 'public'"
        return f"{base} AND NOT ({in_filter('doc_id', self.exclude)})" if self.exclude else base


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    values = np.concatenate([pos, neg])
    ranks = values.argsort().argsort().astype(float) + 1
    for v in np.unique(values):  # average ranks of ties
        tie = values == v
        ranks[tie] = ranks[tie].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--split", default=None, help="FeedbackQA split (default: valid)")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    require_data()
    info = print_machine()
    embedder = load_embedder()
    out = {}
    for name in args.datasets:
        ds = DATASETS[name]
        if args.split and ds.split:
            label = ds.name.replace(ds.split, args.split)
            ds = type(ds)(label, ds.kb_file, ds.queries_file, args.split)
        kb = open_dataset(ds, embedder)
        searcher = HybridSearcher(ChunkIndex(kb.path))
        queries = ds.queries()[: args.limit]
        vectors = embedder.embed([q.text for q in queries])
        pos_conf, pos_ok, neg_conf = [], [], []
        for q, v in zip(queries, vectors, strict=True):
            top = searcher.search(q.text, v, _Where(), k=1)
            pos_conf.append(top[0].score if top else 0.0)
            pos_ok.append(bool(top) and top[0].doc_id in q.gold_ids)
            miss = searcher.search(q.text, v, _Where(q.gold_ids), k=1)
            neg_conf.append(miss[0].score if miss else 0.0)
        pc, ok, nc = np.array(pos_conf), np.array(pos_ok), np.array(neg_conf)
        result = {
            "n": len(queries),
            "top1_correct": float(ok.mean()),
            "auc_answerable_vs_unanswerable": auc(pc, nc),
            "auc_correct_vs_unanswerable": auc(pc[ok], nc),
            "thresholds": [],
        }
        print(
            f"\n{ds.name}: {len(queries)} questions, top-1 correct {ok.mean():.3f}; AUC "
            f"answerable vs unanswerable {result['auc_answerable_vs_unanswerable']:.3f}, "
            f"correct top-1 vs unanswerable {result['auc_correct_vs_unanswerable']:.3f}"
        )
        print(
            "threshold | answered (answerable) | precision of answers "
            "| false answers (unanswerable)"
        )
        for t in THRESHOLDS:
            answered = pc >= t
            precision = float(ok[answered].mean()) if answered.any() else float("nan")
            false_rate = float((nc >= t).mean())
            row = {"t": t, "answered": float(answered.mean()), "precision": precision}
            result["thresholds"].append({**row, "false": false_rate})
            print(f"{t:9.2f} | {answered.mean():21.3f} | {precision:20.3f} | {false_rate:28.3f}")
        out[ds.name] = result
    if args.json:
        print(json.dumps({"machine": info, "results": out}))


if __name__ == "__main__":
    main()
