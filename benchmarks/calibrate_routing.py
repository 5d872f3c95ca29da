"""Calibrate the routing defaults on the public dev data and report floor vs rule.

CLINC150 dev stands in for a knowledge base: one FAQ entry per intent, whose `train`
utterances are its phrasings. A query is "answered correctly" when it is answered
(confidence >= threshold) and its top candidate belongs to its own intent; an
out-of-scope query should be escalated (confidence < threshold).

- tuning: `train` queries, each searched leave-one-out against the other phrasings,
  plus `oos_train`. The rule's weights and both thresholds are fitted here.
- reporting: `val` and `oos_val` searched against all `train` phrasings. Nothing is
  tuned on them.

Floor: one cosine threshold on the best phrasing. Rule: bot.routing_confidence
(top-1 score + top-k agreement, logistic). Also calibrated: the "same issue"
similarity threshold used by triage (pairs of one intent vs pairs of different intents
of one domain). With --banking, BANKING77 train checks the category vote and the
intent prototypes.

    python benchmarks/calibrate_routing.py --cache /tmp/routing_cache
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.routing_confidence import (  # noqa: E402
    DEFAULT_RULE,
    ConfidenceRule,
    routing_confidence,
    top_score_confidence,
)
from bot.triage.intent import TextEmbedder  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "eval" / "data"
CANDIDATES_PER_QUERY = 10
# A past conversation has several messages and any one may match, so the per-pair
# false-match rate between different issues of one domain is held to this.
MAX_SAME_DOMAIN_FALSE_MATCH = 0.02


# --- data --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClincSlice:
    kb_texts: list[str]
    kb_labels: np.ndarray  # intent name per phrasing
    splits: dict[str, list[str]]  # "val", "oos_val", "oos_train" -> query texts
    val_labels: np.ndarray


def load_clinc(
    data_dir: Path, n_intents: int | None = None, per_intent: int | None = None
) -> ClincSlice:
    """The dev file, optionally cut to the first `n_intents` intents (sorted by name) and
    `per_intent` phrasings and val queries each, for quick runs and the test suite."""
    raw = json.loads((data_dir / "clinc150" / "data_dev.json").read_text())
    intents = sorted({label for _, label in raw["train"]})
    keep = set(intents[:n_intents] if n_intents else intents)

    def cut(rows: list[list[str]]) -> list[list[str]]:
        seen: dict[str, int] = {}
        out = []
        for text, label in rows:
            if label in keep and (per_intent is None or seen.get(label, 0) < per_intent):
                seen[label] = seen.get(label, 0) + 1
                out.append([text, label])
        return out

    train, val = cut(raw["train"]), cut(raw["val"])
    return ClincSlice(
        kb_texts=[text for text, _ in train],
        kb_labels=np.array([label for _, label in train]),
        splits={
            "val": [text for text, _ in val],
            "oos_train": [text for text, _ in raw["oos_train"]],
            "oos_val": [text for text, _ in raw["oos_val"]],
        },
        val_labels=np.array([label for _, label in val]),
    )


def embed_cached(embedder, texts: Sequence[str], cache: Path | None) -> np.ndarray:
    """Embed, reusing an .npy in `cache` keyed by the texts' hash (research runs only)."""
    if cache is None:
        return embedder.embed(list(texts))
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"emb_{key}.npy"
    if path.exists():
        return np.load(path)
    cache.mkdir(parents=True, exist_ok=True)
    vectors = embedder.embed(list(texts))
    np.save(path, vectors)
    return vectors


# --- candidates ----------------------------------------------------------------------------


def candidate_lists(
    queries: np.ndarray,
    kb: np.ndarray,
    kb_labels: np.ndarray,
    *,
    leave_one_out: bool = False,
    k: int = CANDIDATES_PER_QUERY,
) -> list[list[tuple[str, float]]]:
    """Top-k (intent, cosine) phrasings per query; leave-one-out when queries are the KB."""
    out: list[list[tuple[str, float]]] = []
    for start in range(0, len(queries), 1000):
        sims = queries[start : start + 1000] @ kb.T
        if leave_one_out:
            rows = np.arange(sims.shape[0])
            sims[rows, start + rows] = -np.inf
        top = np.argpartition(-sims, k, axis=1)[:, :k]
        for row, cols in enumerate(top):
            out.append([(str(kb_labels[c]), float(sims[row, c])) for c in cols])
    return out


