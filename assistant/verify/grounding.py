"""The grounding checker: `support(premise, claim) -> float`, the probability that premise supports claim.

What it does: scores each claim sentence with a logistic regression over features anyone can inspect;
the weights are fitted on labelled pairs (RGB counterfactuals, XQuAD; `evals/fit_grounding.py`,
results in `docs/grounding.md`) and read once from `grounding_weights.json`:
- coverage: share of the claim's content words in the best premise window (one or two adjacent
  sentences) and in the whole premise;
- carried facts: the share of the claim's numbers and named entities (capitalised words, acronyms)
  that the premise lacks, whether it has them all, and "conflicts": a missing one where the premise
  has another number / name among the same words (37 countries vs 50 countries); "third quarter"
  is read as "Q3";
- word order: `copy_break` (much of the claim is copied but a word sits away from its claim neighbours)
  and `substituted` (the claim is an in-order near-copy of a window with a short run replaced by other
  words, e.g. an answer swapped for another name the premise mentions elsewhere; two forms of one word,
  urge ~ urged, are the same word; an aside in brackets the claim takes no word from may be left out);
- negation: "not/never/no" on one side only (claim vs best window; for a claim without one, the window's
  clause that shares most of its words);
- meaning (only when `similarity` is given): cosine of the claim to the best of the top-2 lexical
  windows. Two weight sets: with and without similarity.
A multi-sentence claim is supported only as much as its weakest sentence; 0.5 is the decision line.
Three rules override the score (0.1): words put in the mouth of a speaker the premise never names, a
numbered name ("Splatoon 2") given a fact the premise binds to the name with another number (`_renumbered`),
and two numbers trading places ("July 50 ... 12 countries" for "50 countries ... July 12", `numbers.py`).
`missing_facts` names the claim's numbers and names a premise lacks (what a second passage must hold to bridge).

What it does not do: no entailment model. It misses facts trading places other than two numbers
bound to the words right beside them, a premise number or name attached to the wrong event in a reworded claim,
synonyms and paraphrase beyond shared words, arithmetic, dates written differently ("July 12" vs
"12/7"), and scope ("not only"). It does not decide what the answer path does with a score
(`answer/compose.py`, `answer/policy.py`).
"""

from __future__ import annotations

import calendar
import json
import logging
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from pathlib import Path

from assistant.answer.attribution import speaker
from assistant.answer.citations import Similarity
from assistant.text import WORD, acronyms, bigrams, content_words, split_sentences, stem
from assistant.verify.numbers import swapped_numbers

THRESHOLD = 0.5
WEIGHTS_FILE = Path(__file__).with_name("grounding_weights.json")
FEATURES = ("coverage", "premise_coverage", "missing_fact_share", "all_facts_found", "number_conflict",
            "entity_conflict", "copy_break", "substituted", "negation_flip", "similarity")
SIM_WINDOWS = 2  # windows embedded per call (top lexical ones): keeps a call to ~3 short texts
_NEAR = 6  # words either side that count as "near" for cohesion
_GAP = 4  # longest run of words that counts as one replacement
_COPY = 0.8  # a claim whose words are this much an in-order copy of a window is checked for replacements
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(not|never|no|none|neither|nor|n't|cannot|denied|denies|deny)\b", re.I)
_ENTITY = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zA-Z]+|[A-Z]{2,})\b")
_NAME_START = re.compile(r"[\"'“‘(]?([A-Z][a-z]+)\s+[A-Z][a-zA-Z]+")
_QUARTER = re.compile(r"\b(first|second|third|fourth)[- ]quarter\b", re.I)
_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4"}
_ELLIPSIS = re.compile(r"\s(?:\.\.\.|…)\s")
_ASIDE = re.compile(r"\([^()]*\)")  # "(NASDAQ:TSLA)": a claim that leaves it out replaced nothing
_WEAK = frozenset({"yes", "no", "i", "we", "you", "according", "also", "however", "reported", "told"})
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
    text = _normal(text)  # once per premise text (cached), not per claim
    sentences = [text[a:b] for a, b in split_sentences(text)] or [text]
    # Pairs of adjacent sentences let a claim draw on two sentences at once; not across an ellipsis.
    pieces = [(f, i > 0) for s in sentences for i, f in enumerate(_ELLIPSIS.split(s)) if f.strip()]
    windows = [f for f, _ in pieces] + [f"{x} {y}" for (x, _), (y, cut) in pairwise(pieces) if not cut]
    tokens = _tokens(text)
    positions: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        positions.setdefault(t, []).append(i)
    raw = WORD.findall(text.replace("’s", "").replace("'s", ""))
    return _Premise(tuple(windows), tuple(frozenset(_words(w)) for w in windows),
                    tuple(_tokens(w, content_only=True) for w in windows),
                    tuple(frozenset(_words(" ".join(_ASIDE.findall(w)))) for w in windows), frozenset(_words(text)),
                    frozenset(bigrams(_tokens(text, True))), tuple(tokens),
                    {t: tuple(js) for t, js in positions.items()},
                    tuple(i for i, w in enumerate(raw) if w[0].isdigit()),
                    tuple(i for i, w in enumerate(raw) if w[0].isupper()), frozenset(_numbers(text)))


