"""The refusal policy: the one place that decides whether the assistant answers or refuses, and why.

Refusal is enforced in code, never left to the model:
1. before generation, `gate`: no retrieved passage is relevant enough (cosine similarity at least
   `min_score`, or the reranker's calibrated probability at least `min_relevance`, or
   `NAMED_RELEVANCE` for a passage with the acronyms the question asks about): refuse without
   calling the model, and say what was searched and how close the best passage came;
2. after verification, `verdict`: no sentence survived the checker (sentences that only say
   "I don't know", `is_non_answer`, or cannot answer the question, `answers_nothing`,
   `misses_the_year` and `misses_the_attribute`, never count as an answer; those rules are `relevance.py`'s):
   refuse and show the closest passages; some statements left out: a partial answer that says so;
3. `cover`: a question that asks several things (`question_parts.split_parts`) whose answer has no kept
   sentence for one of them: a partial answer that names the part left unanswered;
4. `try_again`: an answer whose every statement the checker rejected gets one second try, shown its rejected
   answer (`second_try` keeps the second answer only when it holds; one that `repeats` the rejected answer
   is stopped early); a rejected answer that named a passage's publisher is asked afresh from headers that
   name none (`prompting.names_publisher`; the decision says so);
5. `compared`: a comparison that `comparison.complete` concluded from both sides' quoted facts is an
   answer even when the model's own statements were all dropped, and a partial one when a kept
   statement contradicted the compared numbers and was left out.
Each decision is a typed `Decision` (outcome, reason code, one sentence) recorded on the `Answer`.
Whether a sentence is supported is decided by `assistant.verify`; this module only reads the verdicts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from assistant import prompts
from assistant.answer import relevance
from assistant.answer.citations import Similarity
from assistant.domain import Answer, Decision, Passage, Sentence
from assistant.text import (
    STOP_WORDS,
    WORD,
    YEAR,
    acronyms,
    content_words,
    lexical_overlap,
    one_word,
    split_clauses,
    stem,
)

NAMED_RELEVANCE = 0.5  # the reranker probability enough for a passage that has the acronym the question asks about


def gate(passages: Sequence[Passage], min_score: float, min_relevance: float,
         question: str = "") -> tuple[list[Passage], Decision | None]:
    """The passages relevant enough to answer from, and the decision to refuse when there are none.

    An acronym the question asks about ("What does OIC stand for?") embeds poorly: a passage that spells it
    out scored 0.26 cosine. A passage holding every acronym of the question needs only `NAMED_RELEVANCE`."""
    asked = acronyms(question)

    def named(p: Passage) -> bool:
        return bool(asked) and (p.relevance or 0.0) >= NAMED_RELEVANCE and asked <= acronyms(p.text)

    relevant = [p for p in passages if p.score >= min_score or (p.relevance or 0.0) >= min_relevance or named(p)]
    if relevant:
        return relevant + bridge(question, relevant, passages), None
    if not passages:
        return [], Decision("refuse", "empty_index", "the index is empty; ingest some articles first.")
    return [], Decision("refuse", "not_relevant", f"no passage is relevant enough (best similarity "
                        f"{max(p.score for p in passages):.2f}, needed {min_score:.2f}).")


_NAME = re.compile(r"(?:[A-Z][\w'’-]*|\d+)(?:\s+(?:[A-Z][\w'’-]*|\d+))*")  # "Apollo 1", "Vadim Pisarevich"


def bridge(question: str, relevant: Sequence[Passage], passages: Sequence[Passage]) -> list[Passage]:
    """The best-ranked other passage that names what the question names and the relevant passages never do
    (a bridge: the fire's passage never says "Apollo 1", the one that names the crew's flight ranks below the
    relevance line); none when they name it all. A name counts as missing only when none of its words is there
    ("Pisarevich" names "Vadim Pisarevich", "prize" the "Nobel Prize"), and a year is no name (another year's
    snippet is no bridge)."""
    have = content_words(" ".join(p.text for p in relevant))
    for name in _NAME.findall(YEAR.sub(" ", question.strip()).partition(" ")[2]):  # not its first word ("Whose")
        words = content_words(name)
        if not words or all(w.isdigit() for w in words) or words & have:
            continue
        for p in passages:
            if p not in relevant and words <= content_words(p.text):
                return [p]
    return []


def verdict(sentences: Sequence[Sentence], passages: Sequence[Passage], dropped: int, declined: int,
            assumed: Sequence[str] = ()) -> Decision:
    """Answer, partial answer or refusal, from the verified sentences: `dropped` statements the checker
    did not support were left out, `declined` sentences only said the sources do not tell; `assumed`, the
    question's words that every dropped statement repeated and the passages never use (the premise veto,
    `verify.second.restated`), makes a refusal say so: the question assumes what the passages do not say."""
    kept = sum(s.label != "unsupported" for s in sentences)
    if kept:
        if dropped:
            return Decision("partial", "some_unsupported", f"{dropped} statement{'s' if dropped > 1 else ''} "
                            "the sources do not support left out.")
        return Decision("answer", "supported", "every statement is supported by its cited passage.")
    if not passages:
        return Decision("refuse", "nothing_found", "nothing relevant was found.")
    if declined and not dropped and not sentences:
        return Decision("refuse", "model_declined", "the model found no answer in the closest passages.")
    if assumed:
        return Decision("refuse", "premise_unsupported", "the closest passages never say what the question "
                        f"assumes ({', '.join(assumed)}).")
    return Decision("refuse", "unsupported", "the closest passages do not support an answer.")


def unanswered_parts(parts: Sequence[str], sentences: Sequence[Sentence], similarity: Similarity | None,
                     margin: float = 0.05) -> list[str]:
    """The parts of a several-part question that no kept sentence answers. Each clause of a kept sentence
    (`split_clauses`: "A, and B" answers two) answers the parts it is most similar to (within `margin` of
    its best; word overlap without a `similarity`)."""
    if len(parts) < 2:
        return []
    covered: set[int] = set()
    for clause in (c for s in sentences if s.label != "unsupported" for c in split_clauses(s.text)):
        sims = similarity(clause, list(parts)) if similarity else [lexical_overlap(p, clause) for p in parts]
        covered |= {i for i, v in enumerate(sims) if v >= max(sims) - margin}
    return [p for i, p in enumerate(parts) if i not in covered]


def cover(answer: Answer, parts: Sequence[str], similarity: Similarity | None) -> Answer:
    """`answer`, made a partial answer that names the question's parts it leaves unanswered (a refusal and
    a one-part question stay as they are)."""
    missing = unanswered_parts(parts, answer.sentences, similarity) if not answer.refused else []
    if not missing:
        return answer
    named = " ".join(missing)
    detail = f"not answered: {named}" + (f" ({answer.decision.detail})" if answer.decision and
                                         answer.decision.outcome == "partial" else "")
    return replace(answer, text=f"{answer.text} (Not answered: {named})",
                   decision=Decision("partial", "part_unanswered", detail))


def compared(decision: Decision | None, refused: bool, contradicted: int) -> Decision | None:
    """The decision for a comparison concluded from its facts (see the module docstring, item 5)."""
    if refused:
        return Decision("answer", "compared", "the compared facts are quoted from the passages; the conclusion "
                        "follows from their numbers.")
    if contradicted:
        return Decision("partial", "some_unsupported", f"{contradicted} statement{'s' if contradicted > 1 else ''} "
                        "that the compared numbers contradict left out.")
    return decision


def try_again(answer: Answer) -> bool:
    """Whether the model gets a second try: it wrote statements and the checker rejected every one (a misread
    passage: "... in Kraków are of the same type ..." at 0.32 against the passage's sentence). Never when it
    found no answer itself ("I don't know"), when its statements only failed the premise veto (the question
    assumes what the passages never say, "premise_unsupported": asked again, the small model quoted a passage
    on another matter, "The passage states that ..."), or when no passage was relevant."""
    return _refused_for(answer, "unsupported")


def bridge_worth(answer: Answer, parts: Sequence[str], compared: object) -> bool:
    """Whether a refused answer may be a bridge question's (`bridge.py`): one question, not a comparison, refused
    because its statements were not supported or repeated what the passages never say."""
    return len(parts) == 1 and compared is None and _refused_for(answer, "unsupported", "premise_unsupported")


_META_OPENER = re.compile(r"^\s*the passages?\s+(?:states?|says?|mentions?|shows?)\s+(?:that\s+)?", re.I)
_NO_FACT = frozenset({"according"})  # "According to X ...": the fact is X
_ATTRIBUTION = re.compile(r"according\s+to\s+[^,.]{1,80},\s*")  # "according to the passage,", to a title


def repeats(rejected: str, text: str, question: str) -> bool:
    """Whether a second try, `text` so far, is the rejected answer again: past an opener that adds no fact
    ("The passage states that ..."), it has written the rejected answer's words up to and including the first
    word the question does not give (`committed`: "37" of "Ambassadors from 37 countries ..." for "How many
    countries' ambassadors ...?", "50" of "According to Xinhua, 50 countries ..."), word for word. Greedy decoding goes
    on as it began: over the quick slice's 21 logged second tries, the 17 that reached that word so went on to
    the same claim and none was kept (each was rejected again, as the first was); the one that was kept
    differed from its first word. So a repeating second try is stopped there and the first refusal stands,
    sooner. A try that restates the question and then differs is not stopped (the question's words commit it
    to nothing), nor is an attribution that differs: it can change what the checker supports."""
    said, again = _bare(rejected), _bare(text)
    end = committed(said, question)
    return bool(again) and len(again) >= end and again[:end] == said[:end]


@lru_cache(maxsize=16)  # asked once per token of a second try, with the same answer and question
def committed(answer: str, question: str) -> int:
    """How much of `answer` runs up to its first word that the question does not give (a stop word or
    "according" is none), with the character after it (so "37" is not "370"); all of it when every word is
    the question's. An opening attribution ("According to RGB noise snippet 017-00, ...", "According to the
    passage, ...") counts whole, and the first such word after it too: another title, or the same one with
    another claim, is another answer."""
    asked = content_words(question)
    opening = _ATTRIBUTION.match(answer)
    for m in WORD.finditer(answer, opening.end() if opening else 0):
        w = m.group(0).lower()
        if w in STOP_WORDS or w in _NO_FACT or any(one_word(stem(w), a) for a in asked):
            continue
        return min(len(answer), m.end() + 1)
    return len(answer)


def _bare(text: str) -> str:
    return _META_OPENER.sub("", text, count=1).lstrip().lower()


def _refused_for(answer: Answer, *reasons: str) -> bool:
    """A refusal whose decision gives one of `reasons`."""
    return answer.refused and answer.decision is not None and answer.decision.reason in reasons


_NAMED = "its first answer named the article's publisher"
_UNSOURCED = "asked again with no publisher in the passage headers"


def second_try(first: Answer, second: Answer, unsourced: bool = False) -> Answer:
    """The answer after a second try: the second answer when it holds (its decision says it came second, and
    whether it was asked with `unsourced` passage headers), else the first refusal as it was."""
    if second.refused or second.decision is None:
        return first
    return _noted(second, f"Second try: {_NAMED}; {_UNSOURCED}." if unsourced
                  else "Second try: the model's first answer was not supported by the passages.")


def repeated(first: Answer, unsourced: bool = False) -> Answer:
    """The first refusal after a second try that `repeats` it, its decision saying so."""
    return _noted(first, f"{_UNSOURCED.capitalize()} ({_NAMED}), the model began the same answer; it was stopped."
                  if unsourced else "Asked again, the model began the same answer; it was stopped.")


def _noted(answer: Answer, note: str) -> Answer:
    """`answer` with `note`, in brackets, after its decision's detail (as it is, without a decision)."""
    if answer.decision is None:
        return answer
    return replace(answer, decision=replace(answer.decision, detail=f"{answer.decision.detail} ({note})"))


def reported_instead(answer: Answer, question: str) -> bool:
    """Whether a refused yes/no answer should give way to what the sources report (`extractive.reported_answer`):
    the model's own yes or no was refused as unsupported, not for want of relevant passages. A contested
    question ("Are the facilities schools?") has no yes the sources support, only who says what; the
    reader, not the model, draws the conclusion."""
    return _refused_for(answer, "unsupported", "premise_unsupported") and relevance.is_polar(question)


def reported(decision: Decision | None) -> Decision:
    """The decision for an answer made of the passages' attributed statements instead of a yes or no."""
    return Decision("partial", "reported", "the sources do not support the model's yes or no; what they report "
                    "on it is quoted instead" + (f" ({decision.detail})" if decision and decision.outcome ==
                                                 "partial" else "") + ".")


def refusal_text(reason: str) -> str:
    return prompts.load()["refusal"].render(reason=reason)
