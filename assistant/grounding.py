"""The grounding checker: `support(premise, claim) -> float`, the probability that premise supports claim.

Version 1, offline and fast, from features anyone can inspect:
- coverage: the share of the claim's content words found in the premise;
- carried facts: every number and every named entity (capitalised word, acronym) of the claim must
  appear in the premise; a missing one is strong evidence against;
- negation: a "not/never/no" on one side only;
- meaning: cosine similarity of the claim to the best-matching premise sentence (when an embedding
  similarity is given).
Long premises are read sentence window by sentence window (best window wins); a multi-sentence claim
is supported only as much as its weakest sentence. 0.5 is the decision line. The weights are a first,
hand-set combination; calibrating them on labelled pairs (RGB, XQuAD) is the next step.
This module does not decide what the answer path does with a score (see `answering.py`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from itertools import pairwise

from .chunking import split_sentences
from .citations import Similarity, content_words, stem

THRESHOLD = 0.5
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(not|never|no|none|neither|nor|n't|cannot|denied|denies|deny)\b", re.I)
_ENTITY = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zA-Z]+|[A-Z]{2,})\b")
_WEAK = frozenset({"yes", "no", "i", "we", "you", "according", "also", "however", "reported", "told"})


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _entities(text: str) -> set[str]:
    return {e.lower() for e in _ENTITY.findall(text.strip())} - _WEAK


def _mentioned(entity: str, words: set[str]) -> bool:
    """An entity counts as mentioned if a premise word shares its stem (China ~ Chinese)."""
    e = stem(entity)
    if e in words:
        return True
    for w in words:
        common = len(os.path.commonprefix([e, w]))
        if common >= 4 and common >= 0.6 * min(len(e), len(w)):
            return True
    return False


def _sentence_support(premise: str, claim: str, similarity: Similarity | None) -> float:
    words = content_words(claim) - _WEAK
    if not words:
        return 1.0
    windows = [premise[a:b] for a, b in split_sentences(premise)] or [premise]
    # Pairs of adjacent sentences let a claim draw on two sentences at once.
    windows += [f"{x} {y}" for x, y in pairwise(windows)]
    whole_words = content_words(premise)
    missing_numbers = len(_numbers(claim) - _numbers(premise))
    missing_entities = sum(1 for e in _entities(claim) if not _mentioned(e, whole_words))
    negation_flip = bool(_NEGATION.search(claim)) != bool(_NEGATION.search(premise))
    coverage = max(len(words & content_words(w)) / len(words) for w in windows)
    meaning = max(similarity(claim, windows)) if similarity else coverage
    z = -4.0 + 5.0 * coverage + 3.0 * meaning - 3.0 * missing_numbers - 3.0 * missing_entities - 2.5 * negation_flip
    return 1.0 / (1.0 + math.exp(-z))


def support(premise: str, claim: str, similarity: Similarity | None = None) -> float:
    """Probability in [0, 1] that `premise` supports `claim` (every sentence of it)."""
    claims = [claim[a:b] for a, b in split_sentences(claim)] or [claim]
    return min(_sentence_support(premise, c, similarity) for c in claims)


def best_support(claim: str, premises: Sequence[str], similarity: Similarity | None = None) -> tuple[int, float]:
    """Index and score of the premise that best supports `claim` (-1, 0.0 when there is none)."""
    best, score = -1, 0.0
    for i, p in enumerate(premises):
        s = support(p, claim, similarity)
        if s > score:
            best, score = i, s
    return best, score
