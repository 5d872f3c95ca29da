"""Shared helpers of the benchmark scripts: the machine they ran on, synthetic data, timing.

Benchmarks are plain scripts (`python benchmarks/<name>.py`), not tests: they print their
numbers with the machine, because a latency means nothing without the machine.
"""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as `python benchmarks/x.py` from a checkout
    sys.path.insert(0, str(REPO))
os.environ.setdefault("LANCEDB_LOG", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
T = TypeVar("T")

SHARED_DATA = Path(
    os.environ.get("SUPPORTBOT_SHARED_DATA", REPO.parent / "shared" / "eval" / "data")
)
WORK_DIR = Path(os.environ.get("SUPPORTBOT_BENCH_DIR", "/tmp/supportbot-bench"))

# A small support-flavoured vocabulary: synthetic text has to give BM25 something to match.
WORDS = (  # noqa: SIM905 - a paragraph reads better than a 100-item list
    "account billing invoice refund password reset login email workspace project task board "
    "member invite admin role permission export import csv json api token webhook slack "
    "github calendar sync mobile app android ios browser notification reminder timer report "
    "dashboard plan upgrade downgrade trial card payment tax receipt security audit session "
    "device encryption backup storage upload file attachment comment mention label filter "
    "search archive delete restore template automation integration schedule deadline status "
    "priority assign owner team guest share link public private error timeout slow crash "
    "update version setting profile avatar language timezone currency domain sso saml "
    "verification code device limit quota usage history log"
).split()


def machine() -> dict[str, object]:
    """nproc, CPU model, RAM and versions: printed with every result."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        nproc = os.cpu_count() or 0
    import lancedb

    return {
        "nproc": nproc,
        "cpu": cpu,
        "ram_gb": round(ram_gb, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "lancedb": lancedb.__version__,
    }


def print_machine() -> dict[str, object]:
    info = machine()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    return info


def percentiles(ms: Sequence[float]) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """(milliseconds the call took, its result)."""
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000.0, result


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def paragraph(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    while sum(len(s) + 1 for s in out) < chars:
        out.append(sentence(rng, rng.randint(6, 16)))
    return " ".join(out)


def zipf_vocabulary(size: int = 30_000, seed: int = 13) -> list[str]:
    """`size` distinct pronounceable pseudo-words, with the support words at ranks 50-150.

    Natural text follows Zipf's law: a few words are everywhere, most are rare. That is
    what keeps full-text posting lists short; text drawn from a 100-word vocabulary would
    make every query term match every row and BM25 pathologically slow.
    """
    rng = random.Random(seed)
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    words: list[str] = []
    seen: set[str] = set(WORDS)
    while len(words) < size - len(WORDS):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words[:50] + list(WORDS) + words[50:]


def zipf_texts(n: int, words_per_text: int, seed: int, vocabulary: list[str]) -> list[str]:
    """n texts of words drawn with probability proportional to 1 / rank."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(vocabulary) + 1)
    draws = rng.choice(len(vocabulary), size=(n, words_per_text), p=weights / weights.sum())
    vocab = np.array(vocabulary)
    return [" ".join(vocab[row]) for row in draws]


def clustered_vectors(n: int, dim: int, clusters: int, spread: float, seed: int) -> np.ndarray:
    """Unit vectors around `clusters` random centres: closer to real embeddings than noise.

    Real sentence embeddings are not uniform on the sphere: they bunch by topic, which is
    exactly what makes IVF partitions and PQ codes work (or fail). `spread` is the noise
    norm relative to the unit centre; 0.8 gives neighbours at cosine ~0.6, like MiniLM's.
    """
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    owner = rng.integers(0, clusters, size=n)
    noise = rng.standard_normal((n, dim)).astype(np.float32) * (spread / np.sqrt(dim))
    vectors = centres[owner] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)
