"""A question's parts: "Which news agency reported the letter, and what did China's ambassador say?" asks
two things. `split_parts` cuts a question into the questions it joins (several question marks, or "and"
before a new question word), so retrieval can look for each part and the policy can tell which part the
answer left out. It only splits; it does not rewrite a part that leans on another ("... and when?" stays
one question: a part needs two content words of its own).

`search_queries` adds the two sides of a comparison ("Which opened earlier, the Grainger Market or the
Tyne and Wear Metro?"): the answer needs a fact about each side, and a search for the whole question
tends to find only one of them. The sides are searched, not answered as parts: the comparison is one
question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import content_words

_ASKS = r"(?:what|who|whom|whose|when|where|which|why|how|did|does|do|is|are|was|were|can|could|has|have)"
_JOIN = re.compile(rf",?\s+and\s+(?={_ASKS}\b)|(?<=\?)\s+(?=\S)|;\s+(?={_ASKS}\b)", re.I)


_COMPARATIVE = re.compile(r"\b(?:more|most|less|fewer|first|last|earlier|later|before|after|larger|bigger|smaller|"
                          r"older|newer|younger|higher|lower|longer|shorter|greater|better|worse|\w{3,}er than)\b",
                          re.I)
_NO_CHOICE = re.compile(r"(?:\d|\b(?:one|two|three|four|five|ten|more|less|fewer))\s+or (?:more|less|fewer)\b"
                        r"|\bor (?:so|not)\b", re.I)  # "3 or more", "more or fewer than 50", "or so": no choice
_SIDES = (
    # "Which ...: A, in C, or B?": after a colon a side may hold commas
    re.compile(r"^(?P<stem>[^:]+?):\s+(?P<a>.+?),?\s+or\s+(?P<b>[^:?]+)\??$"),
    re.compile(r"^(?P<stem>.+?)[,:]\s+(?P<a>[^,:]+?),?\s+or\s+(?P<b>[^,:?]+)\??$"),  # "Which ..., A or B?"
    re.compile(r"^(?P<a>.+?)\s+before or after\s+(?P<b>[^?]+)\??$", re.I),  # "Did A happen before or after B?"
)
_BARE = re.compile(r"^(?P<a>.+?)\s+or\s+(?P<b>[^,?]+)\??$")  # "Does it hold more A or more B?": no stem


@dataclass(frozen=True)
class Comparison:
    """A question that weighs two things: "Which opened earlier in Newcastle, A or B?" (stem, a, b)."""

    stem: str
    a: str
    b: str

    def queries(self) -> tuple[str, str]:
        """Each side as a search query, with the question's lead words ("Which opened earlier in Newcastle")."""
        return f"{self.stem} {self.a}".strip(), f"{self.stem} {self.b}".strip()


def comparison(question: str) -> Comparison | None:
    """The two things a comparison question weighs; None when it is not a choice between two things."""
    q = question.strip()
    if (" or " not in q or q.count(" or ") > 1 or not _COMPARATIVE.search(q)
            or _NO_CHOICE.search(q)):
        return None
    for pattern in _SIDES:
        m = pattern.match(q)
        if m and all(len(content_words(m[g])) >= 1 for g in ("a", "b")):
            return Comparison((m.groupdict().get("stem") or "").strip(), m["a"].strip(), m["b"].strip())
    m = _BARE.match(q)
    if m and all(len(content_words(m[g])) >= 1 for g in ("a", "b")):
        return _lead_split(m["a"].strip(), m["b"].strip())
    return None


def _lead_split(a: str, b: str) -> Comparison:
    """"Does the V&A hold more objects from China or more outfits ...?": the lead words up to the first
    side's comparative word are the stem ("Does the V&A hold more"), and the second side drops the same
    word ("outfits ..."), as in "Which ..., A or B?"; no stem when the first side has no such word."""
    m = next((m for m in _COMPARATIVE.finditer(a) if len(content_words(a[m.end():])) >= 1), None)
    if m is None:
        return Comparison("", a, b)
    again = re.compile(rf"^{re.escape(m[0])}\s+", re.I)
    return Comparison(a[:m.end()].strip(), a[m.end():].strip(), again.sub("", b))


def search_queries(question: str) -> tuple[str, ...]:
    """What to search for: each part of a several-part question; the question and each side of a
    comparison; otherwise the question itself."""
    parts = split_parts(question)
    if len(parts) > 1:
        return parts
    sides = comparison(question)
    return (question.strip(), *sides.queries()) if sides else parts


def split_parts(question: str) -> tuple[str, ...]:
    """The questions `question` joins, each ending with "?" (one part when it asks one thing)."""
    pieces = [p.strip(" ,;") for p in _JOIN.split(question.strip()) if p.strip(" ,;")]
    parts: list[str] = []
    for piece in pieces:
        if parts and len(content_words(piece)) < 2:  # "... and when?": not a question of its own
            parts[-1] = f"{parts[-1].rstrip('?')} and {piece}"
            continue
        parts.append(piece)
    if len(parts) < 2:
        return (question.strip(),)
    return tuple(p[0].upper() + p[1:].rstrip("?. ") + "?" for p in parts)
