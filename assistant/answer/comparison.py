"""Comparison questions answered from the compared facts: "Which opened earlier in Newcastle, the Grainger
Market or the Tyne and Wear Metro?" needs a fact from two passages and a conclusion that no passage states.

A small model often states one side only, or concludes without the facts, and the checker rightly drops
a conclusion no single passage supports. `complete` mends the checked answer in code when it can conclude:
- each side's (`question_parts.comparison`) fact is a kept sentence, or else the passage sentence that
  names that side and states a number of the kind compared, quoted and cited exactly;
- the conclusion says the question's own words back about the winner and cites both facts: "The Grainger
  Market opened earlier in Newcastle (1835, against 1980 for the Tyne and Wear Metro)." Years are compared
  for first / earlier / later / older questions (a time counted back, "515 million years ago", "13,000 BP",
  is a year too), amounts of the same unit for more / larger / fewer ones; the
  numbers are the cited sentences' own, so a reader can check every step;
- a kept sentence that gives the win to the other side is left out.
It leaves the answer as it is when it cannot conclude: no number of the compared kind for a side (no
dates for "Which is older?"), amounts of different units (145 ha against 5.3 km), equal numbers, or a
question without lead words to name the winner by ("Did A happen before or after B?").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from assistant.answer import policy
from assistant.answer.citations import answer_text, citation
from assistant.answer.question_parts import Comparison
from assistant.domain import Answer, Citation, Passage, Sentence
from assistant.text import WORD, YEAR, content_words, split_sentences, stem

_EARLIER = re.compile(r"\b(?:first|earlier|earliest|before|older|oldest|sooner)\b", re.I)
_LATER = re.compile(r"\b(?:later|latest|last|after|newer|newest|younger|youngest|more recent)\b", re.I)
_MORE = re.compile(r"\b(?:more|most|larger|largest|bigger|biggest|higher|highest|greater|longer|taller)\b", re.I)
_FEWER = re.compile(r"\b(?:fewer|less|least|smaller|smallest|lower|lowest|shorter)\b", re.I)
_AMOUNT = re.compile(r"(?:(?<![\w.])\d{1,3}(?:,\d{3})+|(?<![\w.,])\d+)(?:\.\d+)?%?")
# a year is a date, not a count: "in 1835", "1038–40", "1980 and 1984", "(1525 forward)", but not "2000 guests"
_NOT_A_YEAR = re.compile(r"\s+(?!(?:and|or|to|as|when|until|in|on|at|by|for|with|the|was|were|is|after|before|but|"
                         r"that|which|while|during|from|forward|onward|onwards|BC|AD|BCE|CE)\b)[a-z]")
# ... unless it names a thing of that year: "the 1954 decision", "the 1967 serial" (not "the 2000 guests")
_OF_THE_YEAR = re.compile(r"(?:\b(?:the|a|an|its|his|her|their)|'s)\s+$", re.I)
_THING = re.compile(r"\s+(?!(?:\w+s|people|men|women|children|square|km|miles?|feet|acres?|hectares?|tons?|tonnes?)\b)"
                    r"[a-z]+\b")
# a time counted back: "515 million years ago", "~11,600 BP", "500 BC" (earlier is smaller, as with years)
_BACK = re.compile(r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<scale>million|billion|thousand)?"
                   r"(?:\s+years?\s+ago\b|\s*(?:years\s+)?(?:BP|BC|BCE)\b)")
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


@dataclass(frozen=True)
class Fact:
    """One side's compared fact: the sentence that states it, its citations, and the number compared."""

    text: str
    citations: tuple[Citation, ...]
    value: float
    shown: str  # the number as the sentence writes it ("16,000", "1835", "42%")
    unit: str  # what an amount counts: "%", or the word after it ("acre" in "358-acre", "objects"); "" for years
    quoted: bool  # True: a passage's own words, added to the answer; False: a kept sentence of the answer


_CUES = ((_EARLIER, "year", -1), (_LATER, "year", 1), (_MORE, "amount", 1), (_FEWER, "amount", -1))


def direction(question: str) -> tuple[str, int] | None:
    """What the question compares: ("year", -1) for first / earlier, ("year", +1) for later,
    ("amount", +1) for more / larger, ("amount", -1) for fewer / smaller; None when it does not say."""
    return next(((kind, sign) for pattern, kind, sign in _CUES if pattern.search(question)), None)


def _named(text: str, side: str, other: str) -> float:
    """How much of `side` `text` names: the share of the words that set it apart from `other`."""
    own = (content_words(side) - content_words(other)) or content_words(side)
    return len(own & content_words(text)) / len(own) if own else 0.0


def contradicts(text: str, loser: str, winner: str, kind: str, sign: int) -> bool:
    """Does `text` give the win to `loser` ("The most efficient is the steam engine", when the numbers
    say the power station): it names the loser (half its words), no word of the winner's, and says the
    compared word?"""
    cue = next(p for p, k, s in _CUES if (k, s) == (kind, sign))
    return _named(text, loser, winner) >= 0.5 and not _named(text, winner, loser) and bool(cue.search(text))


