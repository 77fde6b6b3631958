"""Text helpers shared by ingest, retrieval, answering and verification: one place for each.

- `split_sentences`: rule-based sentence spans (punctuation, closing quotes, abbreviations, initials,
  line breaks) as exact character offsets; chunking and answer parsing both use it.
- `split_clauses`: the clauses of a compound answer sentence ("A, and B"), checked one by one;
  `leading_clauses`, `leading_phrases`: a sentence cut before a trailing clause or prepositional phrase.
- `words`, `stem`, `content_words`, `lexical_overlap`, `bigrams`: the word tokenizer (letters, or
  numbers with their separators), a light stemmer, the stop-word list, and overlap measures.
- `keyword_tokens`: BM25's tokens (lower-cased, alphanumeric runs, its own stop words).
- `YEAR`: a year in running text (1000-2099); `MARKER`: a citation marker (`[1]`, `[1, 2]`, `[Passage 3]`).
Two word lists are kept on purpose, each with what it was tuned for: `STOP_WORDS` for the checker and
citation matching (the checker's weights were fitted with it), `KEYWORD_STOP_WORDS` for BM25; merging
them changes retrieval and the checker's features, so it waits for a refit. No models, no I/O here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from itertools import pairwise

Span = tuple[int, int]

WORD = re.compile(r"[A-Za-z]+|\d+(?:[.,]\d+)*")
YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")
STOP_WORDS = frozenset("a an the of to in on at for and or but is are was were be been by with from as that this "
                       "these those it its their they he she his her said says say who what when where which how "
                       "did do does has have had not no than into about over also".split())
KEYWORD_STOP_WORDS = frozenset(
    "a an and are as at be been but by for from had has have he her his i in is it its of on or our she that the "
    "their them they this to was we were what when where which who whom why will with you how did do does "
    "said says about into than then there these those also not no".split()
)
# A citation marker as models write them: [1], [1][2], [1, 2], [1-3], [Passage 2].
MARKER = re.compile(r"\[\s*(?:(?:passages?|sources?|doc(?:ument)?s?)\s*)?(\d+(?:\s*(?:[,;\-–]|and)\s*\d+)*)\s*\]",
                     re.IGNORECASE)
_KEYWORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr gen gov sen rep col lt sgt capt cmdr adm hon rev fr inc ltd co corp "
    "vs etc al jan feb mar apr jun jul aug sep sept oct nov dec no nos vol fig approx est dept univ "
    "mt ft ave blvd e.g i.e u.s u.k u.n a.m p.m".split()
)
# A sentence ends at . ! ? or … (possibly repeated), then optional closing quotes/brackets, then space.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9À-Ý]")

def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of `text[start:end]`, as absolute offsets, trimmed of whitespace."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    for line_start, line_end in _lines(text, start, end):
        cut = line_start
        for m in _END.finditer(text, line_start, line_end):
            if not _STARTS_SENTENCE.match(text, m.end(), line_end) or _is_abbreviation(text, cut, m):
                continue
            spans.append((cut, m.end()))
            cut = m.end()
        spans.append((cut, line_end))
    return [s for s in (trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def _lines(text: str, start: int, end: int) -> list[Span]:
    spans, pos = [], start
    for m in re.finditer(r"\n", text[start:end]):
        spans.append((pos, start + m.start()))
        pos = start + m.end()
    spans.append((pos, end))
    return spans


def trim(text: str, a: int, b: int) -> Span:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _is_abbreviation(text: str, sentence_start: int, m: re.Match[str]) -> bool:
    if text[m.start()] != ".":
        return False
    word = re.search(r"([\w.]+)$", text[sentence_start:m.start()])
    if not word:
        return False
    w = word.group(1).lower().rstrip(".")
    return w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha())


_CLAUSE_JOIN = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+", re.I)


def split_clauses(sentence: str, min_words: int = 3) -> list[str]:
    """The clauses a sentence joins with ", and" / ", but" / ", while" / ";" when each side says something
    of its own (`min_words` content words); otherwise the sentence alone. Lists ("Asia, Africa, and
    Europe") stay whole."""
    pieces = [p.strip() for p in _CLAUSE_JOIN.split(sentence) if p.strip()]
    if len(pieces) < 2 or any(len(content_words(p)) < min_words for p in pieces):
        return [sentence]
    return pieces


_HEAD_END = re.compile(r"\s*[,;]\s+(?!\d)")  # ", " or "; ", not the comma of a date ("May 1, 2002")


def leading_clauses(sentence: str, min_words: int = 3) -> list[str]:
    """The sentence cut before each later clause (", who won ...", "; ..."), longest first, each
    ending with a period: the heads that say something of their own (`min_words` content words) with their
    quotes and brackets closed. A comma before a number ("May 1, 2002") is no clause boundary."""
    return _heads(sentence, _HEAD_END, min_words)


_PHRASE_START = re.compile(r"\s+(?=(?:near|in|at|on|from|during|after|before|since|for|with|by|outside|inside)\s)")


def leading_phrases(sentence: str, min_words: int = 3) -> list[str]:
    """The sentence cut before each trailing prepositional phrase ("... in Ogród Saski (the Saxon Garden)
    *near the city of Warsaw*."), longest first, as `leading_clauses` cuts at commas. What is cut may be
    what made the sentence wrong; whether the head still answers is the caller's to check."""
    return _heads(sentence, _PHRASE_START, min_words)


def _heads(sentence: str, boundary: re.Pattern[str], min_words: int) -> list[str]:
    """The sentence cut before each match of `boundary`, longest first, each ending with a period: the heads
    with `min_words` content words whose brackets and quotes are closed."""
    body = sentence.rstrip().rstrip(".!?")
    heads = []
    for m in reversed(list(boundary.finditer(body))):
        head = body[: m.start()].rstrip().rstrip(",;")
        if (len(content_words(head)) >= min_words and head.count("(") == head.count(")")
                and head.count('"') % 2 == 0 and head.count("\u201c") == head.count("\u201d")):
            heads.append(head + ".")
    return heads


def one_word(a: str, b: str) -> bool:
    """Two stems of one word (criticise ~ criticising ~ criticized): equal, or a shared prefix of 6+ letters."""
    return a == b or len(os.path.commonprefix([a, b])) >= 6


def stem(word: str) -> str:
    """A light stemmer, enough to match plurals and possessives."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_words(text: str) -> set[str]:
    """Lower-cased, lightly stemmed words and numbers of `text`, without stop words."""
    return {stem(w) for w in WORD.findall(text.replace("’s", "").replace("'s", "")) if w.lower() not in STOP_WORDS}


def acronyms(text: str) -> set[str]:
    """The acronyms of `text` (two or more capitals; a plural "s" dropped: "CEOs" is "CEO")."""
    return {a.rstrip("s") for a in _ACRONYM.findall(text)}


def lexical_overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words (numbers included) found in the evidence."""
    c = content_words(claim)
    return len(c & content_words(evidence)) / len(c) if c else 0.0


def bigrams(tokens: Sequence[str]) -> list[tuple[str, str]]:
    """Adjacent pairs of `tokens`, in order."""
    return list(pairwise(tokens))


def keyword_tokens(text: str) -> list[str]:
    """BM25's tokens: lower-cased alphanumeric runs (numbers keep their separators), stemmed, no stop words."""
    return [stem(t) for t in _KEYWORD.findall(text.lower().replace("’", "'")) if t not in KEYWORD_STOP_WORDS]
