"""Train a cross-encoder grounding checker from the packaged MiniLM weights, and score it the way the
answer path would, on pairs it never saw (issue #16's experiment; nothing here is used by the product yet).

Training data: the training candidates of the shared `nli/` folder (`nli.TRAINING`: never a validation
set, never a non-commercial one) plus the calibration split of the RGB / XQuAD pairs (`pairs.split`, the
split the lexical checker's weights were fitted on), balanced per dataset and label. Each premise is cut
to the window of up to three sentences that shares most words with the claim, so the model learns at
the length it is used at; inputs are cut to `--max-length` tokens. The model is the packaged
all-MiniLM-L6-v2 encoder with a one-logit head, trained with binary cross-entropy and AdamW for one epoch.

Scoring (`WindowedScorer`): each claim sentence against the premise's best few windows (by word overlap),
the best window's probability per sentence, the weakest sentence for the claim, as `grounding.support`
treats claims. Evaluation: the validation sets (`nli.VALIDATION`, balanced samples) and the RGB / XQuAD
held-out split, beside the shipped lexical checker.

Usage: python -m evals.train_checker --out DIR [--pairs-per-set 1500] [--max-length 128] [--eval-per-set 40]
(the data comes from ASSISTANT_EVAL_DATA or the cache, as for `assistant eval`).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from assistant.text import content_words, split_sentences
from assistant.verify import grounding

from . import metrics
from .checker import sample_balanced
from .nli import TRAINING, load
from .pairs import Pair, all_pairs, split
from .sources import NLI, RGB, XQUAD, locator_for, require


def windows(premise: str, size: int = 3) -> list[str]:
    """Runs of up to `size` consecutive sentences (every start), or the premise when it has one sentence."""
    spans = split_sentences(premise) or [(0, len(premise))]
    return [premise[spans[i][0]:spans[min(i + size, len(spans)) - 1][1]] for i in range(len(spans))]


def best_windows(premise: str, claim: str, k: int) -> list[str]:
    """The `k` windows that share most content words with the claim."""
    words = content_words(claim)
    ranked = sorted(windows(premise), key=lambda w: -len(words & content_words(w)))
    return ranked[:k]


def training_pairs(nli_root: Path, rgb: Path, xquad: Path, per_set: int, seed: int = 0) -> list[Pair]:
    calib, _ = split(all_pairs(rgb, xquad))
    sets = load(nli_root, TRAINING, which="training")
    sets["rgb_xquad_calibration"] = calib
    out: list[Pair] = []
    for name, pairs in sets.items():
        for p in sample_balanced(pairs, per_set, seed=seed):
            out.append(Pair(best_windows(p.premise, p.claim, 1)[0], p.claim, p.label, f"{name}:x", p.group))
    random.Random(seed).shuffle(out)
    return out


def train(model_dir: str, pairs: Sequence[Pair], out: Path, max_length: int, batch: int = 16,
          lr: float = 4e-5) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=1)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    steps = (len(pairs) + batch - 1) // batch
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * (1 - s / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        part = pairs[step * batch:(step + 1) * batch]
        enc = tok([p.premise for p in part], [p.claim for p in part], truncation="longest_first",
                  max_length=max_length, padding=True, return_tensors="pt")
        logits = model(**enc).logits.squeeze(-1)
        loss = loss_fn(logits, torch.tensor([float(p.label) for p in part]))
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
        if step % 50 == 0:
            rate = (step + 1) * batch / (time.perf_counter() - t0)
            print(f"step {step}/{steps} loss {loss.item():.3f} {rate:.1f} pairs/s", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)


class WindowedScorer:
    """support(premise, claim) from a trained cross-encoder directory (see the module docstring)."""

    def __init__(self, path: Path, max_length: int = 128, k: int = 4) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch, self.k, self.max_length = torch, k, max_length
        self.tok = AutoTokenizer.from_pretrained(path)
        self.model = AutoModelForSequenceClassification.from_pretrained(path).eval()

    def __call__(self, premise: str, claim: str) -> float:
        claims = [claim[a:b] for a, b in split_sentences(claim)] or [claim]
        worst = 1.0
        for c in claims:
            wins = best_windows(premise, c, self.k)
            enc = self.tok(wins, [c] * len(wins), truncation="longest_first", max_length=self.max_length,
                           padding=True, return_tensors="pt")
            with self.torch.no_grad():
                p = self.torch.sigmoid(self.model(**enc).logits.squeeze(-1)).max().item()
            worst = min(worst, p)
        return worst


def evaluate(score: Any, sets: dict[str, list[Pair]], held: list[Pair], per_set: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for name, pairs in sets.items():
        sample = sample_balanced(pairs, per_set)
        scores = [score(p.premise, p.claim) for p in sample]
        labels = [p.label for p in sample]
        rows.append({"dataset": name, "balanced_accuracy": round(metrics.balanced_accuracy(labels, scores), 3),
                     "auroc": round(metrics.auroc(labels, scores), 3)})
    held_sample = held[:: max(1, len(held) // 600)][:600]
    hs = [score(p.premise, p.claim) for p in held_sample]
    return {"mean_balanced_accuracy": round(sum(r["balanced_accuracy"] for r in rows) / len(rows), 3),
            "rows": rows, "rgb_xquad_held_out": metrics.pair_report(held_sample, hs)[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--pairs-per-set", type=int, default=1500)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--eval-per-set", type=int, default=40)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip-training", action="store_true", help="evaluate the model already in --out")
    args = ap.parse_args()
    import torch

    from assistant.backends.models import embedding_model_path

    torch.set_num_threads(args.threads)
    locator = locator_for(Settings())
    nli_root, rgb, xquad = require(NLI, locator).parent, require(RGB, locator), require(XQUAD, locator)
    if not args.skip_training:
        pairs = training_pairs(nli_root, rgb, xquad, args.pairs_per_set)
        print(f"{len(pairs)} training pairs", flush=True)
        train(embedding_model_path("all-MiniLM-L6-v2"), pairs, args.out, args.max_length)
    _, held = split(all_pairs(rgb, xquad))
    sets = load(nli_root)
    trained = evaluate(WindowedScorer(args.out, args.max_length), sets, held, args.eval_per_set)
    shipped = evaluate(lambda p, c: grounding.support(p, c), sets, held, args.eval_per_set)
    result = {"cross_encoder": trained, "lexical_checker": shipped}
    (args.out / "evaluation.json").write_text(json.dumps(result, indent=2))
    for name, r in result.items():
        print(name, "validation mean BA", r["mean_balanced_accuracy"], "held-out", r["rgb_xquad_held_out"])
        print("  ", {x["dataset"]: (x["balanced_accuracy"], x["auroc"]) for x in r["rows"]})


if __name__ == "__main__":
    main()
