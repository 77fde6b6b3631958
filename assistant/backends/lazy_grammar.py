"""The citation grammar, checked only where it changes the answer: a llama.cpp logits processor.

llama.cpp's grammar sampler checks every one of the vocabulary's 151k tokens against the grammar at every
step, which doubled the cost of a generated token (docs/benchmarks.md). Under greedy decoding only one
token is ever chosen, so `LazyGrammar` asks the grammar about that token alone: the one greedy decoding
would pick, the highest score (llama-cpp-python's chat completion applies no repetition penalty unless
asked, and this module assumes none). When the
grammar allows it, nothing is masked; only when it does not (the model wants to stop or start a new
sentence before citing, or write a stray `[`) is the whole vocabulary masked, as the grammar sampler
would. The chosen tokens are therefore exactly those of the full grammar sampler at temperature 0
(`tests/test_local_model.py` compares them). It does not sample: with a temperature above 0 use the
full grammar (`llama.py` does).
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np


class LazyGrammar:
    """A logits processor holding a llama.cpp grammar sampler for one generation; `close()` frees it."""

    def __init__(self, llama: Any, grammar: str) -> None:
        import llama_cpp

        self._c: Any = llama_cpp
        self._sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, grammar.encode("utf-8"), b"root")
        if not self._sampler:
            raise ValueError("llama.cpp could not parse the grammar")
        self.start: int | None = None
        self.accepted = 0
        self.full_checks = 0  # steps where the greedy token was refused and the whole vocabulary was masked
        self.steps = 0
        self._one: Any = (llama_cpp.llama_token_data * 1)()
        self._one_array: Any = llama_cpp.llama_token_data_array(self._one, 1, -1, False)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:  # the first call sees the prompt only
            self.start = len(input_ids)
        generated = input_ids[self.start:]
        for token in generated[self.accepted:]:  # what was chosen since the last call
            self._c.llama_sampler_accept(self._sampler, int(token))
        self.accepted = len(generated)
        self.steps += 1
        if self._allows(int(np.argmax(scores)), scores):
            return scores
        self.full_checks += 1
        return self._mask(scores)

    def _allows(self, token: int, scores: Any) -> bool:
        self._one[0].id, self._one[0].logit, self._one[0].p = token, float(scores[token]), 0.0
        self._one_array.data, self._one_array.size, self._one_array.selected = self._one, 1, -1
        self._c.llama_sampler_apply(self._sampler, ctypes.byref(self._one_array))
        return bool(np.isfinite(self._one[0].logit))

    def _mask(self, scores: Any) -> Any:
        n = len(scores)
        data = (self._c.llama_token_data * n)()
        view = np.ctypeslib.as_array(data)  # a structured array over the same memory: id, logit, p
        view["id"] = np.arange(n, dtype=np.intc)
        view["logit"] = scores
        array: Any = self._c.llama_token_data_array(data, n, -1, False)
        self._c.llama_sampler_apply(self._sampler, ctypes.byref(array))
        if array.size != n or ctypes.cast(array.data, ctypes.c_void_p).value != ctypes.addressof(data):
            raise RuntimeError("the grammar sampler reordered the candidates")  # it masks in place today
        scores[:] = view["logit"]
        return scores

    def close(self) -> None:
        if self._sampler:
            self._c.llama_sampler_free(self._sampler)
            self._sampler = None
