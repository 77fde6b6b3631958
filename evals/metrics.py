"""Metrics as plain functions over per-item values. No I/O, no models (the judge is passed in).

Retrieval: recall@k, MRR, nDCG@k from the 1-based rank of the first gold passage (None: not found).
Answers: SQuAD exact match and token F1 after SQuAD normalisation. Citations: ALCE citation recall
and precision (Gao et al., 2023) with any `judge(premise, claim) -> bool`, and gold-span overlap.
Refusals: refusal recall, false-refusal rate, and the CRAG score (+1 right, 0 abstain, -1 wrong).
Rates come with their Wilson 95% interval (`wilson`): a few dozen items measure a rate only roughly.
"""

from __future__ import annotations

import bisect
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

Judge = Callable[[str, str], bool]


def cites_gold(cited: Sequence[tuple[str, int, int]], gold_doc: str, spans: Sequence[tuple[int, int]]) -> bool:
    """Does any cited (doc_id, start, end) span overlap a gold evidence span of the gold document?"""
    return any(d == gold_doc and any(a < e and s < b for s, e in spans) for d, a, b in cited)


def normalise(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower().replace("’", "'")
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def exact_match(prediction: str, references: Sequence[str]) -> float:
    return float(any(normalise(prediction) == normalise(r) for r in references))


def token_f1(prediction: str, references: Sequence[str]) -> float:
    best = 0.0
    pred = normalise(prediction).split()
    for ref in references:
        gold = normalise(ref).split()
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


_ALIASES = ({"us", "usa", "united states", "united states of america"},
            {"uk", "united kingdom", "britain", "great britain"})  # after `normalise`: "U.S." is "us"


def contains_answer(prediction: str, references: Sequence[str]) -> float:
    """1 if a normalised reference occurs inside the normalised prediction (for sentence answers). A country's
    short and long names are one answer ("U.S." ~ "the United States"); a reference of three letters or fewer
    must be a whole word ("us" is not found in "business")."""
    pred = normalise(prediction)
    wanted = {normalise(r) for r in references} - {""}
    wanted |= {a for r in wanted for names in _ALIASES if r in names for a in names}
    return float(any(f" {r} " in f" {pred} " if len(r) <= 3 else r in pred for r in wanted))


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL_DATE = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})")  # "November 12, 2020", "Nov 12 2020"
_DATELINE = re.compile(r"\s*[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\b")  # a web snippet's own date: "Dec 14, 2020 ..."


def states_answer(text: str, references: Sequence[str], skip_dateline: bool = True) -> bool:
    """Whether `text` (a snippet or an answer) states a gold answer: `contains_answer`, or, for a full-date
    reference ("November 12, 2020"), its month and day with no year or the same one ("on Thursday, November
    12", "Sunday August 22nd", "September 20th, 2019"; not "November 12, 2010"). With `skip_dateline`, a
    leading date (a web snippet's own: "Dec 14, 2020 ...") is not read; an answer that starts with its
    date ("November 12, 2020 is ...") is read whole (`skip_dateline=False`)."""
    body = _DATELINE.sub("", text, count=1) if skip_dateline and _DATELINE.match(text) else text
    if contains_answer(body, references):
        return True
    for ref in references:
        m = _FULL_DATE.fullmatch(ref.strip())
        if m is None or m.group(1)[:3].lower() not in _MONTHS:
            continue
        said = rf"\b{m.group(1)[:3]}[a-z]*\.?\s+{int(m.group(2))}(?:st|nd|rd|th)?(?!\d)(?:,?\s+(?:of\s+)?(\d{{4}}))?"
        if any(found[1] in (None, m.group(3)) for found in re.finditer(said, body, re.IGNORECASE)):
            return True
    return False