def _normal(text: str) -> str:
    """One spelling for what is written two ways: "third quarter" is "Q3" (whose 3 is a number to find)."""
    return _QUARTER.sub(lambda m: f"Q{_ORDINAL[m.group(1).lower()]}", text) if "quarter" in text.lower() else text


def _words(text: str) -> set[str]:
    return {w.replace(",", "") for w in content_words(text)}


def _tokens(text: str, content_only: bool = False) -> list[str]:
    raw = WORD.findall(text.replace("’s", "").replace("'s", ""))
    return [stem(w).replace(",", "") for w in raw if not content_only or content_words(w)]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def _entities(text: str) -> set[str]:
    """Stems of capitalised words and acronyms (not stop words); a sentence's first word only if it opens a name."""
    found = set(_ENTITY.findall(text.strip()))
    first = _NAME_START.match(text.strip())
    if first:
        found.add(first.group(1))
    return {stem(e) for e in found if content_words(e)} - _WEAK


def _same(entity: str, word: str) -> bool:
    """An entity matches a premise word that shares its stem (China ~ Chinese)."""
    if entity == word:
        return True
    common = len(os.path.commonprefix([entity, word]))
    return common >= 4 and common >= 0.6 * min(len(entity), len(word))


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


_ENDINGS = frozenset({"", "e", "d", "ed", "s", "es", "ing"})


def _inflected(a: str, b: str) -> bool:
    """One word in two forms (urge ~ urged, report ~ reporting): a stem of 4+ letters and inflectional
    endings only. Not a replacement: "substituted" is for a swapped name, number or word."""
    if a == b:
        return True
    if a[:4] != b[:4]:  # the usual case, cheaply (this runs for every pair of words the alignment compares)
        return False
    n = len(os.path.commonprefix([a, b]))
    return n >= 4 and a[n:] in _ENDINGS and b[n:] in _ENDINGS


def _substitutions(claim: list[str], window: list[str], aside: frozenset[str] = frozenset()) -> tuple[float, float]:
    """Align the claim's content words to the window's in order (longest common subsequence). Returns the
    aligned share of the claim and the share of claim words that replace something: a short unaligned run
    of the claim facing a short unaligned run of the window that holds a word the claim does not use (and
    that is not one of `aside`, words the claim may leave out)."""
    n, m = len(claim), len(window)
    if not n or not m:
        return 0.0, 0.0
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            same = _inflected(claim[i], window[j])
            table[i][j] = table[i + 1][j + 1] + 1 if same else max(table[i + 1][j], table[i][j + 1])
    anchors, i, j = [(-1, -1)], 0, 0
    while i < n and j < m:
        if _inflected(claim[i], window[j]):
            anchors.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    anchors.append((n, m))
    used, pairs, replaced = set(claim), set(pairwise(window)), 0
    for (a, b), (c, d) in pairwise(anchors):
        # Run words that sit next to their aligned neighbour in the window too were moved, not replaced; a word
        # said twice in a row, aligned the second time, adds nothing ("estimated that an estimated 1 million").
        ours = [k for k in range(a + 1, c) if not (k + 1 == c < n and claim[k] == claim[c])
                and not ((k - 1 == a >= 0 and (claim[a], claim[k]) in pairs)
                         or (k + 1 == c < n and (claim[k], claim[c]) in pairs))]
        theirs = window[b + 1:d]
        if b < 0:
            theirs = theirs[-_GAP:]  # the window may start earlier than the claim
        if d == m:
            theirs = theirs[:_GAP]
        if 0 < len(ours) <= _GAP and c - a - 1 <= _GAP and theirs and len(theirs) <= _GAP \
                and any(t not in used and t not in aside for t in theirs):
            replaced += len(ours)
    return table[0][0] / n, replaced / n


