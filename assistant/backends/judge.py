"""The local model's yes/no judge in its own llama.cpp context, so judging never evicts the answer prompt.

llama-cpp-python keeps one prompt's evaluated tokens per context and reuses their common prefix with
the next prompt: every answer prompt starts with the same system prompt and worked example (~400
tokens, ~4.5 s on 2 cores), evaluated once. When the second opinion judged a sentence in that same
context, the judge's prompt replaced it, and the next question paid the whole prefix again (first token
1.5-3.5 s -> 6.3-8.2 s, docs/benchmarks.md). `JudgeContext` is a second context on the same loaded
model (the weights are shared; it costs its KV cache, ~60 MB at 2,048 tokens) with its own prefix reuse:
the judge's system prompt is evaluated once too.

It reads one thing: the scores of the first reply token (one decode pass, no sampling). It formats
messages with the GGUF's own chat template, as the chat completion does (`chat_template.py`). Not
thread-safe: callers hold the generation lock (`llama._LOCK_GEN`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.backends.chat_template import prompt_tokens, reusable_prefix


class JudgeContext:
    """A second context on `llama`'s model: `last_scores(messages)` returns the next-token scores."""

    def __init__(self, llama: Any, n_ctx: int = 2048) -> None:
        from llama_cpp import _internals, llama_cpp

        self._c: Any = llama_cpp
        self.llama = llama
        params = llama_cpp.llama_context_params.from_buffer_copy(llama.context_params)
        params.n_ctx = n_ctx
        self.n_ctx, self.n_batch = n_ctx, min(int(params.n_batch), n_ctx)
        self.context = _internals.LlamaContext(model=llama._model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1, verbose=False)
        self.tokens: list[int] = []  # what the context holds now

    def last_scores(self, messages: Sequence[dict[str, str]], threads: int) -> Any:
        """The scores (logits) of the first reply token for `messages`."""
        tokens = prompt_tokens(self.llama, messages)
        if len(tokens) >= self.n_ctx:
            tokens = tokens[:self.n_ctx - 1]
        keep = reusable_prefix(self.tokens, tokens)
        self._c.llama_set_n_threads(self.context.ctx, threads, threads)
        self.context.kv_cache_seq_rm(0, keep, -1)
        self.tokens = tokens[:keep]
        for start in range(keep, len(tokens), self.n_batch):
            chunk = tokens[start:start + self.n_batch]
            self.batch.set_batch(batch=chunk, n_past=start, logits_all=False)
            self.context.decode(self.batch)
            self.tokens += chunk
        n_vocab = self.llama.n_vocab()
        pointer = self._c.llama_get_logits_ith(self.context.ctx, -1)
        return np.ctypeslib.as_array(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float)), shape=(n_vocab,)).copy()