def recall_at_k(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def mrr(ranks: Sequence[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def ndcg_at_k(ranks: Sequence[int | None], k: int) -> float:
    """With one relevant passage per question, nDCG@k = 1/log2(1 + rank) when rank <= k."""
    return sum(1 / math.log2(1 + r) for r in ranks if r and r <= k) / len(ranks) if ranks else 0.0


def citation_recall(statement: str, cited: Sequence[str], judge: Judge) -> float:
    """ALCE: 1 if the statement has citations and their concatenation entails it."""
    return float(bool(cited) and judge(" ".join(cited), statement))


def citation_precision(statement: str, cited: Sequence[str], judge: Judge) -> list[float]:
    """ALCE: per citation, 0 if it is irrelevant (alone it does not entail the statement, and the
    others still entail it without it) or if the statement is not entailed at all; else 1."""
    if not cited or not judge(" ".join(cited), statement):
        return [0.0] * len(cited)
    out = []
    for i, passage in enumerate(cited):
        rest = [c for j, c in enumerate(cited) if j != i]
        irrelevant = not judge(passage, statement) and bool(rest) and judge(" ".join(rest), statement)
        out.append(0.0 if irrelevant else 1.0)
    return out


def crag_score(outcomes: Sequence[str]) -> float:
    """Mean of +1 ("right"), 0 ("abstain"), -1 ("wrong")."""
    values = {"right": 1.0, "abstain": 0.0, "wrong": -1.0}
    return sum(values[o] for o in outcomes) / len(outcomes) if outcomes else 0.0


def refusal_rates(answerable: Sequence[bool], refused: Sequence[bool]) -> tuple[float, float]:
    """(refusal recall on unanswerable items, false-refusal rate on answerable items)."""
    una = [r for a, r in zip(answerable, refused, strict=True) if not a]
    ans = [r for a, r in zip(answerable, refused, strict=True) if a]
    return (sum(una) / len(una) if una else 0.0, sum(ans) / len(ans) if ans else 0.0)


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a rate of `hits` in `n` (95% with the default z): where the true rate
    plausibly lies, given how few items measured it (3 of 22 is 0.136, and anything from 0.05 to 0.33)."""
    if n <= 0:
        return (0.0, 1.0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def balanced_accuracy(labels: Sequence[int], scores: Sequence[float], threshold: float = 0.5) -> float:
    pos = [s for y, s in zip(labels, scores, strict=True) if y]
    neg = [s for y, s in zip(labels, scores, strict=True) if not y]
    tpr = sum(s >= threshold for s in pos) / len(pos) if pos else 0.0
    tnr = sum(s < threshold for s in neg) / len(neg) if neg else 0.0
    return (tpr + tnr) / 2


def auroc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos = [s for y, s in zip(labels, scores, strict=True) if y]
    neg = [s for y, s in zip(labels, scores, strict=True) if not y]
    if not pos or not neg:
        return 0.0
    neg.sort()
    wins = sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p))
               for p in pos)
    return wins / (len(pos) * len(neg))


# ---- the checker's own accuracy on labelled (premise, claim) pairs ------------------------------------
def pair_report(pairs: Sequence[Any], scores: Sequence[float], support_kind: str = "support") -> list[dict[str, Any]]:
    """Rows per `family:kind` (the family's supported pairs against one unsupported kind), per family, overall.

    `pairs` are objects with `label`, `family`, `kind` and `pair_type` (see `pairs.Pair`).
    """
    rows: list[dict[str, Any]] = []

    def row(name: str, idx: list[int]) -> None:
        labels = [pairs[i].label for i in idx]
        s = [scores[i] for i in idx]
        rows.append({"pair_type": name, "n_pos": sum(labels), "n_neg": len(labels) - sum(labels),
                     "balanced_accuracy": round(balanced_accuracy(labels, s), 3), "auroc": round(auroc(labels, s), 3)})

    for fam in sorted({p.family for p in pairs}):
        pos = [i for i, p in enumerate(pairs) if p.family == fam and p.kind == support_kind]
        for kind in sorted({p.kind for p in pairs if p.family == fam} - {support_kind}):
            row(f"{fam}:{kind}", pos + [i for i, p in enumerate(pairs) if p.pair_type == f"{fam}:{kind}"])
        row(f"{fam}:all", [i for i, p in enumerate(pairs) if p.family == fam])
    row("all", list(range(len(pairs))))
    return rows
