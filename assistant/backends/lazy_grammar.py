"""The citation grammar, checked only where it changes the answer: a llama.cpp logits processor.

llama.cpp's grammar sampler checks every one of the vocabulary's 151k tokens against the grammar at every
step, which doubled the cost of a generated token (docs/benchmarks.md). Under greedy decoding only one
token is ever chosen, so `LazyGrammar` asks the grammar about that token alone: the one greedy decoding
would pick, the highest score (llama-cpp-python's chat completion applies no repetition penalty unless
asked, and this module assumes none). When the grammar allows it, nothing is masked. When it does not
(the model wants to stop or start a new sentence before citing, or write a stray `[`), the 32 best tokens
are checked, and only when none is allowed the whole vocabulary; every token but the best allowed one
is then masked. The chosen tokens are therefore exactly those of the full grammar sampler at temperature 0
(`tests/test_local_model.py` compares them). It does not sample: with a temperature above 0 use the
full grammar (`llama.py` does).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np


class LazyGrammar:
    """A logits processor holding a llama.cpp grammar sampler for one generation; `close()` frees it."""

    def __init__(self, llama: Any, grammar: str, shortlist: int = 32) -> None:
        import llama_cpp

        self._c: Any = llama_cpp
        vocab = llama_cpp.llama_model_get_vocab(llama.model)
        self._sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
        if not self._sampler:
            raise ValueError("llama.cpp could not parse the grammar")
        self.shortlist = shortlist
        self.start: int | None = None
        self.accepted = 0
        self.steps = 0
        self.refused = 0  # steps where the greedy token broke the grammar
        self.full_checks = 0  # ... and none of the shortlist was allowed: the whole vocabulary was checked

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:  # the first call sees the prompt only
            self.start = len(input_ids)
        generated = input_ids[self.start:]
        for token in generated[self.accepted:]:  # what was chosen since the last call
            self._c.llama_sampler_accept(self._sampler, int(token))
        self.accepted = len(generated)
        self.steps += 1
        best = np.argmax(scores)
        if np.isfinite(self._check(best.reshape(1), scores)[0]):
            return scores
        self.refused += 1
        # the best allowed token is usually among the next few: check those before the whole vocabulary
        top = np.argpartition(scores, -self.shortlist)[-self.shortlist:]
        allowed = self._check(top, scores)
        if not np.isfinite(allowed).any():
            self.full_checks += 1
            top = np.arange(len(scores))
            allowed = self._check(top, scores)
        keep = int(top[int(np.argmax(allowed))])  # greedy decoding's pick under the grammar
        kept = scores[keep]
        scores[:] = -np.inf
        scores[keep] = kept
        return scores

    def _check(self, ids: Any, scores: Any) -> Any:
        """The scores of tokens `ids` after the grammar: -inf where it does not allow them."""
        n = len(ids)
        data = (self._c.llama_token_data * n)()
        view = np.ctypeslib.as_array(data)  # a structured array over the same memory: id, logit, p
        view["id"] = ids
        view["logit"] = scores[ids]
        array: Any = self._c.llama_token_data_array(data, n, -1, False)
        self._c.llama_sampler_apply(self._sampler, ctypes.byref(array))
        if array.size != n or ctypes.cast(array.data, ctypes.c_void_p).value != ctypes.addressof(data):
            raise RuntimeError("the grammar sampler reordered the candidates")  # it masks in place today
        return view["logit"].copy()

    def close(self) -> None:
        if self._sampler:
            self._c.llama_sampler_free(self._sampler)
            self._sampler = None
