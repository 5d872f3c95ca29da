"""FAQ agreement through the whole engine, on a CLINC150 slice as a knowledge base.

The slice keeps every phrasing of 20 intents (one FAQ entry each, as
benchmarks/prepare_clinc150.py builds it) and asks 10 `val` questions per intent plus all
100 `oos_val` questions, through the real engine with the offline answerer: once with the
shipped agreement weight and once with it off. Agreement must answer more questions
correctly, answer fewer wrongly, and still hand over out-of-scope questions as often.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import tempfile
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.routing_eval import RoutingCase, RoutingReport, evaluate_routing
from bot.runtime import build_runtime
from knowledge import KnowledgeBase

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "prepare_clinc150.py"
INTENTS = 20
PER_INTENT = 10


def _load_prepare():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("prepare_clinc150", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def clinc_slice(shared_data: Path, tmp_path_factory: pytest.TempPathFactory, embedder):
    out = tmp_path_factory.mktemp("clinc")
    _load_prepare().main(out, shared_data / "clinc150")
    entries = [json.loads(line) for line in (out / "kb.jsonl").read_text().splitlines()]
    kept = {entry["id"] for entry in entries[:INTENTS]}
    kb_file = out / "slice.jsonl"
    kb_file.write_text("\n".join(json.dumps(e) for e in entries if e["id"] in kept))
    cases, asked = [], dict.fromkeys(kept, 0)
    for line in (out / "queries_val.jsonl").read_text().splitlines():
        row = json.loads(line)
        gold = row["gold_ids"]
        if not gold or (gold[0] in kept and asked[gold[0]] < PER_INTENT):
            cases.append(RoutingCase(row["query"], tuple(gold)))
            if gold:
                asked[gold[0]] += 1
    knowledge = KnowledgeBase(out / "index", embedder=embedder)
    knowledge.ingest([kb_file])
    return knowledge, cases


def _route(knowledge: KnowledgeBase, cases: list[RoutingCase], weight: float) -> RoutingReport:
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(_env_file=None).model_copy(
            update={"home": Path(home), "database_url": None, "faq_agreement_weight": weight}
        )
        runtime = build_runtime(settings, knowledge=knowledge)
        return asyncio.run(evaluate_routing(runtime.engine, cases))


def test_agreement_answers_more_and_more_rightly_without_answering_out_of_scope(
    clinc_slice,
) -> None:
    knowledge, cases = clinc_slice
    hits = knowledge.search(cases[0].query, k=1)
    assert hits[0].agreement is not None  # dense entries: the search measured it
    shipped = _route(knowledge, cases, load_settings(_env_file=None).faq_agreement_weight)
    off = _route(knowledge, cases, 0.0)
    assert (shipped.in_scope, shipped.out_of_scope) == (INTENTS * PER_INTENT, 100)
    assert shipped.answered_correctly > off.answered_correctly
    assert shipped.answered_wrongly < off.answered_wrongly
    assert shipped.oos_escalated >= off.oos_escalated - 1  # one question in a hundred
