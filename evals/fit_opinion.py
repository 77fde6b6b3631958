"""Tune the second opinion's confidence (`verify/second.py: CONFIDENCE`) on the fit split of the RGB /
XQuAD pairs: the split the checker's weights were fitted on, never the held-out split the report uses.

    python -m evals.fit_opinion --pairs 400

For each sampled pair the checker scores borderline (and no hard conflict vetoes), the local model's
P(yes) is read once; then each candidate confidence is scored by the balanced accuracy of the combined
decision over all sampled pairs (pairs outside the band keep the checker's decision). Prints the curve
and the best value; copy it into `CONFIDENCE` by hand (nothing here writes code).
"""

from __future__ import annotations

import argparse

from assistant import Assistant
from assistant.settings import load_settings
from assistant.verify import grounding
from assistant.verify.second import ModelOpinion, borderline, evidence_window

from . import metrics, sources
from .checker import sample_balanced
from .pairs import all_pairs, split
from .sources import locator_for


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=400)
    args = ap.parse_args()
    settings = load_settings()
    locator = locator_for(settings)
    fit, _ = split(all_pairs(locator.resolve(sources.RGB).path, locator.resolve(sources.XQUAD).path))
    sample = sample_balanced(fit, args.pairs, seed=1)
    a = Assistant(settings=settings)
    opinion = ModelOpinion(a.llm)
    labels, base, asked = [], [], {}
    for i, p in enumerate(sample):
        score = grounding.support(p.premise, p.claim, a.similarity)
        labels.append(p.label)
        base.append(score)
        if borderline(score) and not grounding.hard_conflict(p.premise, p.claim):
            asked[i] = opinion.probability(evidence_window(p.premise, p.claim), p.claim)
    print(f"{len(sample)} fit pairs, {len(asked)} borderline (model asked)")
    print(f"checker alone: BA {metrics.balanced_accuracy(labels, base, grounding.THRESHOLD):.3f}")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        combined = [grounding.THRESHOLD if i in asked and asked[i] >= t else s for i, s in enumerate(base)]
        rescued = [labels[i] for i in asked if asked[i] >= t]
        print(f"confidence {t:.2f}: BA {metrics.balanced_accuracy(labels, combined, grounding.THRESHOLD):.3f}  "
              f"rescued {len(rescued)} ({sum(rescued)} truly supported)")


if __name__ == "__main__":
    main()
