"""How the grounding checker reads a text: its content words, stems, numbers and names.

What it does: `normalised` gives one spelling to what is written two ways ("third quarter" is "Q3");
`word_set` and `stems` are the content words and the in-order stems; `numbers_in` and `names_in` are the
facts a claim carries (numbers; capitalised words and acronyms, stemmed); `same_name` matches a name to a
premise word that shares its stem (China ~ Chinese).

What it does not do: no scoring and no decisions (`grounding.py`), no named-entity model: a name is a
capitalised word that is not a stop word, and a sentence's first word only when it opens a name.
"""

from __future__ import annotations

import os
import re

from assistant.text import WORD, content_words, stem

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_ENTITY = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zA-Z]+|[A-Z]{2,})\b")
_NAME_START = re.compile(r"[\"'“‘(]?([A-Z][a-z]+)\s+[A-Z][a-zA-Z]+")
_QUARTER = re.compile(r"\b(first|second|third|fourth)[- ]quarter\b", re.I)
_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4"}
WEAK = frozenset({"yes", "no", "i", "we", "you", "according", "also", "however", "reported", "told"})


def normalised(text: str) -> str:
    """One spelling for what is written two ways: "third quarter" is "Q3" (whose 3 is a number to find)."""
    return _QUARTER.sub(lambda m: f"Q{_ORDINAL[m.group(1).lower()]}", text) if "quarter" in text.lower() else text


def word_set(text: str) -> set[str]:
    """The content words of `text`, without thousands separators."""
    return {w.replace(",", "") for w in content_words(text)}


def raw_words(text: str) -> list[str]:
    """The words of `text` in order, possessive "'s" dropped (the positions `stems` and a premise's facts share)."""
    return WORD.findall(text.replace("’s", "").replace("'s", ""))


def stems(text: str, content_only: bool = False) -> list[str]:
    """The stems of `text`'s words in order (only content words with `content_only`)."""
    return [stem(w).replace(",", "") for w in raw_words(text) if not content_only or content_words(w)]


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def names_in(text: str) -> set[str]:
    """Stems of capitalised words and acronyms (not stop words); a sentence's first word only if it opens a name."""
    found = set(_ENTITY.findall(text.strip()))
    first = _NAME_START.match(text.strip())
    if first:
        found.add(first.group(1))
    return {stem(e) for e in found if content_words(e)} - WEAK


def same_name(entity: str, word: str) -> bool:
    """An entity matches a premise word that shares its stem (China ~ Chinese)."""
    if entity == word:
        return True
    common = len(os.path.commonprefix([entity, word]))
    return common >= 4 and common >= 0.6 * min(len(entity), len(word))
