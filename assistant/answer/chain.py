"""The ask path as one composed LangChain Runnable:

    condense -> retrieve (each part of the question, each side of a comparison) -> gate -> pack
    -> prompt | model -> verify -> compare (a comparison's facts and conclusion) -> cover

`build_ask_chain(parts)` composes it from the parts an `Assistant` holds. Its input is
`{"question", "history", "previous"}`; streaming it yields `Event`s: the standalone query, the
passages, the answer's tokens as the model writes them, then the checked `Answer`; when the checker rejected
every statement, a "retry" event (the rejected text) and the second try's tokens come before it, and a bridge
question's two steps after that (a "step" event with each step's question, then its tokens). Every step runs as
a child run of the chain, so LangChain callbacks and tracing see condense, the retriever, pack, the
prompt and model, and verify. The refusal decisions are `policy.py`'s; support is `assistant.verify`'s.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig, RunnableGenerator, RunnableLambda

from assistant.answer import bridge, policy
from assistant.answer.citations import Similarity
from assistant.answer.comparison import complete
from assistant.answer.compose import assemble
from assistant.answer.extractive import reported_answer
from assistant.answer.prompting import names_publisher, pack, unsourced
from assistant.answer.question_parts import comparison, search_queries, split_parts
from assistant.domain import Answer, Event, Passage
from assistant.errors import BackendUnavailable, is_unreachable
from assistant.retrieve.retriever import to_passage
from assistant.verify.second import SecondOpinion


@dataclass(frozen=True)
class AskParts:
    """What the chain is made of: the runnables, the checker's similarity, and the numbers it reads."""

    condense: Runnable[dict[str, Any], str]  # {"question", "history"} -> a standalone query
    retriever: BaseRetriever  # query -> Documents (`to_document`), with `k` and `extra` chunk ids
    answer: Runnable[dict[str, Any], str]  # {"question", "passages"} -> answer text with [n] markers (streams)
    similarity: Similarity
    k: int
    min_score: float
    min_relevance: float
    prompt_budget: int
    passage_tokens: int
    keep_unsupported: bool
    opinion: SecondOpinion | None = None  # the chat model's second opinion on borderline sentences
    second_try: bool = False  # ask the model again when the checker rejected its every statement


