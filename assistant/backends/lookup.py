"""Prompt-lookup decoding: greedy generation that guesses the next tokens from the prompt and checks
several of them in one llama.cpp step.

Answers copy their passages ("China's Ambassador to the UNOG Chen Xu said ..."). After each chosen token
`draft` finds the longest recent n-gram (up to 3 tokens) of the text so far that also occurs earlier, in
the prompt or the answer, and proposes the tokens that followed it there. The model evaluates the chosen
token and the proposal in one batch, which costs little more than one token on a CPU (one pass over the
weights either way), and reads a score row for each position. Each proposed token is kept while it is
exactly what greedy decoding picks at its position, with the caller's logits processors (the citation
guide, the lazy grammar) applied to that row; at the first difference the model's own pick is taken and
the rest of the proposal is dropped from the cache. The chosen tokens are therefore greedy decoding's,
up to the rounding of a batched evaluation (tests compare the text with the plain path's).

Greedy (temperature 0) only, one sequence, a real `llama_cpp.Llama` (it reaches into the context, the
batch and the evaluated-token record, and leaves them as `Llama.generate` expects them: the next plain
call reuses the prompt prefix). Stops at an end-of-generation token, `max_tokens`, or when `cancel` is
set. Not thread-safe: callers hold the generation lock. `stats` counts steps and tokens for benchmarks.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.backends.chat_template import reusable_prefix

Processor = Callable[[Any, Any], Any]


@dataclass
class LookupStats:
    """What one generation did: model steps (batched evaluations), tokens chosen, proposed and kept."""

    steps: int = 0
    tokens: int = 0
    proposed: int = 0
    accepted: int = 0


def draft(ids: Sequence[int], k: int, ngram: int = 3, min_n: int = 2) -> list[int]:
    """Up to `k` tokens that followed the latest earlier occurrence of the longest suffix of `ids` of
    `min_n` to `ngram` tokens (one shared token is too weak a hint: such guesses were mostly wrong)."""
    n_ids = len(ids)
    for n in range(min(ngram, n_ids - 1), min_n - 1, -1):
        tail = list(ids[n_ids - n:])
        first = tail[0]
        for start in range(n_ids - n - 1, -1, -1):  # the latest occurrence before the suffix itself
            if ids[start] == first and list(ids[start:start + n]) == tail:
                return list(ids[start + n:start + n + k])
    return []


def generate(llama: Any, prompt: Sequence[int], processors: Sequence[Processor], max_tokens: int,
             k: int = 3, cancel: threading.Event | None = None, stats: LookupStats | None = None,
             step_threads: int | None = None) -> Generator[int, None, None]:
    """Greedy tokens for `prompt` (token ids), each chosen after `processors` adjust its scores. With
    `step_threads`, the steps after the prompt (a token and its guess, a small batch) run on that many
    threads, as one token would, not on the context's batch threads."""
    from llama_cpp import llama_cpp

    stats = stats if stats is not None else LookupStats()
    n_vocab = llama.n_vocab()
    ids = [int(t) for t in prompt]
    n_ctx = llama.n_ctx()
    if len(ids) + 1 > n_ctx:
        raise ValueError(f"Requested tokens ({len(ids)}) exceed context window of {n_ctx}")
    llama.n_tokens = reusable_prefix(llama.input_ids[:llama.n_tokens], ids)
    llama.eval(ids[llama.n_tokens:])  # trims the cache past n_tokens, records the tokens
    stats.steps += 1
    rows = _logits(llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1), 1, n_vocab)
    if step_threads:
        llama_cpp.llama_set_n_threads(llama._ctx.ctx, step_threads, step_threads)

    def choose(scores: Any) -> int:
        for process in processors:
            scores = process(np.asarray(ids, dtype=np.intc), scores)
        return int(np.argmax(scores))

    def is_end(token: int) -> bool:
        return bool(llama_cpp.llama_vocab_is_eog(llama._model.vocab, token))

    try:
        token = choose(rows[0])
        while True:
            if is_end(token) or (cancel is not None and cancel.is_set()):
                return
            ids.append(token)
            stats.tokens += 1
            yield token
            if stats.tokens >= max_tokens:
                return
            if len(ids) >= n_ctx:
                return
            guess = draft(ids, min(k, max_tokens - stats.tokens, n_ctx - len(ids)))
            stats.proposed += len(guess)
            rows = _decode(llama, [token, *guess], n_vocab)
            stats.steps += 1
            for row, proposed in zip(rows, [*guess, None], strict=True):
                token = choose(row)
                if token != proposed or is_end(token) or (cancel is not None and cancel.is_set()):
                    break
                stats.accepted += 1
                ids.append(token)
                stats.tokens += 1
                yield token
                if stats.tokens >= max_tokens:
                    return
            _trim(llama, len(ids))  # drop the rejected part of the proposal from the cache
    finally:
        _trim(llama, min(len(ids), llama.n_tokens))
        llama._requires_eval = True  # the context's scores are not those of its last token: replay it


def _decode(llama: Any, tokens: list[int], n_vocab: int) -> Any:
    """Evaluate `tokens` after the evaluated ones; the score rows of every position."""
    n_past = llama.n_tokens
    llama._batch.set_batch(batch=tokens, n_past=n_past, logits_all=True)
    llama._ctx.decode(llama._batch)
    llama.input_ids[n_past:n_past + len(tokens)] = tokens
    llama.n_tokens = n_past + len(tokens)
    return _logits(llama._ctx.get_logits(), len(tokens), n_vocab)


def _logits(pointer: Any, rows: int, n_vocab: int) -> Any:
    floats = ctypes.cast(pointer, ctypes.POINTER(ctypes.c_float))
    return np.ctypeslib.as_array(floats, shape=(rows, n_vocab)).copy()


def _trim(llama: Any, n_tokens: int) -> None:
    if llama.n_tokens > n_tokens:
        llama._ctx.kv_cache_seq_rm(-1, n_tokens, -1)
        llama.n_tokens = n_tokens