def _numbers(text: str, kind: str, exclude: set[str]) -> list[tuple[int, str, float, str]]:
    """(position, as written, value, unit) of each number of `kind` in `text`, except those in `exclude`. A
    time counted back ("515 million years ago", "500 BC") is a year too, with a negative value."""
    if kind == "year":
        back = [(m.start(), m[0], -float(m["n"].replace(",", "")) * _SCALE.get(m["scale"] or "", 1.0), "")
                for m in _BACK.finditer(text)]
        found = back + [(m.start(), m[0], float(m[0]), "") for m in YEAR.finditer(text) if _a_year(text, m)
                        and not any(at <= m.start() < at + len(shown) for at, shown, _, _ in back)]
    else:
        found = [(m.start(), m[0], float(m[0].replace(",", "").rstrip("%")),
                  "%" if m[0].endswith("%") else _unit(text, m.end())) for m in _AMOUNT.finditer(text)]
    return [n for n in found if n[1] not in exclude]


def _a_year(text: str, m: re.Match[str]) -> bool:
    """Whether the four digits at `m` are a year: not followed by a word that makes them a count ("2000
    guests"), unless they name a thing of that year ("the 1954 decision")."""
    return not _NOT_A_YEAR.match(text, m.end()) or bool(
        _OF_THE_YEAR.search(text[max(0, m.start() - 8):m.start()]) and _THING.match(text, m.end()))


def _unit(text: str, end: int) -> str:
    """The word an amount counts ("acre" in "358-acre", "outfits" in "14,000 outfits"), lower case."""
    m = re.match(r"[-\s]?(?:million|billion|thousand)?\s?([A-Za-z]+)", text[end:])
    return m[1].lower() if m else ""


def _side_positions(text: str, side: set[str]) -> list[int]:
    """Where the words of `side` (content words, as `content_words` writes them) occur in `text`."""
    return [m.start() for m in WORD.finditer(text) if stem(m[0]) in side]


def _quote(number: int, p: Passage, start: int, end: int) -> tuple[str, tuple[Citation, ...], bool]:
    cited = citation(number, p, start, end)
    return cited.quote.strip(), (cited,), True


_SEMICOLON = re.compile(r";\s+")


def _clauses(p: Passage, a: int, b: int) -> list[tuple[int, int]]:
    """The parts of the sentence [a, b) between semicolons ("its 209-acre main campus is in Cambridge; the
    business school ... in Allston" names both sides, each in its own part); none for a sentence without."""
    text = p.span_text(a, b)
    cuts = [(m.start(), m.end()) for m in _SEMICOLON.finditer(text)]
    if not cuts:
        return []
    starts = [0, *(end for _, end in cuts)]
    ends = [*(start for start, _ in cuts), len(text)]
    return [(a + x, a + y) for x, y in zip(starts, ends, strict=True) if text[x:y].strip()]


def _candidates(passages: Sequence[Passage], sentences: Sequence[Sentence]
                ) -> Iterator[tuple[str, tuple[Citation, ...], bool]]:
    """(text, citations, quoted): the answer's kept sentences, then every passage sentence, alone, with
    the sentence before it ("It was opened in 1980" names its subject there), and each of its parts
    between semicolons."""
    for s in sentences:
        if s.label != "unsupported" and s.citations:
            yield s.text, s.citations, False
    for n, p in enumerate(passages, 1):
        spans = p.sentence_spans()
        for i, (a, b) in enumerate(spans):
            yield _quote(n, p, a, b)
            if i:
                yield _quote(n, p, spans[i - 1][0], b)
            for x, y in _clauses(p, a, b):
                yield _quote(n, p, x, y)


