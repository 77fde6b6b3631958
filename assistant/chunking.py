"""Split a `Document` into sentence-aligned, token-bounded `Chunk`s with exact character offsets.

`split_sentences` finds sentence spans (rule-based: punctuation, quotes, abbreviations, line breaks).
`chunk_document` packs whole sentences into chunks of at most `max_tokens` tokens, preferring to
break at paragraph ends; a single sentence longer than the limit is cut at word boundaries.
Invariant: `document.text[chunk.char_start:chunk.char_end] == chunk.text` for every chunk.
This module does not count tokens itself: it takes a `count` function (see `tokens.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .types import Chunk, Document

Span = tuple[int, int]

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
    return [s for s in (_trim(text, a, b) for a, b in spans) if s[1] > s[0]]


def chunk_document(doc: Document, max_tokens: int, count: Callable[[str], int]) -> list[Chunk]:
    """Pack `doc`'s sentences into chunks of at most `max_tokens` tokens (as `count` measures)."""
    text = doc.text
    sentences: list[Span] = []
    for a, b in split_sentences(text):
        sentences.extend(_cut_long(text, a, b, max_tokens, count))
    chunks: list[Chunk] = []
    group: list[Span] = []
    for span in sentences:
        if group:
            fits = count(text[group[0][0]:span[1]]) <= max_tokens
            # Break at a paragraph end once the chunk is half full: chunks then follow the article.
            para_break = "\n\n" in text[group[-1][1]:span[0]] or "\n" in text[group[-1][1]:span[0]]
            half_full = count(text[group[0][0]:group[-1][1]]) >= max_tokens // 2
            if not fits or (para_break and half_full):
                chunks.append(_make(doc, group))
                group = []
        group.append(span)
    if group:
        chunks.append(_make(doc, group))
    return chunks


def _make(doc: Document, group: list[Span]) -> Chunk:
    a, b = group[0][0], group[-1][1]
    return Chunk(doc_id=doc.doc_id, char_start=a, char_end=b, text=doc.text[a:b], sentences=tuple(group))


def _cut_long(text: str, a: int, b: int, max_tokens: int, count: Callable[[str], int]) -> list[Span]:
    """Cut one over-long sentence into word-aligned pieces that fit."""
    if count(text[a:b]) <= max_tokens:
        return [(a, b)]
    words = [m.end() for m in re.finditer(r"\S+", text[a:b])]
    pieces: list[Span] = []
    start = a
    while start < b:
        lo, hi, best = 0, len(words) - 1, -1
        while lo <= hi:  # the last word end that keeps the piece within the limit
            mid = (lo + hi) // 2
            end = a + words[mid]
            if end > start and count(text[start:end]) <= max_tokens:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        end = a + words[best] if best >= 0 and a + words[best] > start else _hard_cut(text, start, b, max_tokens, count)
        pieces.append(_trim(text, start, end))
        start = end
        while start < b and text[start].isspace():
            start += 1
    return [p for p in pieces if p[1] > p[0]]


def _hard_cut(text: str, start: int, b: int, max_tokens: int, count: Callable[[str], int]) -> int:
    """A single 'word' longer than the limit (a URL, a hash): cut it by characters."""
    end = start + 1
    while end < b and count(text[start:end + 1]) <= max_tokens:
        end += 1
    return end


def _lines(text: str, start: int, end: int) -> list[Span]:
    spans, pos = [], start
    for m in re.finditer(r"\n", text[start:end]):
        spans.append((pos, start + m.start()))
        pos = start + m.end()
    spans.append((pos, end))
    return spans


def _trim(text: str, a: int, b: int) -> Span:
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
