"""The local chat model: a LangChain `BaseChatModel` over a loaded `llama_cpp.Llama`, using the GGUF's
chat template, streaming. Per call it takes an optional GBNF grammar (`grammar=`; checked lazily at
temperature 0, `lazy_grammar.py`), a citation guide (`cite_guide=`, `guide.py`) and a cancel event
(`cancel=`, checked at every token). `yes_probability` is the second opinion's judge, and a call with
`task="condense"` (the condense step of a follow-up) is generated greedily; each runs in a context of its
own (`side.py`), so neither evicts the answer prompt's evaluated prefix. One generation at a time per
process: llama.cpp contexts are not thread-safe. Chat-template control strings in messages are defused
(`injection.defuse_special`).

Threads: with `threads=0` (the default, `ASSISTANT_LLM_THREADS=0`) each generation uses the cores other
work is not keeping busy at that moment (`free_cores`, Linux /proc/stat sampled for 30 ms; all cores
elsewhere). llama.cpp's threads wait for each other at every step, so one thread sharing a core with
another busy process stalls them all: with one of 2 cores busy, an answer took 3.4x its idle time on 2
threads and 1.85x on 1 (docs/benchmarks.md). Prompt batches are different: they are compute-bound and
split into many chunks that whichever thread is running takes, so while a core is busy they run on six
threads per core (`thread_counts`): that wins the process most of the busy core's time, and a thread the
kernel preempts holds up only its small chunk. A fixed `threads` is used as given, for both.
"""
from __future__ import annotations

import atexit
import codecs
import contextlib
import functools
import math
import os
import threading
import time
import weakref
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.backends import lookup, prompt_state
from assistant.backends.chat_template import prompt_tokens, reusable_prefix
from assistant.backends.guide import CitationGuide
from assistant.backends.lazy_grammar import LazyGrammar
from assistant.backends.side import SideContext
from assistant.errors import BackendUnavailable
from assistant.injection import defuse_special


