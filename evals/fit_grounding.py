"""Calibrate the grounding checker: build labelled pairs, fit the logistic weights, report held-out quality.

Pairs come from `evals/pairs.py` (RGB counterfactuals and XQuAD, read in place from ../shared/data),
split by RGB query / XQuAD article into calibration (60%) and held-out (40%) with a fixed seed.
Two weight sets are fitted on the calibration split by L2 logistic regression with sign-constrained
weights (a feature for support cannot count against it), each family (rgb_qa, rgb_sent, xquad_qa,
xquad_sent) and each class weighted equally: "lexical" (no similarity) and "semantic" (with the
MiniLM cosine). They are written to assistant/grounding_weights.json; then `grounding.support` itself
is scored on the held-out split: balanced accuracy at THRESHOLD and AUROC per pair type (the family's
supported pairs against one unsupported kind). Time per pair is measured first, with the product's
uncached similarity (`--baseline` adds version 1 from git HEAD to both). Results:
evals/out/grounding.json and Markdown tables on stdout (copied into docs/grounding.md).

Usage: python -m evals.fit_grounding [--no-write] [--baseline] [--timing N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.backends import models
from assistant.backends.embedding import SentenceEmbeddings
from assistant.retrieve.retriever import cosine_similarity
from assistant.settings import Settings
from assistant.text import split_sentences
from assistant.verify import grounding
from evals.metrics import pair_report
from evals.pairs import Pair, all_pairs, split
from evals.sources import RGB, XQUAD, locator_for, require

OUT = Path("evals") / "out" / "grounding.json"  # relative to where it is run (the repository root)
VECTORS = OUT.with_name("grounding_vectors.pkl")  # embedding cache between runs (evals/out is not committed)
LEXICAL = [f for f in grounding.FEATURES if f != "similarity"]
SEMANTIC = list(grounding.FEATURES)
L2 = 1.0
POSITIVE = {"coverage", "premise_coverage", "all_facts_found", "similarity"}
Score = Callable[[Pair], float]


class CachedSimilarity:
    """The product's cosine similarity with embeddings memoised per text (same model, same numbers)."""

    def __init__(self, embedder: SentenceEmbeddings) -> None:
        self.embedder = embedder
        self.vectors: dict[str, np.ndarray] = {}

    def warm(self, texts: Sequence[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        for i in range(0, len(todo), 256):
            batch = todo[i:i + 256]
            for t, v in zip(batch, self.embedder.embed_documents(batch), strict=True):
                self.vectors[t] = np.asarray(v, dtype=np.float32)

    def __call__(self, text: str, others: Sequence[str]) -> list[float]:
        self.warm([text, *others])
        return [float(self.vectors[o] @ self.vectors[text]) for o in others]


def feature_rows(pairs: Sequence[Pair], names: Sequence[str], sim: CachedSimilarity | None) -> np.ndarray:
    rows = []
    for p in pairs:
        f = grounding.features(p.premise, p.claim, sim)
        rows.append([f.get(n, 0.0) for n in names])
    return np.asarray(rows, dtype=float)


def sample_weights(pairs: Sequence[Pair]) -> np.ndarray:
    """Each (family, label) cell gets the same total weight."""
    cells: dict[tuple[str, int], int] = {}
    for p in pairs:
        cells[(p.family, p.label)] = cells.get((p.family, p.label), 0) + 1
    w = np.asarray([1.0 / cells[(p.family, p.label)] for p in pairs])
    return w * len(pairs) / w.sum()


def fit(pairs: Sequence[Pair], names: Sequence[str], sim: CachedSimilarity | None) -> dict[str, float]:
    """L2 logistic regression with each weight's sign fixed (evidence for support >= 0, against <= 0)."""
    from scipy.optimize import minimize

    single = [p for p in pairs if len(split_sentences(p.claim)) <= 1]  # features are per claim sentence
    x = np.column_stack([feature_rows(single, names, sim), np.ones(len(single))])
    y, w = np.asarray([p.label for p in single], dtype=float), sample_weights(single)

    def loss(b: np.ndarray) -> tuple[float, np.ndarray]:
        z = x @ b
        nll = float(w @ (y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)))
        grad = x.T @ (w * (1 / (1 + np.exp(-z)) - y))
        return nll + 0.5 * L2 * float(b[:-1] @ b[:-1]), grad + L2 * np.r_[b[:-1], 0.0]

    bounds = [(0.0, None) if n in POSITIVE else (None, 0.0) for n in names] + [(None, None)]
    b = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds).x
    return {"bias": round(float(b[-1]), 4), **{n: round(float(c), 4) for n, c in zip(names, b[:-1], strict=True)}}


