"""The chat model's second opinion, measured: the checker alone vs checker + opinion on the same pairs.

    python -m evals.bench_opinion --per-set 12 --held 120 --out evals/out/opinion.json

Pairs: the public validation sets of `nli/` (never fitted or tuned on) and the held-out split of the
RGB / XQuAD pairs, each sample balanced and drawn with a fixed seed. Both configurations score the same
pairs; the opinion is the configured chat model (`ASSISTANT_LLM_BACKEND`, the local model by default),
asked only about borderline sentences. Prints balanced accuracy per set, the mean, the number of model
calls and the time per pair. Slow with the local model (seconds per call): not part of `make test`.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from assistant import Assistant
from assistant.settings import load_settings
from assistant.verify.second import ModelOpinion

from . import sources
from .checker import checker_accuracy, validation_accuracy
from .pairs import all_pairs
from .sources import locator_for


class Counting:
    """Counts the calls to an opinion (and how many said yes)."""

    def __init__(self, opinion: ModelOpinion) -> None:
        self.opinion, self.calls, self.yes = opinion, 0, 0

    def __call__(self, evidence: str, claim: str) -> bool:
        self.calls += 1
        said = self.opinion(evidence, claim)
        self.yes += said
        return said


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-set", type=int, default=12, help="pairs per validation set")
    ap.add_argument("--held", type=int, default=120, help="held-out RGB/XQuAD pairs")
    ap.add_argument("--out", default="evals/out/opinion.json")
    args = ap.parse_args()
    settings = load_settings()
    locator = locator_for(settings)
    a = Assistant(settings=settings)
    if a.llm is None:
        raise SystemExit("a chat model is needed: ASSISTANT_LLM_BACKEND=local or openai")
    opinion = Counting(ModelOpinion(a.llm))
    result: dict[str, Any] = {}
    nli = locator.resolve(sources.NLI).path
    if nli is not None:
        from .nli import load

        sets = load(nli.parent)
        for name, op in (("checker", None), ("checker+opinion", opinion)):
            t = time.perf_counter()
            v = validation_accuracy(sets, a.similarity, per_dataset=args.per_set, progress=False, opinion=op)
            v["seconds"] = round(time.perf_counter() - t, 1)
            result[f"validation:{name}"] = v
            print(f"validation sets, {name}: mean balanced accuracy {v['mean_balanced_accuracy']} "
                  f"({v['seconds']} s)")
        result["validation:calls"] = {"calls": opinion.calls, "yes": opinion.yes}
    rgb, xquad = locator.resolve(sources.RGB).path, locator.resolve(sources.XQUAD).path
    if rgb or xquad:
        pairs = all_pairs(rgb, xquad)
        calls = opinion.calls
        for name, op in (("checker", None), ("checker+opinion", opinion)):
            h = checker_accuracy(pairs, a.similarity, sample=args.held, progress=False, opinion=op)
            h.pop("scored")
            result[f"held_out:{name}"] = h
            overall = next(r for r in h["rows"] if r["pair_type"] == "all")
            print(f"held-out pairs, {name}: balanced accuracy {overall['balanced_accuracy']} "
                  f"AUROC {overall['auroc']}, p50 {h['ms_per_pair_p50']} ms/pair")
        result["held_out:calls"] = {"calls": opinion.calls - calls}
    for name, rows in ((k, v["rows"]) for k, v in result.items() if k.startswith("validation:checker")):
        print(f"\n{name}")
        for r in rows:
            print(f"  {r['dataset']:>28}: BA {r['balanced_accuracy']:.3f}  AUROC {r['auroc']:.3f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"\nmodel calls: {opinion.calls} ({opinion.yes} yes); written to {args.out}")


if __name__ == "__main__":
    main()
