"""The rules that override the grounding checker's score: what a bag of words cannot see but a reader must not
be told. `support` scores a claim `MISATTRIBUTED` when one of them holds.

What it does: `misattributed`, words put in the mouth of a speaker the premise never names ("The French
ambassador said ..."); `renumbered`, a numbered name ("Splatoon 2", "World War II") given a fact the premise
binds to the name with another number. (Two numbers trading places is `numbers.swapped_numbers`.)
What it does not do: no scoring of its own, and no other kind of misattribution (a premise number or name
attached to another event in a reworded claim).
"""

from __future__ import annotations

import calendar
import re

from assistant.answer.attribution import speaker
from assistant.text import split_sentences, stem
from assistant.verify.facts import names_in, numbers_in, same_name, stems, word_set

MISATTRIBUTED = 0.1  # the score of a claim that puts words in the mouth of someone the premise never names


def misattributed(premise: str, claim: str) -> bool:
    """The claim reports speech ("The French ambassador said ...") by a speaker the premise lacks."""
    who = speaker(claim)
    if not who:
        return False
    capitalised = re.findall(r"[A-Z][a-zA-Z]+", who)
    if len(capitalised) > 1:  # a full name: the premise may give only the surname ("Pisarevich said")
        names = {stem(capitalised[-1])}
    else:
        names = names_in(who) or {w for w in stems(who, content_only=True)}
    words = word_set(premise)
    return bool(names) and not all(any(same_name(n, w) for w in words) for n in names)


_NUMBERED = re.compile(r"\b([A-Z][a-z]+)\s+(\d{1,2}|[IV]{1,4})\b(?![.,:]?\d)")
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8"}
_NOT_NAMES = frozenset(m.lower() for m in (*calendar.month_name[1:], *calendar.month_abbr[1:])) | frozenset(
    "as at by for from in on of to with some over under about around nearly almost only and but or so "
    "the a an this that these those all each every than then when while after before since until".split())
_BINDING_CLAUSE = re.compile(r"(?:(?![;,]\s|\s(?:and|but|so|after|before|while|then|as|is|was)\s).)+")


def renumbered(premise: str, claim: str) -> bool:
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
    facts = numbers_in(rest) & numbers_in(premise)
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