def load_llama(path: Path, n_ctx: int, threads: int, gpu_layers: int = 0, flash_attention: bool = False) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendUnavailable("llama-cpp-python is not installed; run `make install`, or set "
                                 "ASSISTANT_LLM_BACKEND=extractive (no LLM) or =openai") from exc
    llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=512, n_gpu_layers=gpu_layers,
                  flash_attn=flash_attention, verbose=False)
    atexit.register(llama.close)  # free it before the interpreter tears llama_cpp down
    return llama


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over a loaded `llama_cpp.Llama` (uses the GGUF's chat template)."""

    max_tokens: int = 256
    temperature: float = 0.0
    threads: int = 0  # 0: the cores free at each generation (`free_cores`); else fixed
    busy_batch_threads: bool = True  # threads=0: while a core is busy, batches run on many threads (`thread_counts`)
    lazy_grammar: bool = True  # check a grammar against the greedy token only (`lazy_grammar.py`)
    judge_context: bool = True  # yes/no judging in its own context (`side.py`), not the answer's
    condense_context: bool = True  # `task="condense"` calls in their own context (`side.py`), not the answer's
    lookup_tokens: int = 3  # prompt-lookup decoding (`lookup.py`): tokens guessed per step; 0: off
    _llama: Any = PrivateAttr()

    def __init__(self, llama: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._llama = llama

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        roles = {"human": "user", "ai": "assistant", "system": "system"}
        return [{"role": roles.get(m.type, "user"), "content": defuse_special(str(m.content))} for m in messages]

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        text, guide, cancel = kwargs.get("grammar"), kwargs.get("cite_guide"), kwargs.get("cancel")
        processors: list[Any] = [CitationGuide(self._llama, guide)] if guide is not None else []
        lazy = None
        if text and self.lazy_grammar and self.temperature == 0 and self._native:
            lazy = LazyGrammar(self._llama, text)
        processors += [lazy] if lazy else []
        grammar = parse_grammar(text) if text and lazy is None else None
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        side = kwargs.get("task") == "condense" and self.condense_context and self._native and not processors \
            and grammar is None and not stop
        try:
            with _LOCK_GEN:  # llama.cpp contexts are not thread-safe: one generation at a time
                threads = self._pick_threads()
                context = _side(self._llama, "condense") if side else None
                prompt = prompt_tokens(self._llama, self._messages(messages)) if context is not None else []
                if context is not None and len(prompt) + max_tokens <= context.n_ctx:
                    parts = self._text(context.generate(prompt, threads, max_tokens, cancel))
                elif self.lookup_tokens and self.temperature == 0 and self._native and not stop and grammar is None:
                    parts = self._lookup(messages, processors, max_tokens, cancel, threads[0])
                else:
                    parts = self._completion(messages, stop, grammar, processors, max_tokens)
                with contextlib.closing(parts):  # a stopped generation is cleaned up while the lock is held
                    for token in parts:
                        if cancel is not None and cancel.is_set():  # the reader went away (the UI's Stop)
                            break
                        if token:
                            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                            if run_manager:
                                run_manager.on_llm_new_token(token, chunk=chunk)
                            yield chunk
        finally:
            if lazy is not None:
                lazy.close()

    def warm(self, messages: list[BaseMessage], state_dir: Path | None = None) -> None:
        """Evaluate `messages` now, so that a later prompt starting the same reuses them. With `state_dir`, the
        evaluated state is loaded from there when an earlier process saved it, and saved there when not
        (`prompt_state.py`: 16 ms instead of 4 s for the answer prompt's fixed part)."""
        if not self._native:
            for _ in self._stream(messages, max_tokens=1):
                pass
            return
        llama = self._llama
        with _LOCK_GEN:
            tokens = prompt_tokens(llama, self._messages(messages))
            if reusable_prefix(llama.input_ids[:llama.n_tokens], tokens) >= len(tokens) - 1:
                return  # already held
            path = prompt_state.path_for(llama, state_dir) if state_dir is not None else None
            if path is not None and prompt_state.restore(llama, path, tokens):
                return
            self._pick_threads()
            llama.n_tokens = reusable_prefix(llama.input_ids[:llama.n_tokens], tokens)
            llama.eval(tokens[llama.n_tokens:])  # trims the cache past n_tokens, records the tokens
            if path is not None:
                prompt_state.save(llama, path, tokens)

    def _completion(self, messages: list[BaseMessage], stop: list[str] | None, grammar: Any,
                    processors: list[Any], max_tokens: int) -> Generator[str, None, None]:
        """The text pieces of llama-cpp-python's own streaming chat completion."""
        from llama_cpp import LogitsProcessorList

        for part in self._llama.create_chat_completion(
            messages=self._messages(messages), stream=True, stop=stop, grammar=grammar, max_tokens=max_tokens,
            temperature=self.temperature, logits_processor=LogitsProcessorList(processors) if processors else None,
        ):
            yield part["choices"][0]["delta"].get("content") or ""

    def _text(self, tokens: Iterator[int]) -> Generator[str, None, None]:
        """Text pieces of generated `tokens`, whole UTF-8 characters each."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for token in tokens:
            yield decoder.decode(self._llama.detokenize([token]))
        yield decoder.decode(b"", final=True)

    def _lookup(self, messages: list[BaseMessage], processors: list[Any], max_tokens: int,
                cancel: threading.Event | None, step_threads: int) -> Generator[str, None, None]:
        """The text pieces of prompt-lookup decoding (`lookup.py`); its small batches on one token's threads."""
        tokens = prompt_tokens(self._llama, self._messages(messages))
        steps = lookup.generate(self._llama, tokens, processors, max_tokens, self.lookup_tokens, cancel,
                                step_threads=step_threads)
        with contextlib.closing(steps):  # leaves the context as the next call expects it, even when stopped
            yield from self._text(steps)


    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """P(yes) / (P(yes) + P(no)) of the model's first reply token (the yes/no judge of `verify/second.py`):
        one prompt evaluation, no sampling. With `judge_context` (the default) it runs in the judge's own
        context (`side.py`), so the answer prompt's evaluated prefix survives it."""
        from llama_cpp import LogitsProcessorList

        yes, no = (self._token(w) for w in ("yes", "no"))
        seen: list[tuple[float, float]] = []

        def probe(_: Any, scores: Any) -> Any:
            if not seen:
                seen.append((float(scores[yes]), float(scores[no])))
            return scores

        with _LOCK_GEN:
            threads = self._pick_threads()
            if self.judge_context and self._native:
                scores = _side(self._llama, "judge").last_scores(self._messages(messages), threads)
                seen.append((float(scores[yes]), float(scores[no])))
            else:
                self._llama.create_chat_completion(messages=self._messages(messages), max_tokens=1, temperature=0.0,
                                                   logits_processor=LogitsProcessorList([probe]))
        if not seen:
            return 0.0
        y, n = seen[0]
        return 1.0 / (1.0 + math.exp(max(-50.0, min(50.0, n - y))))

    @property
    def _native(self) -> bool:
        """Whether the model is a real `llama_cpp.Llama` (lazy grammar, judge context and threads reach into
        its native context); a stand-in with only `create_chat_completion` gets the plain calls."""
        from llama_cpp import Llama

        return isinstance(self._llama, Llama)

    def _pick_threads(self) -> tuple[int, int]:
        """(threads for one token, threads for a batch) now (`thread_counts`; call with the lock held)."""
        n = thread_counts(self.threads, os.cpu_count() or 1, self.busy_batch_threads)
        if self._native:  # the context may be shared with another chat: set it each time
            import llama_cpp

            llama_cpp.llama_set_n_threads(self._llama.ctx, *n)
        return n

    def _token(self, word: str) -> int:
        return int(self._llama.tokenize(word.encode(), add_bos=False, special=False)[0])


BUSY_BATCH_THREADS_PER_CORE = 6  # prompt batches while a core is busy (`thread_counts`)
BUSY_BATCH_THREADS_MAX = 32  # ... but no more in all, unless there are more cores (measured on 2 cores only)
_LOCK_GEN = threading.Lock()
_SIDES: weakref.WeakKeyDictionary[Any, dict[str, SideContext]] = weakref.WeakKeyDictionary()


def _side(llama: Any, task: str) -> SideContext:
    """The side context of a loaded model for `task` ("judge", "condense"), made on first use (call with the
    lock held). One per task: the judge's and the condense step's prompts would evict each other too."""
    contexts = _SIDES.setdefault(llama, {})
    if task not in contexts:
        contexts[task] = SideContext(llama)
    return contexts[task]


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies over all cores since boot, or None where /proc/stat is not readable."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)


def thread_counts(fixed: int, cores: int, busy_batch: bool = True) -> tuple[int, int]:
    """(threads for decoding one token, threads for a batch of tokens): `fixed` for both when set; else the
    free cores for one token, and for a batch the free cores on an idle machine or, while a core is busy
    (`busy_batch`), `BUSY_BATCH_THREADS_PER_CORE` threads per core (at most `BUSY_BATCH_THREADS_MAX`). One
    token is a few hundred short steps that each wait for the slowest thread, so a thread on a busy core
    stalls the rest; a batch's matrix products are split into many chunks taken by whichever thread runs,
    so many threads win the batch most of the busy core's time and a preempted one holds little work
    (measured with one of 2 cores busy: 300 prompt tokens in 2.64 s on 12 threads, 2.82 s on 8, 3.17 s on
    6, 3.39 s on 3, 4.16 s on 1; 1.83 s idle on 2; docs/benchmarks.md)."""
    if fixed:
        return fixed, fixed
    free = free_cores(cores)
    if not busy_batch or free >= cores:
        return free, free
    return free, max(cores, min(BUSY_BATCH_THREADS_PER_CORE * cores, BUSY_BATCH_THREADS_MAX))


def free_cores(cores: int, interval: float = 0.03) -> int:
    """How many of `cores` other work leaves free now: cores minus the busy ones (a core counts as busy
    from 60% use), at least 1. Samples /proc/stat `interval` s apart; all `cores` where it cannot."""
    before = _cpu_times()
    if before is None or cores <= 1:
        return max(cores, 1)
    time.sleep(interval)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return cores
    busy = (1.0 - (after[0] - before[0]) / (after[1] - before[1])) * cores
    return max(1, cores - int(busy + 0.4))


@functools.lru_cache(maxsize=16)
def parse_grammar(text: str) -> Any:
    """A parsed llama.cpp grammar (GBNF text, e.g. `citations.citation_grammar`), cached by its text."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)
