"""Split a `Document` into sentence-aligned, token-bounded `Chunk`s with exact character offsets.

Sentences come from `text.split_sentences`. `chunk_document` packs whole sentences into chunks of at
most `max_tokens` tokens, preferring to break at paragraph ends; a single sentence longer than the limit
is cut at word boundaries. A short last paragraph (a byline, at most `max_tokens // TAIL` tokens) joins the
chunk before it where the two fit, rather than being a passage of its own.
Invariant: `document.text[chunk.char_start:chunk.char_end] == chunk.text` for every chunk.
This module does not count tokens itself: it takes a `count` function (see `tokens.py`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from itertools import pairwise

from assistant.domain import Chunk, Document
from assistant.text import Span, split_sentences, trim

TAIL = 8  # a last chunk of at most max_tokens // TAIL tokens joins the chunk before it, where the two fit


def chunk_document(doc: Document, max_tokens: int, count: Callable[[str], int]) -> list[Chunk]:
    """Pack `doc`'s sentences into chunks of at most `max_tokens` tokens (as `count` measures).

    Each sentence is counted once; a run of sentences is estimated as the sum of its sentences plus what
    each gap between them may add (`_gap_cost`: an upper bound for cl100k on the runs we sampled), and
    only counted whole when the estimate is not decisive. Every chunk is then checked
    exactly; should one exceed the limit, the document is packed again counting every run whole.
    """
    text = doc.text
    pieces: list[tuple[Span, int]] = []
    for a, b in split_sentences(text):
        pieces.extend(_cut_long(text, a, b, max_tokens, count))
    groups = _pack(text, pieces, max_tokens, count, estimate=True)
    if any(len(g) > 1 and count(text[g[0][0]:g[-1][1]]) > max_tokens for g in groups):
        groups = _pack(text, pieces, max_tokens, count, estimate=False)
    return [_make(doc, g) for g in groups]


def _pack(text: str, pieces: list[tuple[Span, int]], max_tokens: int, count: Callable[[str], int],
          estimate: bool) -> list[list[Span]]:
    gaps = [_gap_cost(text[a[1]:b[0]], count) for (a, _), (b, _) in pairwise(pieces)] if estimate else []

    def at_most(first: int, last: int, limit: int) -> bool:  # pieces[first..last] within `limit` tokens?
        if estimate and sum(n for _, n in pieces[first:last + 1]) + sum(gaps[first:last]) <= limit:
            return True
        return count(text[pieces[first][0][0]:pieces[last][0][1]]) <= limit

    groups: list[list[Span]] = []
    first = 0
    for i, (span, _) in enumerate(pieces):
        if i > first:
            gap = text[pieces[i - 1][0][1]:span[0]]
            # Break at a paragraph end once the chunk is half full: chunks then follow the article.
            if not at_most(first, i, max_tokens) or ("\n" in gap and not at_most(first, i - 1, max_tokens // 2 - 1)):
                groups.append([s for s, _ in pieces[first:i]])
                first = i
    if pieces:
        groups.append([s for s, _ in pieces[first:]])
    if len(groups) > 1:  # a short last paragraph (a byline: "Times of Central Asia") is no passage of its own
        last = len(pieces) - len(groups[-1])
        if at_most(last, len(pieces) - 1, max_tokens // TAIL) and at_most(last - len(groups[-2]), len(pieces) - 1,
                                                                          max_tokens):
            groups[-2:] = [groups[-2] + groups[-1]]
    return groups


def _gap_cost(gap: str, count: Callable[[str], int]) -> int:
    """What the whitespace between two sentences may add to their counts: one token for a space or line
    breaks (a space joins the next word), else the gap's own count plus one."""
    return 1 if gap in (" ", "\n", "\n\n") else count(gap) + 1


def _make(doc: Document, group: list[Span]) -> Chunk:
    a, b = group[0][0], group[-1][1]
    return Chunk(doc_id=doc.doc_id, char_start=a, char_end=b, text=doc.text[a:b], sentences=tuple(group))


def _cut_long(text: str, a: int, b: int, max_tokens: int, count: Callable[[str], int]) -> list[tuple[Span, int]]:
    """The sentence with its token count, or, when over-long, its word-aligned pieces that fit (counted)."""
    n = count(text[a:b])
    if n <= max_tokens:
        return [((a, b), n)]
    ends = [a + m.end() for m in re.finditer(r"\S+", text[a:b])]
    pieces: list[Span] = []
    start = a
    while start < b:
        # Only word ends inside a window that already holds more than the limit can end this piece (the
        # window doubles until it does), so a huge line costs work in proportion to its length.
        window = max(64, 8 * max_tokens)
        while start + window < b and count(text[start:start + window]) <= max_tokens:
            window *= 2
        lo, hi, best = bisect.bisect_right(ends, start), bisect.bisect_right(ends, start + window) - 1, -1
        while lo <= hi:  # the last word end that keeps the piece within the limit
            mid = (lo + hi) // 2
            if count(text[start:ends[mid]]) <= max_tokens:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        end = ends[best] if best >= 0 else _hard_cut(text, start, b, max_tokens, count)
        pieces.append(trim(text, start, end))
        start = end
        while start < b and text[start].isspace():
            start += 1
    return [(p, count(text[p[0]:p[1]])) for p in pieces if p[1] > p[0]]


def _hard_cut(text: str, start: int, b: int, max_tokens: int, count: Callable[[str], int]) -> int:
    """A single 'word' longer than the limit (a URL, a hash): cut it by characters."""
    end = start + 1
    while end < b and count(text[start:end + 1]) <= max_tokens:
        end += 1
    return end
