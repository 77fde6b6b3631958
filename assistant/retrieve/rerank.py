"""Rerankers: reorder the fused candidate pool before the final pick.

`FeatureReranker` (default): a small logistic model over cheap, inspectable features of each
(query, passage) pair — dense cosine, BM25 relative to the pool's best, fused rank, the share of query
words the passage contains (and of rare ones), and whether the passage holds the kind of thing the
question asks for (a number for "how many", a year or date for "when", a name for "who").
Its weights are fitted on labelled questions by `evals/fit_reranker.py` and stored in
`rerank_weights.json`. `CrossEncoderReranker`: a sentence-transformers cross-encoder loaded from a
local directory, for users who have one (none ships its weights on PyPI). This module only scores.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from assistant.domain import Passage
from assistant.retrieve.bm25 import KeywordIndex
from assistant.text import YEAR, bigrams, keyword_tokens

WEIGHTS_FILE = Path(__file__).with_name("rerank_weights.json")
FEATURES = ("cosine", "bm25_rel", "fused_rel", "coverage", "rare_coverage", "answer_type", "bigram")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|"
                     r"million|billion)\b", re.I)
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NAME = re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+(?: [A-Z][a-z]+)*")


def _answer_type(query: str, text: str) -> float:
    q = query.lower()
    if re.search(r"\bhow (many|much|long|far|old|tall|large|big)\b|\bwhat (percentage|number|proportion)\b", q):
        return 1.0 if _NUMBER.search(text) else 0.0
    if re.search(r"\bwhen\b|\bwhat year\b|\bwhich year\b|\bwhat date\b", q):
        return 1.0 if (YEAR.search(text) or _MONTH.search(text)) else 0.0
    if re.search(r"\bwho\b|\bwhose\b|\bwhom\b", q):
        return 1.0 if _NAME.search(text) else 0.0
    return 0.5


def features(query: str, pool: Sequence[Passage], bm25: Sequence[float], fused: Sequence[float],
             df: dict[str, int] | None = None) -> np.ndarray:
    """One row of FEATURES per passage of the pool."""
    q = keyword_tokens(query)
    qset, qbi = set(q), set(bigrams(q))
    max_bm25 = max(bm25) if bm25 and max(bm25) > 0 else 1.0
    max_fused = max(fused) if fused else 1.0
    rows = []
    for p, b, f in zip(pool, bm25, fused, strict=True):
        t = keyword_tokens(p.text)
        tset = set(t)
        coverage = len(qset & tset) / len(qset) if qset else 0.0
        if df:
            weights = {w: 1.0 / math.log(2 + df.get(w, 0)) for w in qset}
            total = sum(weights.values()) or 1.0
            rare = sum(v for w, v in weights.items() if w in tset) / total
        else:
            rare = coverage
        rows.append([p.score, b / max_bm25, f / max_fused, coverage, rare, _answer_type(query, p.text),
                     len(qbi & set(bigrams(t))) / len(qbi) if qbi else 0.0])
    return np.asarray(rows, dtype=np.float64)


@cache
def _weights(path: Path = WEIGHTS_FILE) -> tuple[np.ndarray, float]:
    data = json.loads(path.read_text())
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted for features {data['features']}, not {FEATURES}; re-run the fit")
    return np.asarray(data["coef"], dtype=np.float64), float(data["intercept"])


class FeatureReranker:
    """Logistic reranker over `features`; scores are probabilities that a passage answers the query."""

    def __init__(self, keyword: KeywordIndex | None = None, coef: Sequence[float] | None = None,
                 intercept: float = 0.0) -> None:
        if coef is None:
            self.coef, self.intercept = _weights()
        else:
            self.coef, self.intercept = np.asarray(coef, dtype=np.float64), float(intercept)
        self.keyword = keyword

    def scores(self, query: str, pool: Sequence[Passage], bm25: Sequence[float], fused: Sequence[float]) -> list[float]:
        df = self.keyword.document_frequencies() if self.keyword is not None else None
        x = features(query, pool, bm25, fused, df)
        z = x @ self.coef + self.intercept
        return [float(v) for v in 1.0 / (1.0 + np.exp(-z))]


class CrossEncoderReranker:
    """A local cross-encoder directory (e.g. an ms-marco MiniLM the user has on disk)."""

    def __init__(self, path: str) -> None:
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(path, device="cpu", local_files_only=True)

    def scores(self, query: str, pool: Sequence[Passage], bm25: Sequence[float], fused: Sequence[float]) -> list[float]:
        return [float(s) for s in self.model.predict([(query, p.text) for p in pool], show_progress_bar=False)]
