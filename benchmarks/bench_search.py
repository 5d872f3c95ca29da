"""Search latency through `KnowledgeBase.search` at 10k and 100k chunks, query embedding included.

What is timed is one call to `KnowledgeBase.search(question, k=5)`, exactly as the bot
makes it: embed the question (MiniLM on CPU), vector search (IVF_PQ with refine at these
sizes), BM25 full-text search, fusion, one hit per document. The index is synthetic
(see _synthetic.py: clustered unit vectors and Zipfian text written through the index
layer); the questions are short support-style phrases over the same vocabulary.
Target on a 2-core machine: p95 <= 40 ms at 100k chunks.

    python benchmarks/bench_search.py [--sizes 10000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import random

from _common import WORDS, percentiles, print_machine, timed, zipf_texts, zipf_vocabulary
from _synthetic import synthetic_index

from knowledge import KnowledgeBase
from knowledge.embedding import load_embedder

TARGET_P95_MS = 40.0


def questions(n: int, seed: int = 3) -> list[str]:
    """Short questions: a support word or two and a few words of the corpus vocabulary."""
    rng = random.Random(seed)
    starts = ["how do I", "why does my", "can I", "where is the", "what happens to my"]
    tail = zipf_texts(n, 4, seed, zipf_vocabulary())
    out = []
    for words in tail:
        support = " ".join(rng.sample(WORDS, rng.randint(1, 2)))
        out.append(f"{rng.choice(starts)} {support} {words}?")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    info = print_machine()
    embedder = load_embedder()
    results = []
    for size in args.sizes:
        path, _, built = synthetic_index(size)
        # A fresh Embedder (same model) per size: it caches small calls per text, and every
        # timed search must embed its question.
        kb = KnowledgeBase(path, embedder=embedder.with_empty_cache())
        stats = kb.stats()
        qs = questions(args.queries)
        for q in questions(10, seed=99):  # warm-up: open files, load index pages
            kb.search(q, k=5)
        ms = [timed(lambda q=q, kb=kb: kb.search(q, k=5))[0] for q in qs]
        # The embedder caches small calls per text: time the model on a cold instance.
        cold = embedder.with_empty_cache()
        embed_ms = [timed(lambda q=q, e=cold: e.embed_one(q))[0] for q in qs[:100]]
        p50, p95 = percentiles(ms)
        e50, e95 = percentiles(embed_ms)
        row = {
            "chunks": stats.chunks,
            "index": stats.index_kind,
            "build_s": round(built, 1),
            "search_p50_ms": round(p50, 1),
            "search_p95_ms": round(p95, 1),
            "embed_p50_ms": round(e50, 1),
            "embed_p95_ms": round(e95, 1),
            "target_p95_met": p95 <= TARGET_P95_MS,
        }
        results.append(row)
        print(
            f"{stats.chunks:>7} chunks ({stats.index_kind}): search p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms (of which query embedding p50 {e50:.1f} ms); "
            f"target p95 <= {TARGET_P95_MS:.0f} ms: {'met' if p95 <= TARGET_P95_MS else 'MISSED'}"
            + (f"; index built in {built:.0f} s" if built else ""),
            flush=True,
        )
    if args.json:
        print(json.dumps({"machine": info, "results": results}))


if __name__ == "__main__":
    main()
