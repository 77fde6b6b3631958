"""The citation guide: a llama.cpp logits processor that lets the model cite, after each `[`, only a
passage that supports the sentence it just wrote (as the caller's `guide(sentence)` says, using the
checker). It masks digits; it never writes text and does not judge support itself.
"""

from __future__ import annotations

import re
from typing import Any


class CitationGuide:
    """A llama.cpp logits processor: the passage number after each `[` is one whose passage supports
    the sentence just written, as `guide(sentence)` says (a set of allowed numbers, 1-9).

    The model still picks among the allowed numbers by its own scores; only the digits of passages
    that do not support the sentence are masked. Works with the citation grammar, which makes the
    model open `[` only where a citation belongs.
    """

    def __init__(self, llama: Any, guide: Any) -> None:
        self.llama, self.guide = llama, guide
        self.start: int | None = None
        self.digits: dict[int, list[int]] = {}
        self._cache: dict[str, set[int]] = {}

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:  # the first call sees the prompt only
            self.start = len(input_ids)
            self.digits = {d: self.llama.tokenize(str(d).encode(), add_bos=False, special=False) for d in range(1, 10)}
            return scores
        if len(input_ids) == self.start or not self.llama.detokenize(list(input_ids[-1:])).endswith(b"["):
            return scores
        text = self.llama.detokenize(list(input_ids[self.start:])).decode("utf-8", "ignore")[:-1]
        sentence = re.sub(r"(?:\s*\[\d\])+\s*$", "", text)  # a second marker: the same sentence
        sentence = re.split(r"\]\s+", sentence)[-1].strip()
        if sentence not in self._cache:
            self._cache[sentence] = set(self.guide(sentence))
        allowed = self._cache[sentence]
        if allowed:
            for d, ids in self.digits.items():
                if d not in allowed and len(ids) == 1:
                    scores[ids[0]] = -float("inf")
        return scores
