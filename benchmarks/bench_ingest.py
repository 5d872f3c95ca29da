"""Ingest throughput on a synthetic corpus, then a re-sync with nothing changed.

The corpus is a few hundred Markdown help pages with headings (random support-ish text,
fixed seed), about 3,000 chunks at the default chunk size. Throughput counts every
chunk written per second of the whole ingest: reading, chunking, embedding (the
bottleneck: MiniLM on CPU), writing, and index upkeep. The re-sync must embed nothing.
Targets on a 2-core machine: >= 100 chunks/s; unchanged re-sync re-embeds 0 chunks.
The last line measures the model alone on the same chunk texts: embedding is
compute-bound (about 3-4 GFLOP per 200-word-piece chunk for MiniLM-L6), so that number is
the ceiling any ingest on this machine can reach.

    python benchmarks/bench_ingest.py [--pages 300]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

from _common import WORK_DIR, paragraph, print_machine

from knowledge import KnowledgeBase
from knowledge.embedding import load_embedder

TARGET_CHUNKS_PER_S = 100.0


def write_corpus(root: Path, pages: int, seed: int = 5) -> None:
    """Pages of 3-6 sections of 1-3 paragraphs: several chunks per page, like real docs."""
    rng = random.Random(seed)
    shutil.rmtree(root, ignore_errors=True)
    for p in range(pages):
        folder = root / f"area-{p % 6}"
        folder.mkdir(parents=True, exist_ok=True)
        parts = [f"# {paragraph(rng, 30).rstrip('.')}\n"]
        for _ in range(rng.randint(3, 6)):
            parts.append(f"## {paragraph(rng, 25).rstrip('.')}\n")
            for _ in range(rng.randint(1, 3)):
                parts.append(paragraph(rng, rng.randint(300, 900)) + "\n")
        (folder / f"page-{p:04d}.md").write_text("\n".join(parts), "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    info = print_machine()
    corpus, index = WORK_DIR / "ingest-corpus", WORK_DIR / "ingest-index"
    write_corpus(corpus, args.pages)
    shutil.rmtree(index, ignore_errors=True)
    embedder = load_embedder()
    embedder.embed(["warm up the model"])  # model loading is not ingest work
    kb = KnowledgeBase(index, embedder=embedder)

    first = kb.ingest([corpus])
    rate = first.chunks_written / first.seconds
    verdict = "met" if rate >= TARGET_CHUNKS_PER_S else "MISSED"
    print(
        f"first ingest: {first.documents_added} pages, {first.chunks_written} chunks "
        f"({first.chunks_embedded} texts embedded) in {first.seconds:.1f} s = {rate:.0f} chunks/s "
        f"(target >= {TARGET_CHUNKS_PER_S:.0f}: {verdict})",
        flush=True,
    )
    again = kb.sync([corpus])
    print(
        f"re-sync unchanged: {again.documents_unchanged} pages unchanged, "
        f"{again.chunks_embedded} chunks re-embedded (must be 0: "
        f"{'ok' if again.chunks_embedded == 0 else 'FAILED'}), {again.seconds:.2f} s",
        flush=True,
    )
    # The ceiling: the model alone on the same chunk texts (what ingest cannot beat).
    sample = [row["text"] for row in list(kb.export())[:256]]
    started = time.perf_counter()
    embedder.embed(sample)
    ceiling = len(sample) / (time.perf_counter() - started)
    print(
        f"model alone on {len(sample)} of these chunk texts: {ceiling:.0f} texts/s "
        f"(ingest reaches {rate / ceiling:.0%} of it)",
        flush=True,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "machine": info,
                    "chunks": first.chunks_written,
                    "embedded": first.chunks_embedded,
                    "seconds": first.seconds,
                    "chunks_per_s": rate,
                    "resync_embedded": again.chunks_embedded,
                    "resync_seconds": again.seconds,
                    "model_texts_per_s": ceiling,
                }
            )
        )


if __name__ == "__main__":
    main()
