"""Is this the same issue again? Cosine similarity between message embeddings.

Two messages count as "the same issue" at cosine >= `threshold` (all-MiniLM-L6-v2,
unit vectors). The default is calibrated on CLINC150 (see docs/routing.md): pairs of
paraphrases of one intent versus pairs from different intents of the same domain.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SIMILAR_ISSUE_THRESHOLD = 0.55


def count_similar_conversations(
    message: np.ndarray,
    history: np.ndarray,
    conversation_ids: Sequence[str],
    threshold: float = SIMILAR_ISSUE_THRESHOLD,
) -> int:
    """How many distinct earlier conversations hold a message similar to `message`.

    `history` has one unit row per earlier message, `conversation_ids` says which
    conversation each came from; a conversation counts once however many of its
    messages match.
    """
    if len(conversation_ids) == 0:
        return 0
    sims = np.asarray(history, dtype=np.float32) @ np.asarray(message, dtype=np.float32)
    return len({conversation_ids[i] for i in np.flatnonzero(sims >= threshold)})


def repeats_earlier(
    message: np.ndarray, earlier: np.ndarray, threshold: float = SIMILAR_ISSUE_THRESHOLD
) -> bool:
    """True when `message` restates one of the `earlier` messages (rows, unit length)."""
    if len(earlier) == 0:
        return False
    return bool((np.asarray(earlier) @ np.asarray(message) >= threshold).any())
