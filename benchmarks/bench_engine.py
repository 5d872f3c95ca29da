"""Engine overhead per customer message, without LLM latency, at 10k and 100k chunks.

One `ConversationEngine.process` per question, exactly as an adapter calls it: intake
(dedupe, store, ticket, audit) on a real SQLite file, knowledge search (query embedding
included) on a synthetic index of the given size (see _synthetic.py), local triage, one
answerer call, routing, and storing the outcome. The answerer answers instantly and
counts its calls, so the figure is the bot's own overhead and the LLM call count per
message on the answer path. Target on a 2-core machine: p95 <= 40 ms at 100k chunks.

    python benchmarks/bench_engine.py [--sizes 10000 100000] [--messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

from _common import percentiles, print_machine
from _synthetic import synthetic_index
from bench_search import questions

from bot.answering.base import AnswerRequest, AnswerResult
from bot.config import load_settings
from bot.runtime import build_runtime
from bot.types import Inbound, Platform
from knowledge import KnowledgeBase
from knowledge.embedding import load_embedder

TARGET_P95_MS = 40.0


class InstantAnswerer:
    """Answers from the first passage at once; a stand-in for the LLM's latency only."""

    def __init__(self) -> None:
        self.calls = 0

    async def answer(self, request: AnswerRequest) -> AnswerResult:
        self.calls += 1
        if not request.passages:
            return AnswerResult(None, (), 0.0)
        top = request.passages[0]
        return AnswerResult(top.text[:200], (top.doc_id,), 0.9)


async def measure(size: int, messages: int) -> dict[str, object]:
    path, _, _ = synthetic_index(size)
    # A fresh Embedder (same model) per size: it caches query embeddings per text, and
    # every size is asked the same questions, so a shared one would skip the embedding.
    knowledge = KnowledgeBase(path, embedder=load_embedder().with_empty_cache())
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as home:
        settings = load_settings(_env_file=None).model_copy(
            update={
                "home": Path(home),
                "database_url": None,
                "answer_min_score": 0.0,
                "faq_min_score": 0.0,
            }
        )
        answerer = InstantAnswerer()
        runtime = build_runtime(settings, answerer=answerer, knowledge=knowledge)
        texts = questions(messages + 20)
        timings: list[float] = []
        answered = 0
        for i, text in enumerate(texts):
            event = uuid.uuid4().hex
            inbound = Inbound(Platform.API, "bench", "c", f"user-{i}", text, event, thread=event)
            started = time.perf_counter()
            outcome = await runtime.engine.process(inbound)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 20:  # warm-up: model, index and connection pools
                timings.append(elapsed)
                answered += outcome.decision.value == "answer"
        p50, p95 = percentiles(timings)
        return {
            "chunks": size,
            "messages": len(timings),
            "p50_ms": round(p50, 1),
            "p95_ms": round(p95, 1),
            "llm_calls_per_message": round(answerer.calls / len(texts), 3),
            "answered": answered,
            "meets_target": size < 100_000 or p95 <= TARGET_P95_MS,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    print_machine()
    for size in args.sizes:
        print(json.dumps(asyncio.run(measure(size, args.messages))))


if __name__ == "__main__":
    main()
