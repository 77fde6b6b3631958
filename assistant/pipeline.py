"""`Assistant`: the one core behind the CLI, the UI and the evals. Orchestration only.

ask = condense the follow-up (LLM) -> retrieve -> refuse in code if the best score is below
`min_score` -> pack passages (tiktoken budget) -> generate (LangChain chat model, streamed) or
extract (no LLM) -> parse and resolve citations -> `Answer`. Heavy objects (embedder, index, chat
model) are built lazily on first use, so constructing an `Assistant` is cheap; each is built once per
`Assistant` even when many threads (chat sessions) reach it first at the same time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda

from . import answering, models
from .citations import citation_grammar
from .embedding import SentenceEmbeddings
from .errors import AssistantError, BackendUnavailable, ConfigError
from .index import DocumentInfo, Index
from .ingest import IngestReport, ingest
from .keyword import KeywordIndex
from .rerank import CrossEncoderReranker, FeatureReranker
from .retrieval import PassageRetriever, cosine_similarity
from .settings import Settings
from .types import Answer, Passage

_EMBEDDER_FIELDS = frozenset({"embedding_model", "embedding_backend", "cache_dir", "embed_batch_size"})
_INDEX_FIELDS = frozenset({"data_dir", "chroma_url", "collection"})
_LLM_FIELDS = frozenset({"llm_backend", "llm_model", "llm_base_url", "llm_api_key", "llm_threads", "llm_context",
                         "max_answer_tokens", "temperature", "cache_dir"})
History = Sequence[dict[str, str]] | Sequence[tuple[str, str]] | None
_UNSET: Any = object()
T = TypeVar("T")


class _built_once(Generic[T]):  # lower case: used as a decorator, like cached_property
    """Like `functools.cached_property`, but the first build holds the instance's reentrant lock.

    So threads (chat sessions) that reach a part first at the same moment build one copy, not one each.
    Not `cached_property` plus a lock: on Python 3.11 its own per-attribute lock, taken before ours,
    would deadlock when one thread builds `retriever` (needs `index`) while another builds `index`.
    """

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> _built_once[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | _built_once[T]:
        if instance is None:
            return self
        cache = instance.__dict__
        if self.name not in cache:  # afterwards the instance attribute shadows this (non-data) descriptor
            with instance._build_lock:  # type: ignore[attr-defined]
                if self.name not in cache:
                    cache[self.name] = self.build(instance)
        return cache[self.name]


@dataclass(frozen=True)
class Event:
    """One step of a streamed answer: kind is "query", "passages", "token" or "answer"."""

    kind: str
    text: str = ""
    passages: tuple[Passage, ...] = ()
    answer: Answer | None = None


class Assistant:
    """Ingest articles and answer questions with citations. See the README for settings."""

    def __init__(self, data_dir: str | Path | None = None, *, settings: Settings | None = None,
                 llm: BaseChatModel | None = _UNSET, **overrides: Any) -> None:
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir)
        base = settings.model_copy(update=overrides) if settings is not None else Settings(**overrides)
        self.settings = base
        self._llm = llm
        self._build_lock = threading.RLock()

    # ---- lazily built parts ----------------------------------------------------------------
    @_built_once
    def embedder(self) -> SentenceEmbeddings:
        return models.embeddings(self.settings)

    @_built_once
    def index(self) -> Index:
        dim = len(self.embedder.embed_query("dimension probe"))
        return Index(self.settings, self.embedder.name, dim)

    @_built_once
    def retriever(self) -> PassageRetriever:
        s = self.settings
        keyword = KeywordIndex(self.index, s.data_dir / "bm25") if s.retrieval != "dense" else None
        reranker: FeatureReranker | CrossEncoderReranker | None = None
        if s.rerank:
            reranker = CrossEncoderReranker(s.reranker_model) if s.reranker_model else FeatureReranker(keyword)
        return PassageRetriever(index=self.index, embedder=self.embedder, keyword=keyword, reranker=reranker, k=s.k,
                                mode=s.retrieval, candidates=s.candidates, mmr_lambda=s.mmr_lambda,
                                recency_half_life_days=s.recency_half_life_days)

    @_built_once
    def llm(self) -> BaseChatModel | None:
        return models.chat_model(self.settings) if self._llm is _UNSET else self._llm

    @_built_once
    def answer_chain(self) -> Runnable[dict[str, Any], str]:
        """question + passages -> raw answer text with [n] markers (a LangChain Runnable)."""
        llm = self.llm
        if llm is None:
            return RunnableLambda(self._extract)
        return RunnableLambda(self._answer_model) | StrOutputParser()

    def _answer_model(self, x: dict[str, Any]) -> Runnable[Any, Any]:
        """The prompt and the chat model for this call. The local model is grammar-constrained to cite, and
        each `[n]` it writes is limited to passages that support the sentence (`models.CitationGuide`)."""
        llm = self.llm
        assert llm is not None
        passages = x["passages"]
        if self.settings.constrain_citations and isinstance(llm, models.LlamaCppChat) and 0 < len(passages) < 10:
            llm = llm.bind(grammar=citation_grammar(len(passages)),  # type: ignore[assignment]
                           cite_guide=lambda s: answering.supporting(s, passages, self._similarity))
        return RunnableLambda(lambda _: self._answer_messages(x)) | llm

    @_built_once
    def condense_chain(self) -> Runnable[dict[str, Any], str]:
        """question + history -> a standalone query."""
        llm = self.llm
        if llm is None:  # no LLM: the previous question gives the follow-up its context
            return RunnableLambda(lambda x: _last_user(x["history"]) + " " + x["question"])
        return RunnableLambda(_condense_messages) | llm | StrOutputParser()

    def _extract(self, x: dict[str, Any]) -> str:
        return answering.extractive_answer(x["question"], x["passages"], self._similarity)

    @staticmethod
    def _answer_messages(x: dict[str, Any]) -> list[BaseMessage]:
        return answering.messages(x["question"], x["passages"])

    def _similarity(self, text: str, others: Sequence[str]) -> list[float]:
        return cosine_similarity(self.embedder, text, list(others))

    # ---- public API ----------------------------------------------------------------------
    def ingest(self, paths: Iterable[str | Path], progress: bool = True, prune: bool = True,
               on_progress: Callable[[int, int, str], None] | None = None) -> IngestReport:
        """Add, update and remove documents so the index matches `paths` (files and folders)."""
        return ingest(self.index, self.embedder, self.settings.chunk_tokens, paths, progress=progress,
                      prune=prune, on_progress=on_progress, max_file_bytes=int(self.settings.max_file_mb * 2**20))

    def documents(self) -> list[DocumentInfo]:
        """Every indexed document (title, source, date, chunk count), newest first."""
        return self.index.documents()

    def delete_document(self, doc_id: str) -> list[str]:
        """Remove a document with the file it came from (and that file's other documents, e.g. a .jsonl's).

        Returns the files forgotten. Derived indexes (BM25) follow through the index generation counter.
        """
        if not self.index.has_document(doc_id):
            raise AssistantError(f"no document {doc_id!r} in the index; refresh the list")
        return self.index.remove_document(doc_id)

    def with_settings(self, **update: Any) -> Assistant:
        """A new `Assistant` with some settings changed, sharing the already loaded parts it can.

        The embedder and the index are shared when their settings are unchanged, the chat model
        when no generation setting changed; retrieval is rebuilt (cheap). Invalid values raise
        `ConfigError` with a readable message.
        """
        from pydantic import ValidationError

        try:
            settings = Settings(**{**self.settings.model_dump(), **update})
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ConfigError(f"invalid settings: {problems}") from exc
        changed = {name for name in Settings.model_fields if getattr(settings, name) != getattr(self.settings, name)}
        llm = self._llm
        if "llm" in self.__dict__ and not changed & _LLM_FIELDS:
            llm = self.__dict__["llm"]
        elif changed & _LLM_FIELDS:
            llm = _UNSET
        new = Assistant(settings=settings, llm=llm)
        for part, fields in (("embedder", _EMBEDDER_FIELDS), ("index", _EMBEDDER_FIELDS | _INDEX_FIELDS)):
            if part in self.__dict__ and not changed & fields:
                new.__dict__[part] = self.__dict__[part]
        return new

    def retrieve(self, query: str, k: int = 5) -> list[Passage]:
        return self.retriever.passages(query, k)

    def ask(self, question: str, history: History = None, previous: Answer | None = None) -> Answer:
        """Answer `question`; `previous` (the last turn's Answer) lets its cited passages be reused."""
        answer = None
        for event in self.stream(question, history, previous):
            answer = event.answer or answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: History = None, previous: Answer | None = None) -> Iterator[Event]:
        """Answer `question`, yielding the standalone query, the passages, tokens, then the `Answer`."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        turns = _normalise_history(history)
        query = question
        if turns:
            query = self.condense_chain.invoke({"question": question, "history": turns}).strip() or question
            timings["condense"] = time.perf_counter() - t0
        yield Event("query", text=query)
        t1 = time.perf_counter()
        extra = [c.chunk_id for c in previous.citations] if previous and turns else []
        passages = self.retriever.passages(query, self.settings.k, extra=extra)
        timings["retrieve"] = time.perf_counter() - t1
        yield Event("passages", passages=tuple(passages))
        relevant = [p for p in passages if p.score >= self.settings.min_score
                    or float(p.metadata.get("relevance", 0.0)) >= self.settings.min_relevance]
        if not relevant:
            reason = ("the index is empty; ingest some articles first." if not passages else
                      f"no passage is relevant enough (best similarity {max(p.score for p in passages):.2f}, "
                      f"needed {self.settings.min_score:.2f}).")
            answer = Answer(question=question, text=answering.refusal_text(reason), refused=True,
                            passages=tuple(passages), standalone_query=query, timings=timings)
            yield Event("answer", answer=answer)
            return
        packed = answering.pack(relevant, self.settings.prompt_budget, query, self.settings.passage_tokens)
        t2 = time.perf_counter()
        raw: list[str] = []
        try:
            for token in self.answer_chain.stream({"question": query, "passages": packed}):
                if not raw:
                    timings["first_token"] = time.perf_counter() - t0
                raw.append(token)
                yield Event("token", text=token)
        except (ConnectionError, OSError) as exc:
            raise BackendUnavailable(f"the chat model could not be reached ({exc}); check "
                                     "ASSISTANT_LLM_BASE_URL or use ASSISTANT_LLM_BACKEND=extractive") from exc
        timings["generate"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        answer = answering.assemble(question, "".join(raw), packed, self._similarity, standalone_query=query,
                                    keep_unsupported=self.settings.show_unsupported)
        timings["verify"] = time.perf_counter() - t3
        timings["total"] = time.perf_counter() - t0
        yield Event("answer", answer=Answer(**{**answer.__dict__, "timings": timings}))


def _normalise_history(history: History) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for h in history or []:
        if isinstance(h, dict):
            out.append({"role": str(h.get("role", "user")), "content": str(h.get("content", ""))})
        else:
            user, bot = h
            out += [{"role": "user", "content": str(user)}, {"role": "assistant", "content": str(bot or "")}]
    return [h for h in out if h["content"]]


def _condense_messages(x: dict[str, Any]) -> list[BaseMessage]:
    return answering.condense_messages(x["question"], x["history"])


def _last_user(history: Sequence[dict[str, str]]) -> str:
    return next((h["content"] for h in reversed(history) if h["role"] == "user"), "")
