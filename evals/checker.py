"""The grounding checker's own accuracy, for the eval report: `support()` on held-out labelled pairs.

The pairs (`pairs.py`: RGB en_fact and XQuAD, as `sources.py` finds them) are split by query/article exactly as
`evals/fit_grounding.py` splits them to fit the weights, so these are pairs the checker was not
calibrated on. Each pair is scored through the product path (`grounding.support` with the embedding
model's similarity, uncached), which also gives the time per pair. The quick slice takes an evenly
spaced sample. This module does not fit anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from assistant.verify import grounding

from . import metrics
from .pairs import Pair, split


def checker_accuracy(pairs: list[Pair], similarity: Callable[[str, Sequence[str]], list[float]] | None,
                     sample: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Balanced accuracy and AUROC per pair type on the held-out split of `pairs`, time per pair, and the
    scored pairs (for the plot)."""
    _, held = split(pairs)
    if sample is not None and sample < len(held):
        held = held[:: max(1, len(held) // sample)][:sample]
    scores, times = [], []
    for p in tqdm(held, desc="eval checker", unit="pair", disable=not progress):
        grounding._premise.cache_clear()  # every pair pays for reading its premise
        t = time.perf_counter()
        scores.append(grounding.support(p.premise, p.claim, similarity))
        times.append(1000 * (time.perf_counter() - t))
    return {
        "n_pairs": len(held),
        "ms_per_pair_p50": round(metrics.percentile(times, 0.5), 2) if times else None,
        "ms_per_pair_p95": round(metrics.percentile(times, 0.95), 2) if times else None,
        "rows": metrics.pair_report(held, scores),
        "scored": [{"pair_type": p.pair_type, "label": p.label, "score": round(s, 4)}
                   for p, s in zip(held, scores, strict=True)],
    }