def find_fact(side: str, other: str, lead: str, kind: str, passages: Sequence[Passage],
              sentences: Sequence[Sentence] = ()) -> Fact | None:
    """The fact about `side` (not `other`, the other side): the kept answer sentence or passage sentence
    that names at least half of the words that set `side` apart, more of them than of `other`'s, and
    states a number of `kind` (a year, or an amount); the number is the one nearest the side's words,
    among those that count what the question names when some do ("358-acre (145 ha)" for "more acres").
    Kept sentences first, then the best match (ties: more of the question's `lead` words other than the
    compared one, "opened" in "Which opened earlier"; one sentence rather than two). None when none does."""
    mine, theirs = content_words(side), content_words(other)
    own, rival = (mine - theirs) or mine, theirs - mine
    exclude = set(_AMOUNT.findall(side))  # a number in the question's own words is not the fact
    verb = content_words(" ".join(w for w in lead.split() if not any(p.search(w) for p, _, _ in _CUES)))
    asked = content_words(lead)  # "acre" in "Which Harvard campus covers more acres"
    best: tuple[float, Fact] | None = None
    for text, citations, quoted in _candidates(passages, sentences):
        words = content_words(text)
        named, share = own & words, len(own & words) / len(own) if own else 0.0
        numbers = _numbers(text, kind, exclude)
        if share < 0.5 or (rival and len(rival & words) / len(rival) >= share) or not numbers:
            continue
        at = _side_positions(text, named) or [0]  # (never empty: the same words, found as `content_words` finds them)
        numbers = [n for n in numbers if n[3] and stem(n[3]) in asked] or numbers
        _, shown, value, unit = min(numbers, key=lambda n: min(abs(n[0] - x) for x in at))
        score = (share + 0.1 * len(verb & words) + (0.0 if quoted else 1.0)
                 - (0.25 if len(split_sentences(text)) > 1 else 0.0))  # one sentence rather than two
        if best is None or score > best[0]:
            best = (score, Fact(text, citations, value, shown, unit, quoted))
    return best[1] if best else None


def _comparable(c: Comparison, a: Fact, b: Fact, kind: str) -> bool:
    """Years always compare; amounts when they say what they count and count the same thing ("acre" and
    "acre", "%" and "%"), or what each side itself names ("objects from China" against "outfits"): never
    145 ha against 5.3 km, nor two bare numbers."""
    if kind == "year":
        return True
    if not a.unit or not b.unit:
        return False
    return a.unit == b.unit or ({stem(a.unit)} <= content_words(c.a) and {stem(b.unit)} <= content_words(c.b))


def _a_wins(a: Fact, b: Fact, sign: int) -> bool:
    return (a.value - b.value) * sign > 0


_VERB = re.compile(r"\b(?:is|was|are|were|has|have|had|came|comes|happened|opened|began|started|founded)\b", re.I)


def _predicate(lead: str) -> str | None:
    """What the question says of the winner, to say it back: "opened earlier in Newcastle" from "Which
    opened earlier in Newcastle", "was started first" from "Which magazine was started first"; None when
    the lead words have no such verb ("Which Harvard campus covers more acres")."""
    m = re.match(r"(?:which|who|what)\b\s*", lead, re.I)
    verb = _VERB.search(lead, m.end()) if m else None
    return lead[verb.start():].strip() if verb else None


def conclusion(c: Comparison, a: Fact, b: Fact, kind: str, sign: int) -> str | None:
    """The sentence that says which side wins, with both numbers; None when they tie or count different
    things."""
    if a.value == b.value or not _comparable(c, a, b, kind):
        return None
    win, lose, w, l_ = (c.a, c.b, a, b) if _a_wins(a, b, sign) else (c.b, c.a, b, a)
    verb = _predicate(c.stem) or {("year", -1): "came first", ("year", 1): "came later",
                                  ("amount", 1): "has the larger figure", ("amount", -1): "has the smaller figure"}[
        (kind, sign)]
    name = win[0].upper() + win[1:]
    return f"{name} {verb} ({w.shown}, against {l_.shown} for {lose})."


def complete(answer: Answer, c: Comparison, passages: Sequence[Passage]) -> Answer:
    """`answer` with the conclusion, and each side's fact the answer lacks, when both sides' facts are
    found with numbers that differ; otherwise `answer` unchanged (a refusal stays a refusal)."""
    how = direction(c.stem)
    if how is None or not passages:
        return answer
    kind, sign = how
    fa = find_fact(c.a, c.b, c.stem, kind, passages, answer.sentences)
    fb = find_fact(c.b, c.a, c.stem, kind, passages, answer.sentences)
    if fa is None or fb is None:
        return answer
    said = conclusion(c, fa, fb, kind, sign)
    if said is None:
        return answer
    winner, loser = (c.a, c.b) if _a_wins(fa, fb, sign) else (c.b, c.a)
    against = [s for s in answer.sentences if s.label != "unsupported"
               and contradicts(s.text, loser, winner, kind, sign)]  # the numbers say otherwise: left out
    kept = [s for s in answer.sentences if s not in against]
    said_already = " ".join(s.text for s in kept if s.label != "unsupported")
    added = [Sentence(text=f.text, citations=f.citations, label="supported", verified_by="quote")
             for f in dict.fromkeys((fa, fb)) if f.quoted and f.shown not in said_already]  # a fact not yet stated
    cited = tuple(dict.fromkeys((*fa.citations, *fb.citations)))
    added.append(Sentence(text=said, citations=cited, label="supported", verified_by="comparison"))
    decision = policy.compared(answer.decision, answer.refused, len(against))
    sentences = (*kept, *added)
    left_out = answer.text[answer.text.index(" (Left out:"):] if " (Left out:" in answer.text else ""
    return replace(answer, text=answer_text(sentences) + left_out, refused=False, sentences=sentences,
                   decision=decision)
