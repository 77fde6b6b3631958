"""Side contexts on the loaded local model, so short side tasks never evict the answer prompt.

llama-cpp-python keeps one prompt's evaluated tokens per context and reuses their common prefix with
the next prompt: every answer prompt starts with the same system prompt and worked example (~400
tokens, ~4.5 s on 2 cores), evaluated once. Any other prompt run in that context replaces it, and the
next question pays the whole prefix again:
- the second opinion's yes/no judge (first token 1.5-3.5 s -> 6.3-8.2 s, docs/benchmarks.md);
- the condense step of a follow-up question, which rewrites it with the chat history before the answer
  prompt is built (a follow-up's first token 7-9.5 s, of which 1.4 s is the condensing itself).
A `SideContext` is another context on the same model (the weights are shared; it costs its KV cache,
~60 MB at 2,048 tokens) with its own prefix reuse, so its task's fixed prompt is evaluated once too.

It does two things: `last_scores`, the scores of the first reply token (one decode pass, the judge), and
`generate`, greedy tokens one at a time (the condense step: a short rewrite, no grammar, no sampling).

llama.cpp's scores for a token depend slightly on how its prompt was cut into decode batches: the judge's
P(yes) for one claim read 0.708 from a fresh context, 0.693 asked again (only its last token evaluated)
and 0.684 after another claim, around its 0.7 line, so a sentence's verdict depended on what was judged
before. `last_scores` is therefore anchored: the prompt's fixed part (the messages before the last, and
the last one's template text before its content: `chat_template.fixed_prefix`) is evaluated on its own,
once, and the rest always from there in the same batches. The same messages get the same scores, in any
process, whatever came before; only the fixed part is reused (the rest rarely repeats). `generate` keeps
reusing the whole common prefix: a follow-up's condense prompt shares the earlier history.

It formats messages with the GGUF's own chat template, as the chat completion does (`chat_template.py`).
Not thread-safe: callers hold the generation lock (`llama._LOCK_GEN`).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from assistant.backends.chat_template import fixed_prefix, prompt_tokens, reusable_prefix


class SideContext:
    """Another context on `llama`'s model, with its own evaluated prompt."""

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
        self.anchor = 0  # how many of them were evaluated on their own from position 0 (`last_scores`)

    def last_scores(self, messages: Sequence[dict[str, str]], threads: tuple[int, int]) -> Any:
        """The scores (logits) of the first reply token for `messages` (a prompt too long is cut at the end):
        the same for the same messages whatever this context evaluated before (the module docstring)."""
        tokens = prompt_tokens(self.llama, messages)[:self.n_ctx - 1]
        anchor = min(fixed_prefix(self.llama, messages, tokens), len(tokens) - 1)
        if anchor != self.anchor or reusable_prefix(self.tokens, tokens) < anchor:
            if anchor:
                self._evaluate(tokens[:anchor], threads, keep=0)  # the fixed part alone, from the start
            self.anchor = anchor
        return self._evaluate(tokens, threads, keep=anchor)

    def generate(self, prompt: list[int], threads: tuple[int, int], max_tokens: int,
                 cancel: threading.Event | None = None) -> Iterator[int]:
        """Greedy reply tokens for `prompt` (`chat_template.prompt_tokens`), until an end-of-generation token,
        `max_tokens`, the context's end, or `cancel`. The prompt must fit: shorter than `n_ctx`."""
        scores = self._evaluate(prompt, threads)
        for _ in range(max_tokens):
            token = int(np.argmax(scores))
            if self._c.llama_vocab_is_eog(self.llama._model.vocab, token) or (cancel is not None and cancel.is_set()):
                return
            yield token
            if len(self.tokens) + 1 >= self.n_ctx:
                return
            scores = self._evaluate([*self.tokens, token], threads)

    def _evaluate(self, tokens: list[int], threads: tuple[int, int], keep: int | None = None) -> Any:
        """Evaluate `tokens` from position `keep` (default: all the prefix the context holds); the scores of
        the last one."""
        keep = reusable_prefix(self.tokens, tokens) if keep is None else keep
        if keep < self.anchor:
            self.anchor = 0  # the part evaluated on its own is evaluated again
        self._c.llama_set_n_threads(self.context.ctx, *threads)  # (one token, a batch)
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
