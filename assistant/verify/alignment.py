"""Word-order evidence for the grounding checker: is a claim an in-order near-copy of a premise window with a
short run of words replaced (an answer swapped for another name the premise mentions elsewhere)?

What it does: `substitutions` aligns the claim's content words to a window's in order (longest common
subsequence; two forms of one word, urge ~ urged, are the same word) and returns the aligned share of the
claim and the share of its words that replace something. What it does not do: no synonyms, no scoring
(`grounding.features` turns the two shares into its `substituted` feature).
"""

from __future__ import annotations

import os
from itertools import pairwise

_GAP = 4  # longest run of words that counts as one replacement


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


def substitutions(claim: list[str], window: list[str], aside: frozenset[str] = frozenset()) -> tuple[float, float]:
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
