"""How close a question must be to a retrieved text before the bot answers from it.

Closeness is the cosine between the question and the chunk's best-matching embedded text
(an FAQ phrasing, a heading line, or the passage). What counts as close depends on what
matched: question-to-question (an FAQ's phrasings) runs high, question-to-prose (a
help-center passage) runs lower for the same relevance. So there are two thresholds:
- `faq` 0.62: on CLINC150 dev (one FAQ per intent, train utterances as phrasings) the sum
  of answered-correctly and out-of-scope-escalated rates peaks at 0.60-0.66 (val 1.745 at
  0.62; tuning split 1.808 at 0.62, best 1.819 at 0.60);
- `passage` 0.42: on the bundled help center, in-scope questions score 0.47-0.72 and
  off-topic ones 0.09-0.26 (docs/routing.md).

An FAQ entry with many phrasings says more than its best one: an in-scope question pulls
many of them to the top, an out-of-scope one a scatter of entries. Where the search could
measure it (`SearchHit.agreement`, the entry's share of the 20 nearest rows; only entries
with 20+ rows), `support` moves closeness by `faq_agreement_weight * (agreement - 0.5)`
before it meets the same threshold. On CLINC150's tuning split the sum above rose from
1.796 to 1.836 at weight 0.3 (0.25-0.3 best of 0-0.4), with fewer wrong answers (4.8% ->
3.3%); entries with fewer rows are judged on closeness alone, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.types import SearchHit

AGREEMENT_CENTRE = 0.5  # agreement that leaves closeness unchanged


@dataclass(frozen=True, slots=True)
class AnswerThresholds:
    passage: float = 0.42
    faq: float = 0.62
    faq_agreement_weight: float = 0.3

    def for_hit(self, hit: SearchHit) -> float:
        return self.faq if hit.extra.get("kind") == "faq" else self.passage

    def support(self, hit: SearchHit) -> float:
        """What is compared with `for_hit`: closeness, moved by an FAQ entry's agreement."""
        value = closeness(hit)
        if hit.extra.get("kind") == "faq" and hit.agreement is not None:
            value += self.faq_agreement_weight * (hit.agreement - AGREEMENT_CENTRE)
        return value


def closeness(hit: SearchHit) -> float:
    """The question-to-chunk cosine when known, else the fused score."""
    return hit.vector_score if hit.vector_score is not None else hit.score
