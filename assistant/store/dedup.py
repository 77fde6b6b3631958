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
_BITS = np.uint64(1) << np.arange(64, dtype=np.uint64)


def simhash(text: str) -> int:
    words = [w.lower() for w in _WORD.findall(text)]
    shingles = [" ".join(t) for t in zip(words, words[1:], words[2:], strict=False)] or [" ".join(words)]
    blake = hashlib.blake2b
    digests = b"".join([blake(s.encode(), digest_size=8).digest() for s in shingles])
    hashes = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    votes = 2 * ((hashes[:, None] & _BITS) != 0).sum(axis=0) - len(shingles)  # +1 per set bit, -1 per clear
    return int(_BITS[votes > 0].sum())


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def find_duplicate(fingerprint: int, known: Iterable[tuple[str, int]]) -> str | None:
    """The id of the first known document within MAX_DISTANCE bits, or None."""
    for doc_id, other in known:
        if distance(fingerprint, other) <= MAX_DISTANCE:
            return doc_id
    return None
