"""Turn the CLINC150 dev file into a knowledge base and routing queries.

One FAQ entry per intent (its train utterances as phrasings); `val` (in scope) plus
`oos_val` (out of scope, empty gold ids) as the queries to report on; `oos_train` plus a
held-out slice of train phrasings as queries to tune on.

    python benchmarks/prepare_clinc150.py OUT_DIR
    supportbot eval routing --kb OUT_DIR/kb.jsonl --queries OUT_DIR/queries_val.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "data" / "clinc150"


def main(out_dir: Path, data_dir: Path = DATA, holdout_per_intent: int = 5) -> None:
    data = json.loads((data_dir / "data_dev.json").read_text())
    domains = json.loads((data_dir / "domains.json").read_text())
    domain_of = {intent: domain for domain, intents in domains.items() for intent in intents}
    phrasings: dict[str, list[str]] = defaultdict(list)
    for text, intent in data["train"]:
        phrasings[intent].append(text)
    rng = random.Random(150)
    tune: list[dict[str, object]] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "kb.jsonl").open("w") as kb:
        for intent in sorted(phrasings):
            texts = list(phrasings[intent])
            rng.shuffle(texts)
            held, kept = texts[:holdout_per_intent], texts[holdout_per_intent:]
            tune.extend({"query": t, "gold_ids": [intent]} for t in held)
            kb.write(
                json.dumps(
                    {
                        "id": intent,
                        "question": kept[0],
                        "alt_questions": kept[1:],
                        "answer": f"This is the help article for '{intent.replace('_', ' ')}'.",
                        "category": domain_of.get(intent, "other"),
                    }
                )
                + "\n"
            )
    tune.extend({"query": t, "gold_ids": []} for t, _ in data["oos_train"])
    _write(out_dir / "queries_tune.jsonl", tune)
    val = [{"query": t, "gold_ids": [i]} for t, i in data["val"]]
    val += [{"query": t, "gold_ids": []} for t, _ in data["oos_val"]]
    _write(out_dir / "queries_val.jsonl", val)
    print(
        f"wrote {len(phrasings)} intents, {len(tune)} tuning and {len(val)} report queries "
        f"to {out_dir}"
    )


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
