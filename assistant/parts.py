"""How an `Assistant`'s heavy parts are built: lazily, once per assistant, from their settings group.

`built_once` is the thread-safe lazy attribute; `retriever` and `answer_runnable` assemble the
retrieval stack and the prompt-and-model runnable from the settings groups and the already built
embedder, index and chat model. Nothing here runs a query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, overload

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answer.citations import Similarity
from assistant.answer.compose import supporting
from assistant.answer.extractive import extractive_answer
from assistant.answer.grammar import citation_grammar
from assistant.answer.prompting import condense_messages, messages
from assistant.backends.embedding import SentenceEmbeddings
from assistant.backends.llama import LlamaCppChat
from assistant.backends.models import grammar_kwargs
from assistant.domain import Passage
from assistant.retrieve.bm25 import KeywordIndex
from assistant.retrieve.rerank import CrossEncoderReranker, FeatureReranker
from assistant.retrieve.retriever import PassageRetriever
from assistant.settings import AnswerSettings, RetrieveSettings, StoreSettings
from assistant.store.index import Index

T = TypeVar("T")


class built_once(Generic[T]):  # lower case: used as a decorator, like cached_property
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
    def __get__(self, instance: None, owner: type | None = None) -> built_once[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | built_once[T]:
        if instance is None:
            return self
        cache = instance.__dict__
        if self.name not in cache:  # afterwards the instance attribute shadows this (non-data) descriptor
            with instance._build_lock:  # type: ignore[attr-defined]
                if self.name not in cache:
                    cache[self.name] = self.build(instance)
        return cache[self.name]


def retriever(s: RetrieveSettings, store: StoreSettings, index: Index,
              embedder: SentenceEmbeddings) -> PassageRetriever:
    """Dense + BM25 (unless `retrieval` says one of them), fused, reranked, diversified."""
    keyword = KeywordIndex(index, store.keyword_dir) if s.retrieval != "dense" else None
    reranker: FeatureReranker | CrossEncoderReranker | None = None
    if s.rerank:
        reranker = CrossEncoderReranker(s.reranker_model) if s.reranker_model else FeatureReranker(keyword)
    return PassageRetriever(index=index, embedder=embedder, keyword=keyword, reranker=reranker, k=s.k,
                            mode=s.retrieval, candidates=s.candidates, mmr_lambda=s.mmr_lambda,
                            recency_half_life_days=s.recency_half_life_days)


def citation_guide(passages: Sequence[Passage], evidence: Sequence[Passage],
                   similarity: Similarity | None) -> Callable[[str], set[int]]:
    """The numbers a sentence may cite (`backends.guide.CitationGuide`): the passages of the prompt (numbered as
    `passages`) whose evidence (`evidence`, the same passages whole) supports it. Never a number past the prompt's
    last: masking every number the grammar allows would leave llama.cpp no token to take, and it aborts the
    process (a bridge's second step once checked against one passage more than the model read)."""
    shown = list(evidence[:len(passages)])
    return lambda sentence: supporting(sentence, shown, similarity)


def answer_runnable(llm: BaseChatModel | None, s: AnswerSettings,
                    similarity: Similarity) -> Runnable[dict[str, Any], str]:
    """{"question", "passages"[, "evidence", "rejected"]} -> answer text with [n] markers: prompt | model | text,
    or the extractive answerer without a model. With "rejected" (an answer the checker turned down), the prompt
    asks for a second try after it (`prompting.messages`). With `constrain_citations`, a model that can take a
    grammar (the local one; an OpenAI-compatible server whose `llm_server_grammar` is set:
    `models.grammar_kwargs`) decodes under the citation grammar. Only the local model also limits each `[n]` it
    writes to passages that support the sentence (`backends.guide.CitationGuide`: logit masking, which a
    server's API has no way to take), judged against `x["evidence"]` (the whole passages, when the prompt shows
    them cut by `focus`), and stops at its next token when `x["cancel"]` (a `threading.Event`) is set."""
    if llm is None:
        return RunnableLambda(lambda x: extractive_answer(x["question"], x["passages"], similarity), name="extract")
    chat = llm

    def model(x: dict[str, Any]) -> Runnable[Any, Any]:
        passages, evidence = x["passages"], x.get("evidence", x["passages"])
        bound: Runnable[Any, Any] = chat
        grammar = citation_grammar(len(passages)) if s.constrain_citations and 0 < len(passages) < 10 else None
        kwargs = (grammar_kwargs(chat, grammar) if grammar else None) or {}
        if isinstance(chat, LlamaCppChat):
            if grammar:
                kwargs["cite_guide"] = citation_guide(passages, evidence, similarity)
            if x.get("cancel") is not None:
                kwargs["cancel"] = x["cancel"]  # set when the reader closes the stream (the UI's Stop)
        if kwargs:
            bound = chat.bind(**kwargs)
        return RunnableLambda(lambda _: messages(x["question"], passages, x.get("rejected", "")), name="prompt") | bound

    return RunnableLambda(model, name="prompt_and_model") | StrOutputParser()


CONDENSE_TOKENS = 80  # a standalone question is one sentence: a model that rambles on is cut here


def condense_runnable(llm: BaseChatModel | None) -> Runnable[dict[str, Any], str]:
    """{"question", "history"} -> a standalone query (without a model: the last user turn, then the question).
    The local model condenses in a context of its own (`backends/side.py`), keeping the answer prompt's."""
    if llm is None:
        return RunnableLambda(lambda x: _last_user(x["history"]) + " " + x["question"], name="condense")
    prompt: Runnable[dict[str, Any], Any] = RunnableLambda(lambda x: condense_messages(x["question"], x["history"]),
                                                           name="condense_prompt")
    model = llm.bind(task="condense", max_tokens=CONDENSE_TOKENS) if isinstance(llm, LlamaCppChat) else llm
    return prompt | model | StrOutputParser()


def _last_user(history: Any) -> str:
    return next((h["content"] for h in reversed(history) if h["role"] == "user"), "")
