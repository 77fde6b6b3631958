"""Answers made of the passages' own sentences, with no model: the extractive backend's answer, and what the
sources report when a yes/no question's yes or no is not supported.

`extractive_answer` picks the evidence sentences that best match the question (cosine and word overlap),
each cited to its passage; `reported_answer` keeps only sentences that say who says or reports what, one per
party. What it does not do: check its sentences (`compose.assemble` does, like any model's) or write a
sentence of its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer import relevance
from assistant.answer.attribution import is_attributed, name_stem, same_party, speaker
from assistant.answer.citations import Similarity, strip_markers
from assistant.domain import Passage
from assistant.injection import looks_like_instruction
from assistant.text import lexical_overlap


def extractive_answer(question: str, passages: Sequence[Passage], similarity: Similarity,
                      max_sentences: int = 3, min_score: float = 0.35, reported_only: bool = False) -> str:
    """An answer made of the passages' own sentences that best match the question, each cited (with
    `reported_only`, only sentences that say who says or reports what, from passages that name everyone
    the question names: `reported_answer`)."""
    names = {m.group(0).lower() for m in _NAME.finditer(question)} if reported_only else set()
    candidates: list[tuple[float, int, str]] = []
    for n, p in enumerate(passages, 1):
        if not all(re.search(rf"\b{name_stem(name)}", f"{p.title}\n{p.text}".lower()) for name in names):
            continue  # "Uyghurs" is named by "Uyghur", "Russia" by "Russian"
        texts = [p.span_text(a, b) for a, b in p.sentence_spans()]
        sims = similarity(question, texts)
        for t, s in zip(texts, sims, strict=True):
            if looks_like_instruction(t) or (reported_only and not is_attributed(t)):
                continue  # an instruction planted in an article is not an answer
            candidates.append((0.6 * s + 0.4 * lexical_overlap(question, t), n, t))
    candidates.sort(key=lambda c: -c[0])
    if reported_only:  # one statement per party: who says what, not one side said twice
        candidates = _one_per_party(candidates)
    picked = [c for c in candidates[:max_sentences] if c[0] >= min_score]
    if not picked:
        return "I don't know."
    # A sentence without end punctuation (a headline) gets a full stop, or re-splitting the answer would
    # merge it with the next picked sentence, possibly from another passage.
    # Markers inside article text ("[7]") are dropped: only this answer's own markers cite.
    return " ".join(f"{_closed(strip_markers(text))} [{n}]" for _, n, text in picked)


_NAME = re.compile(r"(?<=[\s“\"'(])[A-Z][a-z]+\b")  # a capitalised word after the first: "Xinjiang", "Russia"


def reported_answer(question: str, passages: Sequence[Passage], similarity: Similarity) -> str:
    """For a yes/no question whose yes or no the sources do not support ("Are the facilities schools?" when
    China says one thing and the UN another): the sentences that best match it among those that say who
    says, reports or estimates what (`attribution.is_attributed`), one per party (`attribution.same_party`:
    China's statement and the Chinese Mission's are one side's) and at most three, each cited, from passages
    that name everyone the question names (nothing about Russia answers "Did Russia sign the letter?"); ""
    when there are none. What the sources report, never a verdict."""
    text = extractive_answer(question, passages, similarity, max_sentences=3, reported_only=True)
    return "" if relevance.is_non_answer(text) else text


def _one_per_party(candidates: Sequence[tuple[float, int, str]]) -> list[tuple[float, int, str]]:
    """The candidates (best first) without a later statement of a party already heard; a statement whose
    speaker is not named counts as a party of its own."""
    heard: list[str] = []
    out = []
    for c in candidates:
        who = speaker(c[2])
        if who is not None:
            if any(same_party(who, h) for h in heard):
                continue
            heard.append(who)
        out.append(c)
    return out


def _closed(sentence: str) -> str:
    s = sentence.rstrip()
    return s if re.search(r"[.!?…][\"'”’)\]]*$", s) else s + "."
