"""`Assistant`: the one core behind the CLI, the UI and the evals; a facade over the ask chain.

`ask` / `stream` run the composed LangChain Runnable of `answer/chain.py` (condense -> retrieve -> gate
-> pack -> prompt | model -> verify). Heavy parts (embedder, index, chat model) are built lazily on
first use from their settings group (`parts.py`), so constructing an `Assistant` is cheap; each is built
once per `Assistant` even when many threads (chat sessions) reach it first at the same time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig

from assistant import parts
from assistant.answer.chain import AskParts, build_ask_chain, last_answer
from assistant.answer.prompting import messages
from assistant.backends import models
from assistant.backends.embedding import SentenceEmbeddings
from assistant.backends.llama import LlamaCppChat
from assistant.domain import Answer, Event, Passage
from assistant.errors import AssistantError
from assistant.ingest.incremental import IngestReport, ingest
from assistant.parts import built_once
from assistant.retrieve.retriever import PassageRetriever, cosine_similarity
from assistant.settings import Settings, load_settings
from assistant.store import health
from assistant.store.health import Health
from assistant.store.index import DocumentInfo, Index
from assistant.store.lock import WriteLock
from assistant.store.vectors import open_client
from assistant.verify.second import ModelOpinion

log = logging.getLogger(__name__)
History = Sequence[dict[str, str]] | Sequence[tuple[str, str]] | None
_UNSET: Any = object()
# Which settings groups each part is built from: a part is shared by `with_settings` when none changed.
_SHARED_PARTS = {"embedder": {"embedder"}, "index": {"embedder", "store"}}  # the chat model: see with_settings

__all__ = ["Assistant", "Event", "History"]


class Assistant:
    """Ingest articles and answer questions with citations. See the README for settings."""

    def __init__(self, data_dir: str | Path | None = None, *, settings: Settings | None = None,
                 llm: BaseChatModel | None = _UNSET, **overrides: Any) -> None:
        if data_dir is not None:
            overrides["data_dir"] = Path(data_dir)
        base = settings.model_copy(update=overrides) if settings is not None else load_settings(**overrides)
        self.settings = base
        self._llm = llm
        self._build_lock = threading.RLock()

    # ---- lazily built parts ----------------------------------------------------------------
    @built_once
    def embedder(self) -> SentenceEmbeddings:
        return models.embeddings(self.settings.embedder)

    @built_once
    def index(self) -> Index:
        return Index(self.settings.store, self.embedder.name, self._dimension())

    def _dimension(self) -> int:
        return len(self.embedder.embed_query("dimension probe"))

    @built_once
    def retriever(self) -> PassageRetriever:
        return parts.retriever(self.settings.retrieve, self.settings.store, self.index, self.embedder)

    @built_once
    def llm(self) -> BaseChatModel | None:
        return models.chat_model(self.settings.llm) if self._llm is _UNSET else self._llm

    @built_once
    def ask_chain(self) -> Runnable[dict[str, Any], Event]:
        """The composed ask chain: stream `{"question", "history", "previous"}` for `Event`s."""
        s = self.settings
        return build_ask_chain(AskParts(
            condense=parts.condense_runnable(self.llm), retriever=self.retriever,
            answer=parts.answer_runnable(self.llm, s.answer, self.similarity), similarity=self.similarity,
            k=s.k, min_score=s.min_score, min_relevance=s.min_relevance, prompt_budget=s.prompt_budget,
            passage_tokens=s.passage_tokens, keep_unsupported=s.show_unsupported,
            second_try=s.second_try and self.llm is not None,  # the extractive answerer would say the same again
            opinion=ModelOpinion(self.llm) if s.second_opinion and self.llm is not None else None))

    def similarity(self, text: str, others: Sequence[str]) -> list[float]:
        """Cosine similarity of `text` to each of `others` with this assistant's embedder (what the checker uses)."""
        return cosine_similarity(self.embedder, text, list(others))

    # ---- public API ----------------------------------------------------------------------
    def ingest(self, paths: str | Path | Iterable[str | Path], progress: bool = True, prune: bool = True,
               on_progress: Callable[[int, int, str], None] | None = None) -> IngestReport:
        """Add, update and remove documents so the index matches `paths` (files and folders; one path or many)."""
        if isinstance(paths, str | Path):  # a string is one path, not a sequence of one-letter paths
            paths = [paths]
        s = self.settings.ingest
        return ingest(self.index, self.embedder, s.chunk_tokens, paths, progress=progress,
                      prune=prune, on_progress=on_progress, max_file_bytes=s.max_file_bytes)

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

    def check(self) -> Health:
        """The store's health: counts per store, orphans, missing vectors, pending intents, problems.

        Opens each store on its own, so it works when the index would refuse to open (`StoreDamaged`)."""
        return health.inspect(self.settings.store, *health.openers(self.settings.store, self.embedder.name,
                                                                   self._dimension()))

    def rebuild(self, paths: Iterable[str | Path] = (), progress: bool = True) -> IngestReport:
        """Heal a damaged index from what survives: empty both stores (a damaged document store is moved
        aside, not deleted) and re-ingest every file either store recorded, plus `paths`.

        Files gone from disk are reported as failed. Stop other processes on this data dir first: they
        keep their view of the old stores.
        """
        s = self.settings.store
        open_docs, open_vectors = health.openers(s, self.embedder.name, self._dimension())
        with WriteLock(s.lock_path):
            docs = vectors = None
            with contextlib.suppress(Exception):
                docs = open_docs()
            with contextlib.suppress(Exception):
                vectors = open_vectors()
            files = health.recorded_files(docs, vectors) | {str(Path(p).resolve()) for p in paths}
            if docs is not None:
                docs.close()
            health.reset(s, open_client(s))
        for part in ("index", "retriever", "ask_chain"):
            self.__dict__.pop(part, None)
        if not files:
            raise AssistantError("nothing to rebuild from: neither store recorded a file; name the folders to "
                                 "ingest: `assistant rebuild corpus/`")
        present = sorted(f for f in files if Path(f).exists())
        report = self.ingest(present, progress=progress, prune=False)
        report.failed.update({f: "gone from disk: not rebuilt" for f in sorted(files) if not Path(f).exists()})
        return report

    def with_settings(self, **update: Any) -> Assistant:
        """A new `Assistant` with some settings changed, sharing the already loaded parts it can.

        A part (embedder, index, chat model) is shared when none of the settings groups it is built from
        changed; retrieval and the ask chain are rebuilt (cheap). Invalid values raise `ConfigError`
        with a readable message.
        """
        settings = load_settings(**{**self.settings.model_dump(), **update})
        changed = settings.changed_groups(self.settings)
        llm = _UNSET if "llm" in changed else self.__dict__.get("llm", self._llm)
        new = Assistant(settings=settings, llm=llm)
        for part, groups in _SHARED_PARTS.items():
            if part in self.__dict__ and not changed & groups:
                new.__dict__[part] = self.__dict__[part]
        return new

    def warm(self, query: bool = True) -> None:
        """Load the models now, and have the local chat model evaluate its answer prompt's fixed part (system
        prompt and worked example), so the first question waits for neither: its first token 8.1 s -> 2.1 s
        (docs/benchmarks.md). The evaluated state is kept under the cache dir, so a later process loads it in
        16 ms instead of evaluating it for 4 s. With `query`, one search runs too, so retrieval's models have
        run once (a server's first question), and the second opinion's judge evaluates its own fixed prompt in
        its own context (the first sentence judged then takes ~0.4 s instead of ~0.85 s); a process about to
        ask its one question skips both. A remote chat model is not called."""
        if query:
            self.retrieve("warm-up", 1)  # the embedder, the index, the keyword index and the reranker
        _ = self.ask_chain
        if isinstance(self.llm, LlamaCppChat):  # its state after the fixed part is kept under the cache dir
            self.llm.warm(messages("", []), self.settings.cache_dir / "prompt-state")
            if query and self.settings.second_opinion:
                ModelOpinion(self.llm).probability("", "")  # the judge's fixed part, evaluated once

    def warm_in_background(self) -> threading.Thread:
        """`warm` in a daemon thread, for a server that starts before its first question (the chat UI, the
        MCP server). A question asked meanwhile waits for the model as it would have anyway; a failure is
        logged here and reported properly by the first question."""
        def run() -> None:
            try:
                self.warm()
            except Exception as exc:  # the first question reports it with its own message
                log.warning("warm-up failed: %s", exc)

        thread = threading.Thread(target=run, name="assistant-warm-up", daemon=True)
        thread.start()
        return thread

    def retrieve(self, query: str, k: int = 5) -> list[Passage]:
        return self.retriever.passages(query, k)

    def ask(self, question: str, history: History = None, previous: Answer | None = None,
            config: RunnableConfig | None = None) -> Answer:
        """Answer `question`; `previous` (the last turn's Answer) lets its cited passages be reused."""
        return last_answer(self.stream(question, history, previous, config))

    def stream(self, question: str, history: History = None, previous: Answer | None = None,
               config: RunnableConfig | None = None) -> Iterator[Event]:
        """Answer `question`, yielding the standalone query, the passages, tokens, then the `Answer`.

        `config` is LangChain's (callbacks, tags, run name): every step of the chain reports to it.
        """
        inputs = {"question": question, "history": _normalise_history(history), "previous": previous}
        yield from self.ask_chain.stream(inputs, config)


def _normalise_history(history: History) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for h in history or []:
        if isinstance(h, dict):
            out.append({"role": str(h.get("role", "user")), "content": str(h.get("content", ""))})
        else:
            user, bot = h
            out += [{"role": "user", "content": str(user)}, {"role": "assistant", "content": str(bot or "")}]
    return [h for h in out if h["content"]]
