"""Near-duplicate articles (syndicated wire stories): 64-bit SimHash over word 3-gram shingles.

Two documents whose fingerprints differ in at most `MAX_DISTANCE` bits are the same story; the one
ingested first is the representative, later ones point to it (`dup_of`) and are shown as "also
published by" instead of crowding retrieval. This module fingerprints and compares; the index stores.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np

MAX_DISTANCE = 3
_WORD = re.compile(r"\w+")


def simhash(text: str) -> int:
    words = [w.lower() for w in _WORD.findall(text)]
    shingles = [" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))]
    hashes = np.array([int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big")
                       for s in shingles], dtype=np.uint64)
    bits = (hashes[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)  # one row per shingle
    votes = 2 * bits.astype(np.int64).sum(axis=0) - len(shingles)  # (+1 per set bit, -1 per clear bit)
    return sum(1 << bit for bit in range(64) if votes[bit] > 0)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def find_duplicate(fingerprint: int, known: Iterable[tuple[str, int]], min_words: int = 0) -> str | None:
    """The id of the first known document within MAX_DISTANCE bits, or None."""
    for doc_id, other in known:
        if distance(fingerprint, other) <= MAX_DISTANCE:
            return doc_id
    return None
