"""Retrieval quality of each configuration on FeedbackQA valid and StackFAQ.

Runs knowledge.evaluation.evaluate (one KnowledgeBase.search per query, one hit per
document, query embedding included in the latency) for: full text only (BM25), vectors
only, plain reciprocal rank fusion (k=60), and the final configuration
(FusionConfig() defaults). All four search the same index, built once per dataset by the
real ingest path and cached under /tmp/supportbot-bench.

    python benchmarks/bench_retrieval_quality.py [--datasets feedbackqa stackfaq] [--json]
"""

from __future__ import annotations

import argparse
import json

from _common import print_machine
from _datasets import DATASETS, open_dataset, require_data

from knowledge.embedding import load_embedder
from knowledge.evaluation import evaluate
from knowledge.fusion import FusionConfig

CONFIGS = {
    "text": FusionConfig(mode="text"),  # full text only (BM25)
    "vector": FusionConfig(mode="vector"),
    "rrf": FusionConfig(method="rrf"),  # plain reciprocal rank fusion, k=60
    "final": FusionConfig(),  # score fusion, the default
}
COLUMNS = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--limit", type=int, default=None, help="first N queries only")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    require_data()
    info = print_machine()
    embedder = load_embedder()
    rows = []
    for name in args.datasets:
        ds = DATASETS[name]
        queries = ds.queries()[: args.limit]
        header = " | ".join(f"{c:>9}" for c in [*COLUMNS, "p50 ms", "p95 ms"])
        print(f"\n{ds.name} ({len(queries)} queries)\n{'configuration':14} | {header}")
        for label in args.configs:
            config = CONFIGS[label]
            # A fresh Embedder (same model) per configuration: it caches small calls per
            # text, and the latency must include embedding every question.
            kb = open_dataset(ds, embedder.with_empty_cache(), config)
            report = evaluate(kb, queries, k=10, label=label)
            values = [report.metrics[c] for c in COLUMNS]
            cells = [f"{v:9.3f}" for v in values]
            cells += [f"{report.latency_p50_ms:9.1f}", f"{report.latency_p95_ms:9.1f}"]
            print(f"{label:14} | " + " | ".join(cells), flush=True)
            rows.append({"dataset": ds.name, **report.to_json()})
    if args.json:
        print(json.dumps({"machine": info, "results": rows}))


if __name__ == "__main__":
    main()