def table(rows: Sequence[dict[str, object]], title: str) -> str:
    lines = [f"### {title}", "", "| pair type | n (supported / not) | balanced accuracy | AUROC |", "|---|---|---|---|"]
    lines += [f"| {r['pair_type']} | {r['n_pos'] + r['n_neg']} ({r['n_pos']} / {r['n_neg']}) "  # type: ignore[operator]
              f"| {r['balanced_accuracy']:.3f} | {r['auroc']:.3f} |" for r in rows]
    return "\n".join(lines)


def baseline_module() -> object:
    """Version 1 of grounding.py (hand-set weights) from git HEAD, for comparison."""
    src = subprocess.run(["git", "show", "HEAD:assistant/verify/grounding.py"], check=True,
                         capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("assistant._grounding_v1", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "assistant"
    exec(compile(src, "grounding_v1.py", "exec"), mod.__dict__)
    return mod


def timing(pairs: Sequence[Pair], sim: Callable[[str, Sequence[str]], list[float]] | None,
           module: object = grounding) -> dict[str, float]:
    times = []
    for p in pairs:
        grounding._premise.cache_clear()  # every pair pays for reading its premise
        t = time.perf_counter()
        module.support(p.premise, p.claim, sim)  # type: ignore[attr-defined]
        times.append(1000 * (time.perf_counter() - t))
    times.sort()
    return {"mean_ms": round(statistics.mean(times), 2), "median_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2), "n": len(times)}


def time_pairs(held: list[Pair], embedder: SentenceEmbeddings, n: int, baseline: bool) -> dict[str, dict[str, float]]:
    """Milliseconds per pair through the product path (uncached similarity), on an even sample of `n`."""
    sample = held[:: max(1, len(held) // n)][:n]
    product_sim = lambda text, others: cosine_similarity(embedder, text, list(others))  # noqa: E731
    product_sim("warm", ["up"])
    times = {"lexical": timing(sample, None), "semantic": timing(sample, product_sim)}
    if baseline:
        times["v1 semantic"] = timing(sample, product_sim, baseline_module())
    print("time per pair (ms):", json.dumps(times), flush=True)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-write", action="store_true", help="fit and report, but keep the weights file as it is")
    ap.add_argument("--baseline", action="store_true", help="also score version 1 (hand-set, git HEAD)")
    ap.add_argument("--timing", type=int, default=200, help="held-out pairs to time (0: skip)")
    args = ap.parse_args()

    locator = locator_for(Settings())
    pairs = all_pairs(require(RGB, locator), require(XQUAD, locator))
    calib, held = split(pairs)
    print(f"pairs: {len(pairs)} (calibration {len(calib)}, held-out {len(held)})", flush=True)
    embedder = models.embeddings(Settings().embedder)
    results: dict[str, object] = {"n_calibration": len(calib), "n_held_out": len(held)}
    if args.timing:  # first, before anything else loads thread pools next to torch's
        results["timing"] = time_pairs(held, embedder, args.timing, args.baseline)
    sim = CachedSimilarity(embedder)
    if VECTORS.exists():
        sim.vectors = pickle.loads(VECTORS.read_bytes())
    t = time.perf_counter()
    sim.warm([p.claim for p in pairs])
    print(f"embedded claims in {time.perf_counter() - t:.0f} s", flush=True)

    fitted = {"lexical": fit(calib, LEXICAL, None), "semantic": fit(calib, SEMANTIC, sim)}
    for name, w in fitted.items():
        print(name, json.dumps(w))
    meta = {"fitted_on": f"{len(calib)} calibration pairs (evals/pairs.py: RGB en_fact, XQuAD en; "
                         "split by query/article, seed 13), family- and class-balanced, sign-constrained L2 logistic "
                         "regression",
            "l2": L2, "features": list(grounding.FEATURES), "sim_windows": grounding.SIM_WINDOWS}
    if args.no_write:  # score these weights without touching the shipped file
        OUT.parent.mkdir(parents=True, exist_ok=True)
        grounding.WEIGHTS_FILE = OUT.with_name("grounding_weights.json")
    grounding.WEIGHTS_FILE.write_text(json.dumps({**fitted, "meta": meta}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {grounding.WEIGHTS_FILE}")
    grounding.weights.cache_clear()

    results.update(meta=meta, weights=fitted)
    scorers: dict[str, Score] = {
        "lexical (no similarity)": lambda p: grounding.support(p.premise, p.claim),
        "semantic (MiniLM similarity)": lambda p: grounding.support(p.premise, p.claim, sim),
    }
    if args.baseline:
        v1: object = baseline_module()
        scorers["v1 hand-set, no similarity"] = lambda p: v1.support(p.premise, p.claim)  # type: ignore[attr-defined]
        scorers["v1 hand-set, with similarity"] = lambda p: v1.support(p.premise, p.claim, sim)  # type: ignore[attr-defined]
    for name, score in scorers.items():
        rows = pair_report(held, [score(p) for p in held])
        results[name] = rows
        print(table(rows, f"held-out, {name}"), "\n", flush=True)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    VECTORS.write_bytes(pickle.dumps(sim.vectors))
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