def features(premise: str, claim: str, similarity: Similarity | None = None) -> dict[str, float]:
    """The feature values of one claim sentence against `premise` (see the module docstring)."""
    claim = _normal(claim)  # the premise is normalised in `_premise`
    p = _premise(premise)
    words = _words(claim) - _WEAK
    if not words:
        return {}
    covers = [len(words & w) / len(words) for w in p.window_words]
    best = max(range(len(covers)), key=covers.__getitem__)
    numbers, entities = _numbers(claim), _entities(claim)
    missing_numbers, missing_entities = _missing(p, numbers, entities)
    facts, missing = len(numbers) + len(entities), len(missing_numbers) + len(missing_entities)
    claim_bigrams = bigrams(_tokens(claim, content_only=True))
    copied = sum(b in p.bigrams for b in claim_bigrams) / len(claim_bigrams) if claim_bigrams else covers[best]
    claim_tokens = _tokens(claim)
    known = words & p.words
    agreement = [a for w in sorted(known) if (a := _agreement(w, claim_tokens, words, p)) is not None]
    cohesion = min(agreement, default=covers[best])
    # An aside in brackets the claim takes nothing from may be left out ("Tesla's (NASDAQ:TSLA) revenue").
    aside = frozenset() if words & p.aside_words[best] else p.aside_words[best]
    aligned, replaced = _substitutions([t for t in claim_tokens if t in words], p.window_seqs[best], aside)
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
    return numbers - p.numbers, {e for e in entities if e not in p.words and not any(_same(e, w) for w in p.words)}


def missing_facts(premise: str, claim: str, strict: bool = True) -> set[str] | None:
    """The claim's numbers and names (stems, as `features` reads them) that `premise` lacks; None, when `strict`,
    where the premise holds another number or name in the place of one (a conflict: not a gap to fill elsewhere)."""
    if strict:
        f = features(premise, claim)
        if not f or f["number_conflict"] or f["entity_conflict"]:
            return None
    numbers, entities = _missing(_premise(premise), _numbers(_normal(claim)), _entities(_normal(claim)))
    return numbers | entities


def _negation_flip(claim: str, window: str, words: set[str]) -> bool:
    """Negation on one side only. A claim that negates needs a window that does; a claim that does not is
    compared with the window's clause that shares most of its words, so a negation in another clause
    ("neither won the prize (although Edison did receive one of 38 bids)"; "the districts in Kraków do not have
    entitlements of powiat, so the registration numbers ... are of the same type") does not count against it."""
    if _NEGATION.search(claim):
        return not _NEGATION.search(window)
    clauses = [c for c in _CLAUSE.split(window) if c and c.strip()] or [window]
    best = max(clauses, key=lambda c: len(words & _words(c)))
    return bool(_NEGATION.search(best))


def _score(f: dict[str, float], w: dict[str, float]) -> float:
    z = w.get("bias", 0.0) + sum(w.get(name, 0.0) * value for name, value in f.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _sentence_support(premise: str, claim: str, similarity: Similarity | None) -> float:
    f = features(premise, claim, similarity)
    if not f:  # no content words: nothing to check
        return 1.0
    return _score(f, weights()["semantic" if similarity is not None else "lexical"])


MISATTRIBUTED = 0.1  # the score of a claim that puts words in the mouth of someone the premise never names


def _misattributed(premise: str, claim: str) -> bool:
    """The claim reports speech ("The French ambassador said ...") by a speaker the premise lacks."""
    who = speaker(claim)
    if not who:
        return False
    capitalised = re.findall(r"[A-Z][a-zA-Z]+", who)
    if len(capitalised) > 1:  # a full name: the premise may give only the surname ("Pisarevich said")
        names = {stem(capitalised[-1])}
    else:
        names = _entities(who) or {w for w in _tokens(who, content_only=True)}
    words = _words(premise)
    return bool(names) and not all(any(_same(n, w) for w in words) for n in names)


_NUMBERED = re.compile(r"\b([A-Z][a-z]+)\s+(\d{1,2}|[IV]{1,4})\b(?![.,:]?\d)")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8"}
_NOT_NAMES = frozenset(m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:])) | frozenset(
    "as at by for from in on of to with some over under about around nearly almost only and but or so "
    "the a an this that these those all each every than then when while after before since until".split())
