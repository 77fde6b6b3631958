"""The grounding checker's own accuracy, for the eval report: `support()` on labelled pairs it never saw.

`checker_accuracy`: the held-out split of the RGB / XQuAD pairs its weights were fitted on the other
split of. `validation_accuracy`: the public validation sets of the shared `nli/` folder (summaries vs news
articles, dialogue responses vs knowledge snippets, claims vs evidence; `nli.VALIDATION`), none of which
was ever used to fit or tune anything: the numbers that say how good the checker is, judged by gold
labels from outside the product.

The RGB / XQuAD pairs (`pairs.py`) are split by query/article exactly as `evals/fit_grounding.py` splits
them to fit the weights, so these are pairs the checker was not calibrated on. Each pair is scored
through the product path (`grounding.support` with the embedding model's similarity, uncached), which
also gives the time per pair. The quick slice takes an evenly spaced sample. Nothing here fits anything.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tqdm import tqdm

from assistant.text import split_sentences
from assistant.verify import grounding
from assistant.verify.second import SecondOpinion, second_opinion

from . import metrics
from .pairs import Pair, split

Similarity = Callable[[str, Sequence[str]], list[float]]


def score_pairs(pairs: Iterable[Pair], similarity: Similarity | None,
                opinion: SecondOpinion | None = None) -> tuple[list[float], list[float]]:
    """`grounding.support` of each pair through the product path, and the milliseconds each took (every
    pair pays for reading its premise: the premise cache is cleared first).

    With `opinion` (the chat model's second opinion, `verify/second.py`), scored as the answer path
    decides: each claim sentence the checker scores borderline counts as supported (the threshold) when
    the opinion confirms it; the claim's score is its weakest sentence's."""
    scores, times = [], []
    for p in pairs:
        grounding._premise.cache_clear()
        t = time.perf_counter()
        if opinion is None:
            scores.append(grounding.support(p.premise, p.claim, similarity))
        else:
            sentences = [p.claim[a:b] for a, b in split_sentences(p.claim)] or [p.claim]
            scores.append(min(_with_opinion(p.premise, c, similarity, opinion) for c in sentences))
        times.append(1000 * (time.perf_counter() - t))
    return scores, times


def _with_opinion(premise: str, claim: str, similarity: Similarity | None, opinion: SecondOpinion) -> float:
    score = grounding.support(premise, claim, similarity)
    return grounding.THRESHOLD if second_opinion(opinion, premise, claim, score) else score


def checker_accuracy(pairs: list[Pair], similarity: Similarity | None,
                     sample: int | None = None, progress: bool = True,
                     opinion: SecondOpinion | None = None) -> dict[str, Any]:
    """Balanced accuracy and AUROC per pair type on the held-out split of `pairs`, time per pair, and the
    scored pairs (for the plot)."""
    _, held = split(pairs)
    if sample is not None and sample < len(held):
        held = held[:: max(1, len(held) // sample)][:sample]
    scores, times = score_pairs(tqdm(held, desc="eval checker", unit="pair", disable=not progress), similarity,
                                opinion)
    return {
        "n_pairs": len(held),
        "ms_per_pair_p50": round(metrics.percentile(times, 0.5), 2) if times else None,
        "ms_per_pair_p95": round(metrics.percentile(times, 0.95), 2) if times else None,
        "rows": metrics.pair_report(held, scores),
        "scored": [{"pair_type": p.pair_type, "label": p.label, "score": round(s, 4)}
                   for p, s in zip(held, scores, strict=True)],
    }


def sample_balanced(pairs: Sequence[Pair], n: int, seed: int = 0) -> list[Pair]:
    """Up to `n` pairs, half supported and half not where the data allows, drawn with a fixed seed."""
    rng = random.Random(seed)
    pos = [p for p in pairs if p.label == 1]
    neg = [p for p in pairs if p.label == 0]
    k_pos = min(len(pos), max(n // 2, n - len(neg)))
    k_neg = min(len(neg), n - k_pos)
    return rng.sample(pos, k_pos) + rng.sample(neg, k_neg)


def validation_accuracy(sets: dict[str, list[Pair]], similarity: Similarity | None,
                        per_dataset: int = 200, progress: bool = True,
                        opinion: SecondOpinion | None = None) -> dict[str, Any]:
    """The checker on public labelled sets it was never fitted or tuned on (LLM-AggreFact's way: balanced
    accuracy at the decision threshold per dataset, then their mean), on a fixed balanced sample of each."""
    rows, times = [], []
    for name, pairs in tqdm(sets.items(), desc="eval checker (validation sets)", unit="set", disable=not progress):
        sample = sample_balanced(pairs, per_dataset)
        scores, took = score_pairs(sample, similarity, opinion)
        times += took
        labels = [p.label for p in sample]
        rows.append({"dataset": name, "n_pos": sum(labels), "n_neg": len(labels) - sum(labels),
                     "balanced_accuracy": round(metrics.balanced_accuracy(labels, scores, grounding.THRESHOLD), 3),
                     "auroc": round(metrics.auroc(labels, scores), 3)})
    mean = sum(r["balanced_accuracy"] for r in rows) / len(rows) if rows else None
    return {"rows": rows, "mean_balanced_accuracy": round(mean, 3) if mean is not None else None,
            "per_dataset": per_dataset,
            "ms_per_pair_p50": round(metrics.percentile(times, 0.5), 2) if times else None,
            "ms_per_pair_p95": round(metrics.percentile(times, 0.95), 2) if times else None}