def build_ask_chain(parts: AskParts) -> Runnable[dict[str, Any], Event]:
    """The composed ask chain (stream it for `Event`s; its last event carries the `Answer`)."""

    def condense(x: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        state = {**x, "t0": time.perf_counter(), "timings": {}, "query": x["question"]}
        if x["history"]:
            query = parts.condense.invoke({"question": x["question"], "history": x["history"]}, config).strip()
            state["query"] = query or x["question"]
            state["timings"]["condense"] = time.perf_counter() - state["t0"]
        return state

    def retrieve(x: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        t = time.perf_counter()
        previous: Answer | None = x["previous"]
        extra = [c.chunk_id for c in previous.citations] if previous and x["history"] else []
        asked = split_parts(x["query"])
        compared = comparison(x["query"]) if len(asked) == 1 else None  # as `search_queries` reads it
        found = [parts.retriever.invoke(q, config, k=parts.k, extra=extra) for q in search_queries(x["query"])]
        x["timings"]["retrieve"] = time.perf_counter() - t
        ranked = [[to_passage(d) for d in docs] for docs in found]
        return {**x, "parts": asked, "comparison": compared, "passages": interleave(ranked, parts.k)}

    def packed(x: dict[str, Any]) -> tuple[list[Passage], list[Passage]]:
        shown = pack(x["relevant"], parts.prompt_budget, x["query"], parts.passage_tokens)
        whole = {p.chunk_id: p for p in x["relevant"]}
        return shown, [whole[p.chunk_id] for p in shown]  # what the model reads; the passages it came from

    def checked(x: dict[str, Any]) -> Answer:
        def check(raw: str) -> Answer:
            return assemble(x["question"], raw, x["packed"], parts.similarity, standalone_query=x["query"],
                            keep_unsupported=parts.keep_unsupported, opinion=parts.opinion)

        answer = check(x["raw"])
        if x["comparison"] is None and len(x["parts"]) == 1 and policy.reported_instead(answer, x["query"]):
            quoted = reported_answer(x["query"], x["packed"], parts.similarity)  # who says what, cited
            instead = check(quoted) if quoted else answer
            if not instead.refused:
                answer = replace(instead, text=f"{instead.text} (Not a yes or no: what the sources report, quoted.)",
                                 decision=policy.reported(instead.decision))
        if x["comparison"] is not None:  # each side's fact and the conclusion, from the cited numbers
            answer = complete(answer, x["comparison"], x["packed"])
        return policy.cover(answer, x["parts"], parts.similarity)

    step_pack = RunnableLambda(packed, name="pack")
    verify = RunnableLambda(checked, name="verify")

    def answer(inputs: Iterator[dict[str, Any]], config: RunnableConfig) -> Iterator[Event]:
        for x in inputs:
            yield from _answer(x, config, parts, step_pack, verify)

    return (RunnableLambda(condense, name="condense") | RunnableLambda(retrieve, name="retrieve")
            | RunnableGenerator(answer, name="answer")).with_config(run_name="ask")  # type: ignore[arg-type]


def _answer(x: dict[str, Any], config: RunnableConfig, parts: AskParts, step_pack: Runnable[dict[str, Any], Any],
            verify: Runnable[dict[str, Any], Answer]) -> Iterator[Event]:
    """gate -> pack -> prompt | model (streamed) -> verify [-> a second try when the checker rejected every
    statement: a "retry" event, the new tokens, verify], as events."""
    timings: dict[str, float] = x["timings"]
    passages: list[Passage] = x["passages"]
    yield Event("query", text=x["query"])
    yield Event("passages", passages=tuple(passages))
    relevant, refusal = policy.gate(passages, parts.min_score, parts.min_relevance, x["query"])
    if refusal is not None:
        yield Event("answer", answer=Answer(question=x["question"], text=policy.refusal_text(refusal.detail),
                                            refused=True, passages=tuple(passages), standalone_query=x["query"],
                                            timings=timings, decision=refusal))
        return
    # The model reads the packed passages (cut to their best sentences when `passage_tokens` is set); its
    # sentences are checked and cited against the whole passages, so a cut loses no evidence to the checker.
    shown, packed = step_pack.invoke({**x, "relevant": relevant}, config)
    t = time.perf_counter()
    raw: list[str] = []
    yield from _generate(parts, {"question": x["query"], "passages": shown, "evidence": packed}, config, raw,
                         lambda: timings.setdefault("first_token", time.perf_counter() - x["t0"]))
    timings["generate"] = time.perf_counter() - t
    t = time.perf_counter()
    draft = "".join(raw)
    answer = verify.invoke({**x, "raw": draft, "packed": packed}, config)
    timings["verify"] = time.perf_counter() - t
    again: list[str] = []
    if parts.second_try and policy.try_again(answer) and draft.strip():
        # The model's every statement was rejected: shown its answer, it answers once more from the passages;
        # an answer that named a passage's publisher (its header's metadata, not its words) is asked afresh
        # from passages whose headers name none.
        t = time.perf_counter()
        yield Event("retry", text=draft)
        fresh = names_publisher(draft, shown)
        tries = _generate(parts, {"question": x["query"], "passages": unsourced(shown) if fresh else shown,
                                  "evidence": packed, "rejected": "" if fresh else draft}, config, again, lambda: None)
        with contextlib.closing(tries):  # closed early, the model stops at its next token
            for event in tries:
                yield event
                if policy.repeats(draft, "".join(again), x["query"]):
                    answer = policy.repeated(answer, fresh)  # the rejected answer again: the refusal stands
                    break
            else:
                second = verify.invoke({**x, "raw": "".join(again), "packed": packed}, config)
                answer = policy.second_try(answer, second, fresh)
        timings["second_try"] = time.perf_counter() - t
    drafts = [draft, "".join(again)] if again else [draft]
    described = next(filter(None, (bridge.description(x["query"], d) for d in drafts)), None) \
        if parts.second_try and policy.bridge_worth(answer, x["parts"], x["comparison"]) else None
    if described is not None:  # the refused answer repeats the question's description of a thing: name it first
        t = time.perf_counter()
        answer = (yield from _bridge(x, config, parts, step_pack, verify, described, drafts[-1])) or answer
        timings["bridge"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - x["t0"]
    yield Event("answer", answer=replace(answer, timings=timings))


def _bridge(x: dict[str, Any], config: RunnableConfig, parts: AskParts, step_pack: Runnable[dict[str, Any], Any],
            verify: Runnable[dict[str, Any], Answer], described: str,
            rejected: str) -> Generator[Event, None, Answer | None]:
    """A bridge question answered in two checked steps (`bridge.py`): "Who or what is <described>?", then the
    question about the name that answer gives; the two answers joined, the bridge's sentence first. None (the
    refusal stands) when either step is refused or the first names nothing."""
    yield Event("retry", text=rejected)
    asked = bridge.name_question(described)
    yield Event("step", text=asked)
    first = yield from _step(x, config, parts, step_pack, verify, asked)
    name = bridge.named(first, asked) if first is not None and not first.refused else None
    if first is None or name is None:
        return None
    if bridge.asks_for(x["query"], described):  # "What is the name of <described>?": the first step answers it
        return bridge.joined(first, None, x["question"], described, name)
    cited = {c.chunk_id for c in first.citations}
    yield Event("token", text=" ")
    yield Event("step", text=(again := bridge.resolved(x["query"], described, name)))
    second = yield from _step(x, config, parts, step_pack, verify, again,
                              lambda packed: bridge.resolved(x["query"], described, name,
                                                             [p for p in packed if p.chunk_id not in cited]),
                              [p for p in first.passages if p.chunk_id in cited])
    if second is None or second.refused:
        return None
    return bridge.joined(first, second, x["question"], described, name)


def _step(x: dict[str, Any], config: RunnableConfig, parts: AskParts, step_pack: Runnable[dict[str, Any], Any],
          verify: Runnable[dict[str, Any], Answer], query: str,
          phrased: Callable[[list[Passage]], str] | None = None,
          known: Sequence[Passage] = ()) -> Generator[Event, None, Answer | None]:
    """One question of a bridge, searched, gated, answered and checked as a question of its own (`phrased`: the
    question the model is asked, from the passages found for `query`; `known`, passages the checker may also
    cite, after those the model reads: the first step's, which name the thing "Kublai Khan" where the second
    step's say "Kublai"); None when no passage is relevant."""
    found = [to_passage(d) for d in parts.retriever.invoke(query, config, k=parts.k)]
    relevant, refusal = policy.gate(found, parts.min_score, parts.min_relevance, query)
    if refusal is not None:
        return None
    shown, packed = step_pack.invoke({**x, "relevant": relevant, "query": query}, config)
    question = phrased(packed) if phrased is not None else query
    raw: list[str] = []
    yield from _generate(parts, {"question": question, "passages": shown, "evidence": packed}, config, raw,
                         lambda: None)
    have = {p.chunk_id for p in packed}
    packed = packed + [p for p in known if p.chunk_id not in have]  # for the checker only
    return verify.invoke({**x, "question": question, "query": question, "parts": (question,), "comparison": None,
                          "raw": "".join(raw), "packed": packed}, config)


def _generate(parts: AskParts, inputs: dict[str, Any], config: RunnableConfig, raw: list[str],
              first: Callable[[], object]) -> Generator[Event, None, None]:
    """Stream the model's answer to `inputs` as token events, collecting its text in `raw` (`first` is called
    at its first token); the model stops at its next token when the reader closes the stream."""
    cancel = threading.Event()  # set when the reader closes this stream: the model stops at its next token
    tokens = parts.answer.stream({**inputs, "cancel": cancel}, config)
    try:
        for token in tokens:
            if not raw:
                first()
            raw.append(token)
            yield Event("token", text=token)
    except GeneratorExit:
        # LangChain drains a closed stream's input for tracing, which would generate the whole abandoned answer:
        # stop the model first, then close
        cancel.set()
        tokens.close()  # type: ignore[attr-defined]  # a generator: LangChain's stream
        raise
    except Exception as exc:
        if not is_unreachable(exc):
            raise
        raise BackendUnavailable(f"the chat model could not be reached ({exc}); check "
                                 "ASSISTANT_LLM_BASE_URL or use ASSISTANT_LLM_BACKEND=extractive") from exc


def interleave(ranked: Sequence[Sequence[Passage]], k: int) -> list[Passage]:
    """The best passages of each part's search in turn (each part's first, then each part's second, ...),
    each passage once, at most `k` (or all of one search when the question has one part)."""
    if len(ranked) == 1:
        return list(ranked[0])
    out: dict[str, Passage] = {}
    for rank in range(max(map(len, ranked), default=0)):
        for found in ranked:
            if rank < len(found):
                out.setdefault(found[rank].chunk_id, found[rank])
    return list(out.values())[:k]


def last_answer(events: Sequence[Event] | Iterator[Event]) -> Answer:
    """The `Answer` that ends a stream of events."""
    answer = None
    for event in events:
        answer = event.answer or answer
    if answer is None:
        raise RuntimeError("the ask chain ended without an answer")
    return answer
