"""Dates in questions and documents: parse publication dates, infer the range a question asks about.

`normalise(text)` reads a document's date with dateutil and writes it as ISO ("2019-07-27", "2019-07",
"2019"); `to_day(text)` turns it into an ordinal day.
`question_range(question, newest)` finds "in 2019", "in July 2019", "last July", "last year",
"this year", "since 2018", "before 2020" and returns an inclusive (first, last) day range, relative to
the newest article in the corpus for relative phrases. `date_weight` turns a passage's date into a
multiplier for ranking (in range: boost; dated but out of range: damp; undated: neutral), plus an
optional recency decay. This module does not retrieve.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
# A year an article is dated or a question asks about (1800-2099); `text.YEAR` is any year in running text.
_DATED_YEAR = r"(1[89]\d\d|20\d\d)"


def normalise(text: str) -> str:
    """A document's date as ISO: "2019-07-27"; "2019-07" for a month; "2019" for a bare year. Read by
    dateutil ("2019/07/27", "27.07.2019", "July 27th, 2019", "Sat, 27 Jul 2019 10:00:00 GMT"; day first
    only in the dotted European form); the text unchanged when it holds no date with a year (1800-2099)."""
    t = (text or "").strip()
    if not t or re.fullmatch(_DATED_YEAR, t):
        return t
    from dateutil import parser

    dayfirst = bool(re.match(r"\d{1,2}\.\d{1,2}\.\d{4}", t))
    fuzzy = False
    while True:
        try:  # parsed with two different defaults: what changes was not in the text
            a = parser.parse(t, default=datetime(2000, 1, 1), dayfirst=dayfirst, fuzzy=fuzzy)
            b = parser.parse(t, default=datetime(2001, 2, 2), dayfirst=dayfirst, fuzzy=fuzzy)
            break
        except (ValueError, OverflowError, TypeError):
            if fuzzy or not re.search(_DATED_YEAR, t):  # words around a date ("Published 27 July 2019")
                return t
            fuzzy = True
    if a.year != b.year or not 1800 <= a.year <= 2099:
        return t
    if a.month != b.month:
        return f"{a.year:04d}"
    return f"{a.year:04d}-{a.month:02d}" if a.day != b.day else f"{a.year:04d}-{a.month:02d}-{a.day:02d}"


def to_day(text: str) -> int | None:
    """The ordinal day of a date string (see `normalise`; a month or a year counts from its first day),
    or None when it has no recognisable date."""
    iso = normalise(text)
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", iso)
    if not m:
        return None
    return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)).toordinal()


def _month_range(year: int, month: int) -> tuple[int, int]:
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1).toordinal(), date(year, month, last).toordinal()


def _year_range(year: int) -> tuple[int, int]:
    return date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()


def question_range(question: str, newest: int | None) -> tuple[int, int] | None:
    """The inclusive day range a question is about, or None."""
    q = question.lower()
    ref = date.fromordinal(newest) if newest else None
    m = re.search(rf"\b(?:in|during|of)\s+({_MONTH_RE})\w*\s+{_DATED_YEAR}\b", q)
    if m:
        return _month_range(int(m.group(2)), _MONTHS[m.group(1)[:3]])
    m = re.search(rf"\blast\s+({_MONTH_RE})\w*\b", q)
    if m and ref:
        month = _MONTHS[m.group(1)[:3]]
        year = ref.year if month < ref.month else ref.year - 1
        return _month_range(year, month)
    m = re.search(rf"\b(?:since|after)\s+{_DATED_YEAR}\b", q)
    if m:
        return date(int(m.group(1)), 1, 1).toordinal(), (newest or date.max.toordinal())
    m = re.search(rf"\bbefore\s+{_DATED_YEAR}\b", q)
    if m:
        return date.min.toordinal(), date(int(m.group(1)), 1, 1).toordinal() - 1
    m = re.search(rf"\b(?:in|during)\s+{_DATED_YEAR}\b", q)
    if m:
        return _year_range(int(m.group(1)))
    if ref and re.search(r"\blast year\b", q):
        return _year_range(ref.year - 1)
    if ref and re.search(r"\bthis year\b", q):
        return _year_range(ref.year)
    return None


def date_weight(day: int | None, wanted: tuple[int, int] | None, newest: int | None = None,
                half_life_days: float = 0.0) -> float:
    """Ranking multiplier for a passage dated `day`."""
    w = 1.0
    if wanted and day is not None:
        w *= 1.5 if wanted[0] <= day <= wanted[1] else 0.5
    if half_life_days > 0 and day is not None and newest is not None:
        w *= 0.5 ** (max(0, newest - day) / half_life_days)
    return w
