"""Shared reading and cleaning for the nli loaders: file readers, label mapping, the pair collector.

`read_jsonl`, `read_json`, `read_tsv` and `read_csv` read one file in place (utf-8, a BOM dropped);
`map_label` maps a raw label to 1/0/None; `Collector` turns one dataset's raw records into `pairs.Pair`s
(light cleaning, empty records and unmapped labels skipped, `dedupe`, groups merged on a shared premise).
`Loader` is the type every dataset loader has.

Not done here: nothing dataset-specific (which file, which column, which label means what: see
`validation` and `training`), no download, no tokenisation or truncation, no split.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from evals.pairs import Pair

log = logging.getLogger("evals.nli")  # the package's logger, as when this was one module


class Loader(Protocol):
    """A dataset loader: `loader(root)` -> pairs. `dedupe=False` keeps every record (as `counts.json` counts)."""

    def __call__(self, root: Path, dedupe: bool = True) -> list[Pair]: ...


ENTAILMENT = {"entailment": 1, "not_entailment": 0, "neutral": 0, "contradiction": 0}
BINARY = {"1": 1, "0": 0, "1.0": 1, "0.0": 0}


# ---------------------------------------------------------------- text, ids and the pair collector


def as_text(value: object) -> str:
    """`value` if it is a string, else ""."""
    return value if isinstance(value, str) else ""


def _clean_premise(value: object) -> str:
    text = as_text(value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def _clean_claim(value: object) -> str:
    return " ".join(as_text(value).split())


def _key(text: str) -> str:
    return " ".join(text.split())


def digest(text: str) -> str:
    """A short stable id of `text` (whitespace collapsed), for group ids."""
    return hashlib.sha1(_key(text).encode("utf-8")).hexdigest()[:12]


def dedupe(pairs: Iterable[Pair]) -> list[Pair]:
    """Each (premise, claim) once, compared with whitespace collapsed; the first copy is kept. A pair whose
    copies disagree on the label is dropped altogether."""
    pairs = list(pairs)
    labels: dict[tuple[str, str], set[int]] = {}
    for p in pairs:
        labels.setdefault((_key(p.premise), _key(p.claim)), set()).add(p.label)
    seen: set[tuple[str, str]] = set()
    out = []
    for p in pairs:
        k = (_key(p.premise), _key(p.claim))
        if k not in seen and len(labels[k]) == 1:
            seen.add(k)
            out.append(p)
    return out


def _merge_groups(pairs: list[Pair], link_claims: bool) -> list[Pair]:
    """Groups that share a premise (and, with `link_claims`, a claim) merged under their smallest id."""
    parent: dict[str, str] = {}

    def find(g: str) -> str:
        root = g
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[g] != root:
            parent[g], g = root, parent[g]
        return root

    first: dict[str, str] = {}
    for p in pairs:
        find(p.group)
        for text in [f"p\0{_key(p.premise)}"] + ([f"c\0{_key(p.claim)}"] if link_claims else []):
            a, b = find(first.setdefault(text, p.group)), find(p.group)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [p if find(p.group) == p.group else replace(p, group=find(p.group)) for p in pairs]


class Collector:
    """One dataset's pairs: skips empty records and unmapped labels, de-duplicates, merges groups."""

    def __init__(self, dataset: str, link_claims: bool = False) -> None:
        self.dataset = dataset
        self.link_claims = link_claims  # also merge groups that share a claim (symmetric sentence pairs)
        self._pairs: list[Pair] = []
        self.excluded = 0  # records whose label the README maps to nothing
        self.empty = 0

    def add(self, premise: object, claim: object, label: int | None, group: object) -> None:
        if label is None:
            self.excluded += 1
            return
        p, c = _clean_premise(premise), _clean_claim(claim)
        if not p or not c:
            self.empty += 1
            return
        kind = "supported" if label else "unsupported"
        self._pairs.append(Pair(p, c, int(label), f"{self.dataset}:{kind}", f"{self.dataset}:{group}"))

    def pairs(self, dedupe_pairs: bool = True) -> list[Pair]:
        pairs = dedupe(self._pairs) if dedupe_pairs else self._pairs
        out = _merge_groups(pairs, self.link_claims)
        log.info("%s: %d pairs (%d supported); skipped %d empty, %d excluded by label, %d duplicate or conflicting",
                 self.dataset, len(out), sum(p.label for p in out), self.empty, self.excluded,
                 len(self._pairs) - len(out))
        return out


# ---------------------------------------------------------------- file readers


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSON-lines file, blank lines skipped."""
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def read_json(path: Path) -> Any:
    """A whole JSON file."""
    with path.open(encoding="utf-8-sig") as f:
        return json.load(f)


def read_tsv(path: Path, header: bool) -> Iterator[list[str]]:
    """Rows of a tab-separated file without quoting (quotes are text in all of these files); utf-8-sig drops a BOM."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if header:
            next(rows, None)
        for row in rows:
            if any(cell.strip() for cell in row):
                yield row


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a CSV file with a header, as dicts; long fields allowed."""
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # transcripts exceed the 128 KiB default
    with path.open(encoding="utf-8-sig", newline="") as f:
        yield from csv.DictReader(f)


def map_label(value: object, mapping: dict[str, int]) -> int | None:
    """The binary label of a raw label (case and whitespace ignored); None when the mapping excludes it."""
    return mapping.get(str(value).strip().lower())
