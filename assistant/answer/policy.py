"""The refusal policy: the one place that decides whether the assistant answers or refuses, and why.

Refusal is enforced in code, never left to the model. Two gates:
1. before generation, `gate`: no retrieved passage is relevant enough (cosine similarity at least
   `min_score`, or the reranker's calibrated probability at least `min_relevance`): refuse without
   calling the model, and say what was searched and how close the best passage came;
2. after verification, `answer_refusal`: no sentence survived the checker (sentences that only say
   "I don't know", `is_non_answer`, never count as an answer): refuse and show the closest passages.
Whether a sentence is supported is decided by `assistant.verify`; this module only reads the verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant import prompts
from assistant.domain import Passage, Sentence

_NON_ANSWER = re.compile(r"\b(i (?:do not|don't) know|not (?:mentioned|stated|provided|specified)|"
                        r"(?:passages|sources|context) do(?:es)? not (?:contain|say|mention|provide))\b", re.I)


def is_non_answer(sentence: str) -> bool:
    """The sentence says the sources do not tell ("I don't know", "not mentioned in the passages")."""
    return bool(_NON_ANSWER.search(sentence))


def gate(passages: Sequence[Passage], min_score: float, min_relevance: float) -> tuple[list[Passage], str | None]:
    """The passages relevant enough to answer from, and the reason to refuse when there are none."""
    relevant = [p for p in passages if p.score >= min_score or (p.relevance or 0.0) >= min_relevance]
    if relevant:
        return relevant, None
    if not passages:
        return [], "the index is empty; ingest some articles first."
    return [], (f"no passage is relevant enough (best similarity {max(p.score for p in passages):.2f}, "
                f"needed {min_score:.2f}).")


def answer_refusal(sentences: Sequence[Sentence], passages: Sequence[Passage]) -> str | None:
    """Why the verified sentences are no answer (none kept), or None when they are one."""
    if any(s.label != "unsupported" for s in sentences):
        return None
    return "the closest passages do not support an answer." if passages else "nothing relevant was found."


def refusal_text(reason: str) -> str:
    return prompts.load()["refusal"].render(reason=reason)