# --- fitting and scoring -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    answered_correct: float  # in-scope queries answered with their own intent
    answered_wrong: float  # in-scope queries answered with another intent
    oos_escalated: float  # out-of-scope queries not answered

    @property
    def balanced(self) -> float:
        return (self.answered_correct + self.oos_escalated) / 2


def outcome(conf_in: np.ndarray, conf_oos: np.ndarray, correct: np.ndarray, t: float) -> Outcome:
    answered = conf_in >= t
    return Outcome(
        float((answered & correct).mean()),
        float((answered & ~correct).mean()),
        float((conf_oos < t).mean()),
    )


def best_threshold(conf_in: np.ndarray, conf_oos: np.ndarray, correct: np.ndarray) -> float:
    """The threshold maximizing (answered-correctly + OOS-escalated) / 2; ties: the lowest."""
    grid = np.unique(np.concatenate([conf_in, conf_oos]))
    scores = [outcome(conf_in, conf_oos, correct, t).balanced for t in grid]
    return float(grid[int(np.argmax(scores))])


def correct_at_oos_recall(
    conf_in: np.ndarray, conf_oos: np.ndarray, correct: np.ndarray, recall: float
) -> float:
    """Answered-correctly rate at the threshold that escalates `recall` of OOS queries."""
    t = float(np.quantile(conf_oos, recall))
    return outcome(conf_in, conf_oos, np.asarray(correct), np.nextafter(t, np.inf)).answered_correct


