"""Measure the engine's routing on labelled questions: answer, clarify or hand over.

Each question runs through the real engine (retrieval, triage, answerer, router) as a new
conversation of a new user, so no question's history colours another's. A question with
gold doc ids is in scope: it should be answered citing one of them. One with none is out
of scope: it should be escalated, never answered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.engine import ConversationEngine
from bot.types import Decision, Inbound, Platform


@dataclass(frozen=True, slots=True)
class RoutingCase:
    query: str
    gold_ids: tuple[str, ...]  # empty: out of scope


@dataclass
class RoutingReport:
    in_scope: int = 0
    out_of_scope: int = 0
    answered_correctly: int = 0
    answered_wrongly: int = 0
    in_scope_clarified: int = 0
    in_scope_escalated: int = 0
    oos_escalated: int = 0
    oos_clarified: int = 0
    oos_answered: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def answer_accuracy(self) -> float:
        """In-scope questions answered citing a gold document, over all in-scope questions."""
        return self.answered_correctly / self.in_scope if self.in_scope else 0.0

    @property
    def oos_escalation_recall(self) -> float:
        return self.oos_escalated / self.out_of_scope if self.out_of_scope else 0.0

    @property
    def false_escalation_rate(self) -> float:
        return self.in_scope_escalated / self.in_scope if self.in_scope else 0.0

    @property
    def wrong_answer_rate(self) -> float:
        return self.answered_wrongly / self.in_scope if self.in_scope else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def to_json(self) -> dict[str, float | int]:
        return {
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            "answer_accuracy": round(self.answer_accuracy, 4),
            "wrong_answer_rate": round(self.wrong_answer_rate, 4),
            "in_scope_clarified": self.in_scope_clarified,
            "false_escalation_rate": round(self.false_escalation_rate, 4),
            "oos_escalation_recall": round(self.oos_escalation_recall, 4),
            "oos_clarified": self.oos_clarified,
            "oos_answered": self.oos_answered,
            "p50_ms": round(self.percentile(0.5), 1),
            "p95_ms": round(self.percentile(0.95), 1),
        }


async def evaluate_routing(
    engine: ConversationEngine,
    cases: Sequence[RoutingCase],
    *,
    on_case: Callable[[], None] = lambda: None,
) -> RoutingReport:
    report = RoutingReport()
    for case in cases:
        event = uuid.uuid4().hex
        inbound = Inbound(
            platform=Platform.API,
            workspace="eval",
            channel="eval",
            user=f"eval-{event[:12]}",
            text=case.query,
            event_id=event,
            thread=event,
            is_dm=True,
        )
        started = time.perf_counter()
        outcome = await engine.process(inbound)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        cited = {c.doc_id for c in outcome.citations}
        if case.gold_ids:
            report.in_scope += 1
            if outcome.decision is Decision.ANSWER:
                if cited & set(case.gold_ids):
                    report.answered_correctly += 1
                else:
                    report.answered_wrongly += 1
            elif outcome.decision is Decision.CLARIFY:
                report.in_scope_clarified += 1
            else:
                report.in_scope_escalated += 1
        else:
            report.out_of_scope += 1
            if outcome.decision is Decision.ESCALATE:
                report.oos_escalated += 1
            elif outcome.decision is Decision.CLARIFY:
                report.oos_clarified += 1
            else:
                report.oos_answered += 1
        on_case()
    return report
