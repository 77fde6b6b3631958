"""Numbers bound to their words, and two of them trading places: a rule of the grounding checker.

`bound_numbers(text)` reads each number (not a year) with the word right after it, what it counts ("50
countries", "2.8 %" as "percent"), and a month beside it ("July 12", "Aug. 17", "12 July", "1st of May").
`swapped_numbers(premise, claim)` is true when the claim binds a to w1 and b to w2 while the premise binds
b to w1 and a to w2 ("sent on July 50 by ambassadors of 12 countries" against "50 countries ... July 12"):
every word and number is in the premise, so the checker's features cannot see it. Only a true swap counts.
What it does not do: numbers written as words, ranges and scores ("2-0", "27-30%"), identifiers ("No. 1"),
or a number attached to the wrong event in a reworded claim.
"""

from __future__ import annotations

import calendar
import re

from assistant.text import STOP_WORDS, YEAR, stem

__all__ = ["bound_numbers", "swapped_numbers"]

_MONTH = {m.lower(): i for names in (calendar.month_name, calendar.month_abbr) for i, m in enumerate(names) if m}
_MONTH["sept"] = 9
# a number (not one side of a score or range, "2-0", "27-30") and the word right after it; "1st of May"
_AFTER = re.compile(r"(?<![\d.,\-–])(\d+(?:[.,]\d+)*)(?![\-–]\d)(?:st|nd|rd|th)?"
                    r"(?:(\s*%)|\s+(?:of\s+)?([A-Za-z][\w'’-]*))?")
_BEFORE = re.compile(r"\b([A-Za-z]+)\.?\s+(\d+(?:[.,]\d+)*)(?![\-–]\d)")


def bound_numbers(text: str) -> set[tuple[str, str]]:
    """(number, word) pairs: each number other than a year with the content word right after it (what it
    counts: "50 countries", "2.8 %" as "percent") and the month right before it ("July 12", "Aug. 17");
    only a space between them, never a stop, colon or comma."""
    pairs = set()
    for m in _AFTER.finditer(text):
        n, percent, word = m.group(1).replace(",", ""), m.group(2), (m.group(3) or "").lower()
        if YEAR.fullmatch(n):
            continue
        if percent:
            pairs.add((n, "percent"))
        elif word in _MONTH:
            pairs.add((n, str(_MONTH[word])))
        elif word and word not in STOP_WORDS and "of" not in m.group(0).split():  # "5 of them" counts nothing
            pairs.add((n, stem(word)))
    for m in _BEFORE.finditer(text):
        n = m.group(2).replace(",", "")
        if m.group(1).lower() in _MONTH and not YEAR.fullmatch(n):
            pairs.add((n, str(_MONTH[m.group(1).lower()])))
    return pairs


def swapped_numbers(premise: str, claim: str) -> bool:
    """Two facts of the premise trading places: the claim binds a number to a word and another number to
    another word ("on July 50 ... 12 countries") where the premise binds each word to the other number
    ("50 countries ... 12 July"). Only a true swap counts: a number the premise binds to nothing, or a
    word it binds to a number the claim lacks, is left to the other features (too often a number
    written another way, or an identifier, "No. 1 car"). Years never count (`bound_numbers`)."""
    said, have = bound_numbers(claim), bound_numbers(premise)
    for a, w1 in said:
        if (a, w1) in have:
            continue
        for b, w2 in said:
            if b != a and w2 != w1 and (b, w2) not in have and (b, w1) in have and (a, w2) in have:
                return True
    return False
