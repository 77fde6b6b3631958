"""The local chat model: a LangChain `BaseChatModel` over a loaded `llama_cpp.Llama`, using the GGUF's
chat template, streaming, with an optional GBNF grammar (`grammar=`) and citation guide (`cite_guide=`,
`guide.py`) per call. One generation at a time per process: llama.cpp contexts are not thread-safe.
Chat-template control strings in messages are defused (`injection.defuse_special`).
"""

from __future__ import annotations

import atexit
import functools
import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from assistant.backends.guide import CitationGuide
from assistant.errors import BackendUnavailable
from assistant.injection import defuse_special


def load_llama(path: Path, n_ctx: int, threads: int, gpu_layers: int = 0) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendUnavailable("llama-cpp-python is not installed; run `make install`, or set "
                                 "ASSISTANT_LLM_BACKEND=extractive (no LLM) or =openai") from exc
    llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=512, n_gpu_layers=gpu_layers,
                  verbose=False)
    atexit.register(llama.close)  # free it before the interpreter tears llama_cpp down
    return llama


class LlamaCppChat(BaseChatModel):
    """A LangChain chat model over a loaded `llama_cpp.Llama` (uses the GGUF's chat template)."""

    max_tokens: int = 256
    temperature: float = 0.0
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
        grammar = parse_grammar(kwargs["grammar"]) if kwargs.get("grammar") else None
        guide, cancel = kwargs.get("cite_guide"), kwargs.get("cancel")
        processors = None
        if guide is not None:
            from llama_cpp import LogitsProcessorList

            processors = LogitsProcessorList([CitationGuide(self._llama, guide)])
        with _LOCK_GEN:  # llama.cpp contexts are not thread-safe: one generation at a time
            for part in self._llama.create_chat_completion(
                messages=self._messages(messages), stream=True, stop=stop, grammar=grammar,
                max_tokens=kwargs.get("max_tokens", self.max_tokens), temperature=self.temperature,
                logits_processor=processors,
            ):
                if cancel is not None and cancel.is_set():  # the reader went away (the UI's Stop)
                    break
                token = part["choices"][0]["delta"].get("content") or ""
                if token:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                    if run_manager:
                        run_manager.on_llm_new_token(token, chunk=chunk)
                    yield chunk


    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """P(yes) / (P(yes) + P(no)) of the model's first reply token (the yes/no judge of `verify/second.py`):
        one prompt evaluation, one decoding step; the scores are read by a logits processor."""
        from llama_cpp import LogitsProcessorList

        yes, no = (self._token(w) for w in ("yes", "no"))
        seen: list[tuple[float, float]] = []

        def probe(_: Any, scores: Any) -> Any:
            if not seen:
                seen.append((float(scores[yes]), float(scores[no])))
            return scores

        with _LOCK_GEN:
            self._llama.create_chat_completion(messages=self._messages(messages), max_tokens=1, temperature=0.0,
                                               logits_processor=LogitsProcessorList([probe]))
        if not seen:
            return 0.0
        y, n = seen[0]
        return 1.0 / (1.0 + math.exp(max(-50.0, min(50.0, n - y))))

    def _token(self, word: str) -> int:
        return int(self._llama.tokenize(word.encode(), add_bos=False, special=False)[0])


_LOCK_GEN = threading.Lock()


@functools.lru_cache(maxsize=16)
def parse_grammar(text: str) -> Any:
    """A parsed llama.cpp grammar (GBNF text, e.g. `citations.citation_grammar`), cached by its text."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)