def fit_rule(
    feats_in: np.ndarray, feats_oos: np.ndarray, correct: np.ndarray, top_k: int
) -> ConfidenceRule:
    """Class-balanced logistic regression (Newton steps) of "answer is right" on
    (top score, agreement); in-scope misses and OOS queries are the negatives."""
    x = np.vstack([feats_in, feats_oos])
    y = np.concatenate([correct.astype(float), np.zeros(len(feats_oos))])
    weight = np.concatenate(
        [np.full(len(feats_in), 1.0), np.full(len(feats_oos), len(feats_in) / len(feats_oos))]
    )
    weight /= weight.mean()
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.column_stack([np.ones(len(x)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    ridge = 1e-3 * np.diag([0.0] + [1.0] * (z.shape[1] - 1))
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (weight * (p - y)) + ridge @ w
        hess = (z * (weight * p * (1 - p))[:, None]).T @ z + ridge + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    coef = w[1:] / sd
    intercept = w[0] - float(np.sum(w[1:] * mu / sd))
    return ConfidenceRule(float(intercept), float(coef[0]), float(coef[1]), top_k=top_k)


def with_neutral_agreement(rule: ConfidenceRule, rule_t: float, floor_t: float) -> ConfidenceRule:
    """Set the agreement at which the rule's boundary on the top score is the floor's."""
    logit_t = float(np.log(rule_t / (1 - rule_t)))
    neutral = (logit_t - rule.intercept - rule.top_weight * floor_t) / rule.agreement_weight
    return ConfidenceRule(
        rule.intercept, rule.top_weight, rule.agreement_weight, rule.top_k, float(neutral)
    )


def features(cands: list[list[tuple[str, float]]], top_k: int) -> np.ndarray:
    from bot.routing_confidence import confidence_features

    rows = [confidence_features(c, top_k) for c in cands]
    return np.array([[f.top_score, f.agreement] for f in rows])


def top_docs(cands: list[list[tuple[str, float]]]) -> np.ndarray:
    return np.array([max(c, key=lambda cand: cand[1])[0] for c in cands])


@dataclass(frozen=True, slots=True)
class Comparison:
    floor_threshold: float
    floor: Outcome
    rule: ConfidenceRule
    rule_threshold: float
    rule_outcome: Outcome
    floor_at: dict[float, float]
    rule_at: dict[float, float]


def compare(
    val: list[list[tuple[str, float]]],
    val_labels: np.ndarray,
    oos: list[list[tuple[str, float]]],
    *,
    floor_threshold: float,
    rule: ConfidenceRule,
    rule_threshold: float,
) -> Comparison:
    """Floor and rule, each at its own (already chosen) threshold, on reporting queries."""
    correct = top_docs(val) == val_labels
    floor_in = np.array([top_score_confidence(c) for c in val])
    floor_oos = np.array([top_score_confidence(c) for c in oos])
    rule_in = np.array([routing_confidence(c, rule) for c in val])
    rule_oos = np.array([routing_confidence(c, rule) for c in oos])
    recalls = (0.9, 0.95)
    return Comparison(
        floor_threshold,
        outcome(floor_in, floor_oos, correct, floor_threshold),
        rule,
        rule_threshold,
        outcome(rule_in, rule_oos, correct, rule_threshold),
        {r: correct_at_oos_recall(floor_in, floor_oos, correct, r) for r in recalls},
        {r: correct_at_oos_recall(rule_in, rule_oos, correct, r) for r in recalls},
    )


def calibrate(
    kb: np.ndarray,
    kb_labels: np.ndarray,
    oos_train: np.ndarray,
    top_k: int = DEFAULT_RULE.top_k,
) -> tuple[float, ConfidenceRule, float]:
    """Fit on the tuning split: (floor threshold, rule, rule threshold)."""
    tune_in = candidate_lists(kb, kb, kb_labels, leave_one_out=True)
    tune_oos = candidate_lists(oos_train, kb, kb_labels)
    correct = top_docs(tune_in) == kb_labels
    floor_t = best_threshold(
        np.array([top_score_confidence(c) for c in tune_in]),
        np.array([top_score_confidence(c) for c in tune_oos]),
        correct,
    )
    rule = fit_rule(features(tune_in, top_k), features(tune_oos, top_k), correct, top_k)
    rule_t = best_threshold(
        np.array([routing_confidence(c, rule) for c in tune_in]),
        np.array([routing_confidence(c, rule) for c in tune_oos]),
        correct,
    )
    return floor_t, with_neutral_agreement(rule, rule_t, floor_t), rule_t


def similar_issue_threshold(
    kb: np.ndarray, kb_labels: np.ndarray, domains: dict[str, str], seed: int = 0
) -> tuple[float, list[tuple[float, float, float]]]:
    """Lowest cosine whose false-match rate between different intents of one domain is
    at most MAX_SAME_DOMAIN_FALSE_MATCH; with the (threshold, recall, false-match) table."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, np.ndarray] = {
        label: np.flatnonzero(kb_labels == label) for label in np.unique(kb_labels)
    }
    pos_a, pos_b = [], []
    for idx in by_label.values():
        pairs = rng.choice(idx, size=(200, 2))
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        pos_a.extend(pairs[:, 0])
        pos_b.extend(pairs[:, 1])
    a = rng.integers(0, len(kb_labels), 200_000)
    b = rng.integers(0, len(kb_labels), 200_000)
    label_domain = np.array([domains.get(str(label), "") for label in kb_labels])
    neg = (kb_labels[a] != kb_labels[b]) & (label_domain[a] == label_domain[b])
    pos_sims = np.sum(kb[pos_a] * kb[pos_b], axis=1)
    neg_sims = np.sum(kb[a[neg]] * kb[b[neg]], axis=1)
    table = []
    chosen = 1.0
    for t in np.round(np.arange(0.30, 0.80, 0.05), 2):
        fmr = float((neg_sims >= t).mean())
        table.append((float(t), float((pos_sims >= t).mean()), fmr))
        if fmr <= MAX_SAME_DOMAIN_FALSE_MATCH:
            chosen = min(chosen, float(t))
    return chosen, table


def evaluate_clinc(
    embedder: TextEmbedder, data: ClincSlice, cache: Path | None = None
) -> tuple[Comparison, Comparison]:
    """Calibrate on the slice's tuning split and compare on its reporting split.

    Returns (floor vs the rule fitted now, floor vs the shipped DEFAULT_RULE at the
    shipped EscalationPolicy threshold); the floor is tuned in both.
    """
    from bot.escalation import EscalationPolicy

    kb = embed_cached(embedder, data.kb_texts, cache)
    queries = {name: embed_cached(embedder, texts, cache) for name, texts in data.splits.items()}
    floor_t, rule, rule_t = calibrate(kb, data.kb_labels, queries["oos_train"])
    val = candidate_lists(queries["val"], kb, data.kb_labels)
    oos = candidate_lists(queries["oos_val"], kb, data.kb_labels)
    fitted = compare(
        val, data.val_labels, oos, floor_threshold=floor_t, rule=rule, rule_threshold=rule_t
    )
    shipped = compare(
        val,
        data.val_labels,
        oos,
        floor_threshold=floor_t,
        rule=DEFAULT_RULE,
        rule_threshold=EscalationPolicy().min_retrieval_confidence,
    )
    return fitted, shipped


def fusion_comparison(
    embedder: TextEmbedder, data: ClincSlice, cache: Path | None = None
) -> tuple[float, Outcome, dict[float, float]]:
    """The knowledge base's own confidence (knowledge.fusion, vector mode) on the same task.

    knowledge.search keeps the best phrasing per entry, so each intent is one candidate
    with its best phrasing's cosine; the pool is the top 50. Its threshold is tuned on
    the same tuning split. Returns (threshold, outcome, correct @ OOS recall).
    """
    from knowledge.fusion import Candidate, FusionConfig, fuse

    kb = embed_cached(embedder, data.kb_texts, cache)
    intents = np.unique(data.kb_labels)
    masks = [data.kb_labels == intent for intent in intents]
    config = FusionConfig(mode="vector")

    def confidences(
        queries: np.ndarray, leave_one_out: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        conf, top = [], []
        for start in range(0, len(queries), 500):
            sims = queries[start : start + 500] @ kb.T
            if leave_one_out:
                rows = np.arange(sims.shape[0])
                sims[rows, start + rows] = -np.inf
            per_intent = np.stack([sims[:, m].max(axis=1) for m in masks], axis=1)
            for row in per_intent:
                order = np.argsort(-row)[:50]
                pool = [
                    Candidate(str(intents[i]), str(intents[i]), float(row[i]), None, rank + 1)
                    for rank, i in enumerate(order)
                ]
                best = fuse(pool, config)[0]
                conf.append(best.confidence)
                top.append(best.candidate.doc_id)
        return np.array(conf), np.array(top)

    queries = {name: embed_cached(embedder, texts, cache) for name, texts in data.splits.items()}
    tune_in, tune_top = confidences(kb, leave_one_out=True)
    tune_oos, _ = confidences(queries["oos_train"])
    t = best_threshold(tune_in, tune_oos, tune_top == data.kb_labels)
    val_in, val_top = confidences(queries["val"])
    val_oos, _ = confidences(queries["oos_val"])
    correct = val_top == data.val_labels
    at = {r: correct_at_oos_recall(val_in, val_oos, correct, r) for r in (0.9, 0.95)}
    return t, outcome(val_in, val_oos, correct, t), at


# --- BANKING77 sanity checks --------------------------------------------------------------


def banking_checks(data_dir: Path, embedder, cache: Path | None) -> dict[str, object]:
    """Category vote vs top-1 hit (80/20 split of train per category), and how the intent
    prototypes label real banking queries (they should be questions/problems/requests)."""
    from bot.triage.category import nearest_category
    from bot.triage.intent import IntentClassifier

    with (data_dir / "banking77" / "train.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    labels = np.array([row["category"] for row in rows])
    vectors = embed_cached(embedder, texts, cache)
    is_query = np.zeros(len(rows), dtype=bool)
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        is_query[idx[: len(idx) // 5]] = True
    cands = candidate_lists(vectors[is_query], vectors[~is_query], labels[~is_query])
    truth = labels[is_query]
    top1 = top_docs(cands) == truth
    vote = np.array([nearest_category(c, top_k=5) for c in cands]) == truth
    classifier = IntentClassifier(embedder)
    sample = np.flatnonzero(is_query)[::10]
    counts: dict[str, int] = {}
    for i in sample:
        intent = classifier.classify(texts[i], vector=vectors[i]).intent.value
        counts[intent] = counts.get(intent, 0) + 1
    return {
        "category_top1_accuracy": round(float(top1.mean()), 4),
        "category_vote5_accuracy": round(float(vote.mean()), 4),
        "queries": int(is_query.sum()),
        "intent_distribution_sample": dict(sorted(counts.items())),
    }


# --- report -----------------------------------------------------------------------------------


def _row(name: str, t: float, out: Outcome, at: dict[float, float]) -> str:
    return (
        f"| {name} | {t:.3f} | {out.answered_correct:.3f} | {out.answered_wrong:.3f} | "
        f"{out.oos_escalated:.3f} | {out.balanced:.4f} | {at[0.9]:.3f} | {at[0.95]:.3f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None, help="embedding cache dir")
    parser.add_argument("--intents", type=int, default=None, help="first N intents only")
    parser.add_argument("--per-intent", type=int, default=None)
    parser.add_argument("--banking", action="store_true", help="also run BANKING77 checks")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument(
        "--compare-fusion", action="store_true", help="also score knowledge.fusion's confidence"
    )
    args = parser.parse_args(argv)

    from knowledge.embedding import load_embedder

    embedder = load_embedder()
    data = load_clinc(args.data, args.intents, args.per_intent)
    fitted, shipped = evaluate_clinc(embedder, data, args.cache)
    kb = embed_cached(embedder, data.kb_texts, args.cache)
    floor_t, rule, rule_t = fitted.floor_threshold, fitted.rule, fitted.rule_threshold
    shipped_t = shipped.rule_threshold
    domains_raw = json.loads((args.data / "clinc150" / "domains.json").read_text())
    domains = {intent: domain for domain, items in domains_raw.items() for intent in items}
    same_t, same_table = similar_issue_threshold(kb, data.kb_labels, domains)

    print(
        f"CLINC150 dev: KB {len(data.kb_texts)} phrasings of {len(set(data.kb_labels))} intents;"
        f" tuned on train (leave-one-out) + oos_train ({len(data.splits['oos_train'])});"
        f" reported on val ({len(data.splits['val'])}) + oos_val ({len(data.splits['oos_val'])})"
    )
    print(
        "| rule | threshold | answered correctly | answered wrongly | OOS escalated |"
        " balanced | correct @ 90% OOS esc. | correct @ 95% OOS esc. |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(_row("floor: top-1 cosine", floor_t, fitted.floor, fitted.floor_at))
    print(_row("rule (fitted now)", rule_t, fitted.rule_outcome, fitted.rule_at))
    print(_row("rule (shipped defaults)", shipped_t, shipped.rule_outcome, shipped.rule_at))
    if args.compare_fusion:
        fusion_t, fusion_out, fusion_at = fusion_comparison(embedder, data, args.cache)
        print(_row("knowledge.fusion confidence (vector)", fusion_t, fusion_out, fusion_at))
    print(f"fitted rule: {rule}")
    print(f"same-issue similarity threshold: {same_t} (recall, same-domain false match):")
    for t, recall, fmr in same_table:
        print(f"  {t:.2f}: {recall:.3f} {fmr:.3f}")
    report: dict[str, object] = {
        "floor_threshold": floor_t,
        "floor": asdict(fitted.floor),
        "rule": asdict(rule),
        "rule_threshold": rule_t,
        "rule_outcome": asdict(fitted.rule_outcome),
        "shipped_rule_outcome": asdict(shipped.rule_outcome),
        "similar_issue_threshold": same_t,
    }
    if args.banking:
        checks = banking_checks(args.data, embedder, args.cache)
        print(f"BANKING77 train checks: {checks}")
        report["banking"] = checks
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
