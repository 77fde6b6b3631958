"""What the chat model is shown: the answer prompt with numbered passages and one worked example, the
condense prompt for follow-ups (all rendered from `prompts/`), and the passages that fit the prompt's
token budget (`pack`), optionally cut to their best sentences (`focus`), or shown without their
publisher when an answer took the header's publisher for the passage's words (`names_publisher`,
`unsourced`). It calls no model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant import prompts, tokens
from assistant.answer.citations import number_passages
from assistant.domain import Passage
from assistant.text import lexical_overlap


def pack(passages: Sequence[Passage], budget: int, question: str = "", passage_tokens: int = 0) -> list[Passage]:
    """The leading passages that fit the prompt's token budget (at least one), each cut by `focus`
    to `passage_tokens` when that is set (fewer prompt tokens: a faster first token on a CPU)."""
    passages = [focus(p, question, passage_tokens) for p in passages] if passage_tokens else list(passages)
    return passages[: tokens.pack([p.text for p in passages], budget)]


def focus(passage: Passage, question: str, max_tokens: int) -> Passage:
    """The passage cut to the run of consecutive sentences, within `max_tokens`, that best matches the question.

    Grows from the sentence with the most question words, adding whichever neighbour matches more.
    Offsets stay exact (the result is still `document.text[char_start:char_end]`). A passage that
    already fits, or has no sentence offsets, is returned unchanged.
    """
    spans = list(passage.sentences)
    if max_tokens <= 0 or len(spans) < 2 or tokens.count(passage.text) <= max_tokens:
        return passage
    score = [lexical_overlap(question, passage.span_text(a, b)) for a, b in spans]
    lo = hi = max(range(len(spans)), key=lambda i: score[i])
    while True:
        options = [i for i in (lo - 1, hi + 1) if 0 <= i < len(spans)]
        if not options:
            break
        nxt = max(options, key=lambda i: score[i])
        a, b = spans[min(lo, nxt)][0], spans[max(hi, nxt)][1]
        if tokens.count(passage.span_text(a, b)) > max_tokens:
            break
        lo, hi = min(lo, nxt), max(hi, nxt)
    a, b = spans[lo][0], spans[hi][1]
    return replace(passage, text=passage.span_text(a, b),
                   char_start=a, char_end=b, sentences=tuple(spans[lo:hi + 1]))


def publisher(source: str) -> tuple[str, ...]:
    """The names an article's `source` metadata gives its publisher: the name before any comma, bracket or
    "citing" ("The Times of Central Asia" of "The Times of Central Asia (TCA), citing Xinhua and RFE/RL"),
    without a leading "The", and an abbreviation in brackets ("TCA"). Not the agencies it cites."""
    name = re.split(r",|\(|\bciting\b", source, maxsplit=1)[0].strip()
    short = re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    names = [name, short, *re.findall(r"\(([A-Z][\w/&.-]{1,12})\)", source)]
    return tuple(dict.fromkeys(n for n in names if len(n) > 1))


def names_publisher(answer: str, passages: Sequence[Passage]) -> bool:
    """Whether `answer` names the publisher of a shown passage (its header's source, `publisher`): read by a
    model that took the header's metadata for what the passage says ("The Times of Central Asia reported the
    estimate", where the passage says "..., RFE/RL reported")."""
    names = {n for p in passages for n in publisher(p.source)}
    return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", answer) for n in names)


def unsourced(passages: Sequence[Passage]) -> list[Passage]:
    """The passages without their source, so that their headers name no publisher (title and date stay)."""
    return [replace(p, source="") for p in passages]


def messages(question: str, passages: Sequence[Passage], rejected: str = "") -> list[BaseMessage]:
    """The answer prompt; with `rejected` (an answer the checker turned down), that answer and the request to
    answer again from the passages follow it (a second try: the prompt up to there is the first try's, so the
    model evaluates only the new turn)."""
    p = prompts.load()
    turns = [AIMessage(rejected), HumanMessage(p["answer_retry"].render())] if rejected else []
    return [SystemMessage(p["answer_system"].render()),
            HumanMessage(p["example_user"].render()), AIMessage(p["example_answer"].render()),  # one worked example
            HumanMessage(p["answer_user"].render(passages=number_passages(passages), question=question)), *turns]


def condense_messages(question: str, history: Sequence[dict[str, str]]) -> list[BaseMessage]:
    turns = "\n".join(f"{'User' if h['role'] == 'user' else 'Assistant'}: {h['content']}" for h in history[-6:])
    return [HumanMessage(prompts.load()["condense"].render(history=turns, question=question))]
