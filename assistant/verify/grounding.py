"""The grounding checker: `support(premise, claim) -> float`, the probability that premise supports claim.

What it does: scores each claim sentence with a logistic regression over features anyone can inspect;
the weights are fitted on labelled pairs (RGB counterfactuals, XQuAD; `evals/fit_grounding.py`,
results in `docs/grounding.md`) and read once from `grounding_weights.json`:
- coverage: share of the claim's content words in the best premise window (one or two adjacent
  sentences) and in the whole premise;
- carried facts: the share of the claim's numbers and named entities (capitalised words, acronyms)
  that the premise lacks, whether it has them all, and "conflicts": a missing one where the premise
  has another number / name among the same words (37 countries vs 50 countries); "third quarter"
  is read as "Q3" (how a text's words, numbers and names are read: `facts.py`);
- word order: `copy_break` (much of the claim is copied but a word sits away from its claim neighbours)
  and `substituted` (the claim is an in-order near-copy of a window with a short run replaced by other
  words, e.g. an answer swapped for another name the premise mentions elsewhere; two forms of one word,
  urge ~ urged, are the same word; an aside in brackets the claim takes no word from may be left out;
  the alignment is `alignment.py`'s);
- negation: "not/never/no" on one side only (claim vs best window; for a claim without one, the window's
  clause that shares most of its words);
- meaning (only when `similarity` is given): cosine of the claim to the best of the top-2 lexical
  windows. Two weight sets: with and without similarity.
A multi-sentence claim is supported only as much as its weakest sentence; 0.5 is the decision line.
Three rules override the score (0.1): words put in the mouth of a speaker the premise never names, a
numbered name ("Splatoon 2") given a fact the premise binds to the name with another number (both
`overrides.py`), and two numbers trading places ("July 50 ... 12 countries" for "50 countries ... July 12",
`numbers.py`).
`missing_facts` names the claim's numbers and names a premise lacks (what a second passage must hold to bridge).

What it does not do: no entailment model. It misses facts trading places other than two numbers
bound to the words right beside them, a premise number or name attached to the wrong event in a reworded claim,
synonyms and paraphrase beyond shared words, arithmetic, dates written differently ("July 12" vs
"12/7"), and scope ("not only"). It does not decide what the answer path does with a score
(`answer/compose.py`, `answer/policy.py`).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

from assistant.answer.citations import Similarity
from assistant.text import acronyms, bigrams, split_sentences
from assistant.verify.alignment import substitutions
from assistant.verify.facts import WEAK, names_in, normalised, numbers_in, raw_words, same_name, stems, word_set
from assistant.verify.numbers import swapped_numbers
from assistant.verify.overrides import MISATTRIBUTED, misattributed, renumbered

THRESHOLD = 0.5
WEIGHTS_FILE = Path(__file__).with_name("grounding_weights.json")
FEATURES = ("coverage", "premise_coverage", "missing_fact_share", "all_facts_found", "number_conflict",
            "entity_conflict", "copy_break", "substituted", "negation_flip", "similarity")
SIM_WINDOWS = 2  # windows embedded per call (top lexical ones): keeps a call to ~3 short texts
_NEAR = 6  # words either side that count as "near" for cohesion
_COPY = 0.8  # a claim whose words are this much an in-order copy of a window is checked for replacements
_NEGATION = re.compile(r"\b(not|never|no|none|neither|nor|n't|cannot|denied|denies|deny)\b", re.I)
_ELLIPSIS = re.compile(r"\s(?:\.\.\.|…)\s")
_ASIDE = re.compile(r"\([^()]*\)")  # "(NASDAQ:TSLA)": a claim that leaves it out replaced nothing
# Used only when grounding_weights.json is missing: hand-set, in the spirit of version 1.
_FALLBACK = {"bias": -4.0, "coverage": 5.0, "similarity": 3.0, "missing_fact_share": -6.0, "number_conflict": -3.0,
             "entity_conflict": -2.0, "substituted": -3.0, "negation_flip": -5.0}
log = logging.getLogger(__name__)


@cache
def weights() -> dict[str, dict[str, float]]:
    """The fitted weight sets {"lexical": {...}, "semantic": {...}}, each feature -> weight plus "bias"."""
    try:
        data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
        return {k: {f: float(w) for f, w in data[k].items()} for k in ("lexical", "semantic")}
    except (OSError, ValueError, KeyError) as exc:
        log.warning("grounding: cannot read %s (%s); using the uncalibrated hand-set fallback weights. "
                    "Run `python -m evals.fit_grounding` to fit them.", WEIGHTS_FILE, exc)
        lexical = {**_FALLBACK, "coverage": 8.0}
        lexical.pop("similarity")
        return {"lexical": lexical, "semantic": dict(_FALLBACK)}


@dataclass(frozen=True)
class _Premise:
    windows: tuple[str, ...]
    window_words: tuple[frozenset[str], ...]
    window_seqs: tuple[list[str], ...]  # content words of each window, in order
    aside_words: tuple[frozenset[str], ...]  # the words of each window's asides in brackets
    words: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    tokens: tuple[str, ...]  # stems of every word, stop words included, in order (for nearness)
    positions: dict[str, tuple[int, ...]]  # token -> where it occurs
    number_at: tuple[int, ...]  # where numbers occur
    name_at: tuple[int, ...]  # where capitalised words occur
    numbers: frozenset[str]


@lru_cache(maxsize=256)
def _premise(text: str) -> _Premise:
    text = normalised(text)  # once per premise text (cached), not per claim
    sentences = [text[a:b] for a, b in split_sentences(text)] or [text]
    # Pairs of adjacent sentences let a claim draw on two sentences at once; not across an ellipsis.
    pieces = [(f, i > 0) for s in sentences for i, f in enumerate(_ELLIPSIS.split(s)) if f.strip()]
    windows = [f for f, _ in pieces] + [f"{x} {y}" for (x, _), (y, cut) in pairwise(pieces) if not cut]
    tokens = stems(text)
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        positions.setdefault(t, []).append(i)
    raw = raw_words(text)
    return _Premise(tuple(windows), tuple(frozenset(word_set(w)) for w in windows),
                    tuple(stems(w, content_only=True) for w in windows),
                    tuple(frozenset(word_set(" ".join(_ASIDE.findall(w)))) for w in windows), frozenset(word_set(text)),
                    frozenset(bigrams(stems(text, True))), tuple(tokens),
                    {t: tuple(js) for t, js in positions.items()},
                    tuple(i for i, w in enumerate(raw) if w[0].isdigit()),
                    tuple(i for i, w in enumerate(raw) if w[0].isupper()), frozenset(numbers_in(text)))


def _agreement(target: str, claim_tokens: list[str], words: set[str], p: _Premise) -> float | None:
    """Of the claim's content words within _NEAR words of `target` in the claim, the best share also within
    _NEAR words of one mention of `target` in the premise; None when `target` has no such neighbours."""
    if target not in claim_tokens:
        return None
    i = claim_tokens.index(target)
    context = set(claim_tokens[max(0, i - _NEAR): i + _NEAR + 1]) & words - {target}
    if not context:
        return None
    return max((len(context & set(p.tokens[max(0, j - _NEAR): j + _NEAR + 1])) / len(context)
                for j in p.positions.get(target, ())), default=0.0)


def _conflicts(missing: set[str], claim_tokens: list[str], words: set[str], p: _Premise, at: Sequence[int]) -> int:
    """Missing claim facts for which the premise has another fact of the kind (`at`: where those occur) in
    the same context: at least half of the claim words within _NEAR words of the fact are near it too."""
    count = 0
    for t in missing:
        if t not in claim_tokens:
            continue
        i = claim_tokens.index(t)
        context = set(claim_tokens[max(0, i - _NEAR): i + _NEAR + 1]) & words - {t}
        if context and any(2 * len(context & set(p.tokens[max(0, j - _NEAR): j + _NEAR + 1])) >= len(context)
                           for j in at):
            count += 1
    return count


def features(premise: str, claim: str, similarity: Similarity | None = None) -> dict[str, float]:
    """The feature values of one claim sentence against `premise` (see the module docstring)."""
    claim = normalised(claim)  # the premise is normalised in `_premise`
    p = _premise(premise)
    words = word_set(claim) - WEAK
    if not words:
        return {}
    covers = [len(words & w) / len(words) for w in p.window_words]
    best = max(range(len(covers)), key=covers.__getitem__)
    numbers, entities = numbers_in(claim), names_in(claim)
    missing_numbers, missing_entities = _missing(p, numbers, entities)
    facts, missing = len(numbers) + len(entities), len(missing_numbers) + len(missing_entities)
    claim_bigrams = bigrams(stems(claim, content_only=True))
    copied = sum(b in p.bigrams for b in claim_bigrams) / len(claim_bigrams) if claim_bigrams else covers[best]
    claim_tokens = stems(claim)
    known = words & p.words
    agreement = [a for w in sorted(known) if (a := _agreement(w, claim_tokens, words, p)) is not None]
    cohesion = min(agreement, default=covers[best])
    # An aside in brackets the claim takes nothing from may be left out ("Tesla's (NASDAQ:TSLA) revenue").
    aside = frozenset() if words & p.aside_words[best] else p.aside_words[best]
    aligned, replaced = substitutions([t for t in claim_tokens if t in words], p.window_seqs[best], aside)
    f = {
        "coverage": covers[best],
        "premise_coverage": len(known) / len(words),
        "missing_fact_share": missing / facts if facts else 0.0,
        "all_facts_found": float(missing == 0),
        "number_conflict": min(_conflicts(missing_numbers, claim_tokens, words, p, p.number_at), 2),
        "entity_conflict": min(_conflicts(missing_entities, claim_tokens, words, p, p.name_at), 2),
        "copy_break": copied * (1.0 - cohesion),  # much of the claim copied, but a word out of its context
        "substituted": float(aligned >= _COPY and replaced > 0),  # a near-copy with a few words replaced
        "negation_flip": float(_negation_flip(claim, p.windows[best], words)),
    }
    if similarity is not None:
        top = sorted(range(len(covers)), key=lambda i: -covers[i])[:SIM_WINDOWS]
        f["similarity"] = max(similarity(claim, [p.windows[i] for i in top]))
    return f


_CLAUSE = re.compile(r"[;()·]|\s[–—-]\s|\s(?:\.\.\.|…)\s|,?\s+\b(?:although|though|but|while|whereas)\b"
                     r"|,\s+(?:and\s+)?so\b",  # ", so": "... do not have entitlements of powiat, so the numbers ..."
                     re.I)  # "·" and " ... " part a web snippet's fragments: "· None of ..." negates nothing else


def _missing(p: _Premise, numbers: set[str], entities: set[str]) -> tuple[set[str], set[str]]:
    """The numbers and names (stems) the premise lacks."""
    return numbers - p.numbers, {e for e in entities if e not in p.words and not any(same_name(e, w) for w in p.words)}


def missing_facts(premise: str, claim: str, strict: bool = True) -> set[str] | None:
    """The claim's numbers and names (stems, as `features` reads them) that `premise` lacks; None, when `strict`,
    where the premise holds another number or name in the place of one (a conflict: not a gap to fill elsewhere)."""
    if strict:
        f = features(premise, claim)
        if not f or f["number_conflict"] or f["entity_conflict"]:
            return None
    numbers, entities = _missing(_premise(premise), numbers_in(normalised(claim)), names_in(normalised(claim)))
    return numbers | entities


def _negation_flip(claim: str, window: str, words: set[str]) -> bool:
    """Negation on one side only. A claim that negates needs a window that does; a claim that does not is
    compared with the window's clause that shares most of its words, so a negation in another clause
    ("neither won the prize (although Edison did receive one of 38 bids)"; "the districts in Kraków do not have
    entitlements of powiat, so the registration numbers ... are of the same type") does not count against it."""
    if _NEGATION.search(claim):
        return not _NEGATION.search(window)
    clauses = [c for c in _CLAUSE.split(window) if c and c.strip()] or [window]
    best = max(clauses, key=lambda c: len(words & word_set(c)))
    return bool(_NEGATION.search(best))


def _score(f: dict[str, float], w: dict[str, float]) -> float:
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in f.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _sentence_support(premise: str, claim: str, similarity: Similarity | None) -> float:
    f = features(premise, claim, similarity)
    if not f:  # no content words: nothing to check
        return 1.0
    return _score(f, weights()["semantic" if similarity is not None else "lexical"])


def support(premise: str, claim: str, similarity: Similarity | None = None) -> float:
    """Probability in [0, 1] that `premise` supports `claim` (every sentence of it).

    A claim attributed to a speaker the premise never mentions scores `MISATTRIBUTED`, whatever else
    it copies: misattribution is the hallucination a reader of news can least detect.
    """
    claims = [claim[a:b] for a, b in split_sentences(claim)] or [claim]
    normal = normalised(premise)
    return min(MISATTRIBUTED if misattributed(premise, c) or renumbered(premise, c) or swapped_numbers(normal, c)
               else _sentence_support(premise, c, similarity) for c in claims)


def best_support(claim: str, premises: Sequence[str], similarity: Similarity | None = None) -> tuple[int, float]:
    """Index and score of the premise that best supports `claim` (-1, 0.0 when there is none)."""
    best, score = -1, 0.0
    for i, p in enumerate(premises):
        s = support(p, claim, similarity)
        if s > score:
            best, score = i, s
    return best, score


def hard_conflict(premise: str, claim: str) -> bool:
    """What the lexical checker is sure of, whatever a second opinion says: a number or an acronym of the
    claim the premise lacks, most of its names missing, negation on one side only, words put in the
    mouth of someone the premise never names, a numbered name given another number's fact, or two numbers
    trading places (`numbers.swapped_numbers`)."""
    claim = normalised(claim)  # the premise is normalised in `_premise`
    p = _premise(premise)
    if (numbers_in(claim) - p.numbers or misattributed(premise, claim) or renumbered(premise, claim)
            or swapped_numbers(normalised(premise), claim)):
        return True
    if acronyms(claim) - acronyms(premise):
        return True
    entities = names_in(claim)
    missing = {e for e in entities if e not in p.words and not any(same_name(e, w) for w in p.words)}
    if entities and len(missing) > len(entities) / 2:
        return True
    f = features(premise, claim)
    return bool(f) and f["negation_flip"] > 0