_BINDING_CLAUSE = re.compile(r"(?:(?![;,]\s|\s(?:and|but|so|after|before|while|then|as|is|was)\s).)+")


def _renumbered(premise: str, claim: str) -> bool:
    """A name with a number ("Splatoon 2", "World War II") given a fact that the premise gives only beside
    the name with another number: "Splatoon 1 on the Wii U released in 2015 ... splatoon 2 will ..." does
    not say "Splatoon 2 was released in 2015". A fact (another number of the claim) is bound to the
    mentions of the name in its own clause; it fits when one of them has the claim's number (II = 2).
    Dates ("July 26") and words like "As I" or "Some 37" are not such names."""
    names = [m for m in _NUMBERED.finditer(claim) if m.group(1).lower() not in _NOT_NAMES]
    if not names:
        return False
    rest = claim
    for m in names:  # the facts: the claim's numbers other than those of its numbered names
        rest = rest.replace(m.group(0), " ")
    facts = _numbers(rest) & _numbers(premise)
    spans: list[tuple[int, int]] = []  # the premise's clauses, split only when a name has another number
    for m in names:
        name, n = m.group(1).lower(), _ROMAN.get(m.group(2).lower(), m.group(2))
        mentions = [(k.start(), k.end(), _ROMAN.get(k.group(1).lower(), k.group(1)))
                    for k in re.finditer(rf"\b(?i:{name})\s+(\d{{1,2}}|[IV]{{1,4}})\b", premise)]
        if all(num == n for _, _, num in mentions):
            continue
        spans = spans or [k.span() for a, b in split_sentences(premise) or [(0, len(premise))]
                          for k in _BINDING_CLAUSE.finditer(premise, a, b)]
        fits, clashes = False, False
        for fact in facts:
            for k in re.finditer(rf"(?<![\d.,]){re.escape(fact)}(?!\d|[.,]\d)", premise):
                if any(a <= k.start() < b for a, b, _ in mentions):
                    continue  # the fact is the number of a mention itself
                a, b = next(((a, b) for a, b in spans if a <= k.start() < b), (0, len(premise)))
                near = {num for at, _, num in mentions if a <= at < b}
                fits |= n in near
                clashes |= bool(near) and n not in near
        if clashes and not fits:
            return True
    return False


def support(premise: str, claim: str, similarity: Similarity | None = None) -> float:
    """Probability in [0, 1] that `premise` supports `claim` (every sentence of it).

    A claim attributed to a speaker the premise never mentions scores `MISATTRIBUTED`, whatever else
    it copies: misattribution is the hallucination a reader of news can least detect.
    """
    claims = [claim[a:b] for a, b in split_sentences(claim)] or [claim]
    normal = _normal(premise)
    return min(MISATTRIBUTED if _misattributed(premise, c) or _renumbered(premise, c) or swapped_numbers(normal, c)
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
    claim = _normal(claim)  # the premise is normalised in `_premise`
    p = _premise(premise)
    if (_numbers(claim) - p.numbers or _misattributed(premise, claim) or _renumbered(premise, claim)
            or swapped_numbers(_normal(premise), claim)):
        return True
    if acronyms(claim) - acronyms(premise):
        return True
    entities = _entities(claim)
    missing = {e for e in entities if e not in p.words and not any(_same(e, w) for w in p.words)}
    if entities and len(missing) > len(entities) / 2:
        return True
    f = features(premise, claim)
    return bool(f) and f["negation_flip"] > 0
