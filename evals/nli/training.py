"""The training-candidate loaders (`evals.nli.TRAINING`; `sick` is `NON_COMMERCIAL_TRAINING`) and `detokenize`.

Each loader reads one dataset's files under the nli root and maps its label column to 1 (the premise
supports the claim) or 0 as the README says; `docnli` builds the loaders of DocNLI's binary sets. SNLI
is lightly detokenised (`detokenize`); other text is kept as published. Reading, cleaning,
de-duplication and grouping are `io`'s. Check the README's terms before shipping weights.

Not done here: no registry (see `evals.nli`), no download, no split, and ANLI dev (`validation.anli`).
"""

from __future__ import annotations

import re
from pathlib import Path

from evals.nli.io import (
    BINARY,
    ENTAILMENT,
    Collector,
    Loader,
    as_text,
    digest,
    map_label,
    read_csv,
    read_jsonl,
    read_tsv,
)
from evals.pairs import Pair


def factcg_cg2c(root: Path, dedupe: bool = True) -> list[Pair]:
    """FactCG CG2C-doc: document -> claim, `orig_label`; grouped by claim (a positive and its deletion negative)."""
    c = Collector("factcg_cg2c")
    for r in read_jsonl(root / "factcg_cg2c" / "CG2C_doc.json"):
        parts = r.get("text_b")
        claim = " ".join(as_text(x) for x in parts) if isinstance(parts, list) else as_text(parts)
        c.add(r.get("text_a"), claim, map_label(r.get("orig_label"), BINARY), digest(claim))
    return c.pairs(dedupe)


def docnli(name: str, folder: str, by_claim: bool) -> Loader:
    """DocNLI binary-set loader; grouped by claim when `by_claim`, else by premise."""

    def load(root: Path, dedupe: bool = True) -> list[Pair]:
        c = Collector(name)
        for split in ("dev", "test"):
            for row in read_tsv(root / folder / f"{split}.txt", header=False):
                if len(row) >= 3:
                    c.add(row[1], row[2], map_label(row[0], ENTAILMENT), digest(row[2] if by_claim else row[1]))
        return c.pairs(dedupe)

    load.__doc__ = f"DocNLI's binary {name} (dev + test): premise -> hypothesis; entailment -> 1, else 0."
    return load


_DETOK = (
    (re.compile(r"``\s*"), '"'),
    (re.compile(r"\s*''"), '"'),
    (re.compile(r"\s+(n't|'s|'re|'ve|'ll|'d|'m)\b", re.I), r"\1"),
    (re.compile(r"\s+([.,;:!?%)\]}])"), r"\1"),
    (re.compile(r"([(\[{$])\s+"), r"\1"),
)


def detokenize(text: str) -> str:
    """Light PTB detokenisation: quotes, clitics ("do n't" -> "don't") and spaces around punctuation."""
    text = " ".join(text.split())
    for pattern, repl in _DETOK:
        text = pattern.sub(repl, text)
    return text


def snli(root: Path, dedupe: bool = True) -> list[Pair]:
    """SNLI dev + test via e-SNLI's line-aligned tokenised files, detokenised; entailment -> 1, else 0."""
    folder = root / "snli_esnli_tok"
    c = Collector("snli")
    for split in ("dev", "test"):
        # split on "\n" only: str.splitlines would also split on the rare \x1c-\x1e or U+2028 inside a sentence
        columns = [(folder / f"{n}.{split}").read_text(encoding="utf-8-sig").rstrip("\n").split("\n")
                   for n in ("s1", "s2", "labels")]
        if len({len(col) for col in columns}) != 1:
            raise ValueError(f"{folder}: s1/s2/labels.{split} are not line-aligned")
        for premise, claim, label in zip(*columns, strict=True):
            p = detokenize(premise)
            c.add(p, detokenize(claim), map_label(label, ENTAILMENT), digest(p))
    return c.pairs(dedupe)


def rte(root: Path, dedupe: bool = True) -> list[Pair]:
    """GLUE RTE, all labelled pairs (host repo's train/dev/test re-split); entailment -> 1."""
    c = Collector("rte")
    for split in ("train", "dev", "test"):
        for row in read_tsv(root / "rte_resplit" / f"{split}.tsv", header=True):
            if len(row) >= 4:
                c.add(row[1], row[2], map_label(row[3], ENTAILMENT), digest(row[1]))
    return c.pairs(dedupe)


def vitaminc(root: Path, dedupe: bool = True) -> list[Pair]:
    """VitaminC sample (400): evidence -> claim; supports -> 1, refutes and not enough info -> 0."""
    mapping = {"supports": 1, "refutes": 0, "not enough info": 0}
    c = Collector("vitaminc")
    for name in ("test", "train_0", "train_1", "train_2", "train_3", "train_4"):
        for r in read_jsonl(root / "vitaminc_icl_sample" / f"{name}.jsonl"):
            claim = as_text(r.get("claim"))
            c.add(r.get("evidence"), claim, map_label(r.get("label"), mapping), digest(claim))
    return c.pairs(dedupe)


def paws(root: Path, dedupe: bool = True) -> list[Pair]:
    """PAWS-Wiki dev: sentence 1 -> sentence 2; paraphrase -> 1, adversarial non-paraphrase -> 0 (`cut` ignored)."""
    c = Collector("paws", link_claims=True)
    for r in read_csv(root / "paws_true_dev" / "paws_download.csv"):
        c.add(r.get("grounding"), r.get("generated_text"), map_label(r.get("label"), BINARY),
              digest(as_text(r.get("grounding"))))
    return c.pairs(dedupe)


def mrpc(root: Path, dedupe: bool = True) -> list[Pair]:
    """MRPC train + test, positives only: sentence 1 -> sentence 2 (paraphrase -> 1). The 0s are skipped."""
    c = Collector("mrpc", link_claims=True)
    for split in ("train", "test"):
        for row in read_tsv(root / "mrpc" / f"msr_paraphrase_{split}.txt", header=False):
            if len(row) >= 5:
                quality = row[0].strip()
                if quality == "1":
                    c.add(row[3], row[4], 1, row[1].strip())
                elif quality != "0":
                    c.excluded += 1  # a header line or a malformed quality column
    return c.pairs(dedupe)


def sick(root: Path, dedupe: bool = True) -> list[Pair]:
    """SICK (CC BY-NC-SA 3.0) train/trial/test: sentence A -> B; ENTAILMENT -> 1, NEUTRAL/CONTRADICTION -> 0."""
    c = Collector("sick")
    for name in ("SICK_train", "SICK_trial", "SICK_test_annotated"):
        for row in read_tsv(root / "sick" / f"{name}.txt", header=False):
            if len(row) >= 5:
                c.add(row[1], row[2], map_label(row[4], ENTAILMENT), digest(row[1]))
    return c.pairs(dedupe)
