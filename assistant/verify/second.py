"""A second opinion for borderline sentences: the chat model asked whether the evidence says the claim.

The lexical checker (`grounding.py`) reads shared words, numbers and names; it misses paraphrase
("the UN Office at Geneva" for "the UNOG"). A sentence it scores in the borderline band
[`LOW`, `grounding.THRESHOLD`) is shown to the chat model beside the few sentences of the passage that
best match it (`prompts/verify_*.md`); "yes" keeps it. The lexical checker keeps its veto where it is
sure (`grounding.hard_conflict`: a number the evidence lacks, a negation flip, a misattributed
speaker), so the model is never asked to wave a wrong number through. The local model is read for
P(yes) from its first reply token and must reach `CONFIDENCE`; any OpenAI-compatible model is asked the
same and read for a leading "yes".

It is also asked, as a veto, about a sentence the checker accepts that repeats words of the question
its evidence never uses (`restated`): the shape of a false premise restated as fact. Unconfirmed, the
sentence is dropped.

What it does not do: it is not asked about other sentences the checker accepts (those stand) or scores
below `LOW` (those are dropped); it does not rewrite sentences. Each call costs one short prompt
(about 150 tokens, 1-3 s with the local model on 2 cores).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from assistant import prompts
from assistant.text import content_words, one_word, split_sentences
from assistant.verify import grounding

LOW = 0.1  # below this the sentence shares too little with any passage to be worth a model call
WINDOW = 2  # evidence sentences shown to the model (tuned with CONFIDENCE on the fit split)
CONFIDENCE = 0.7  # P(yes) the local model must reach (tuned on the fit split by evals/fit_opinion.py)

SecondOpinion = Callable[[str, str], bool]  # (evidence, claim) -> supported


def borderline(score: float) -> bool:
    return LOW <= score < grounding.THRESHOLD


def evidence_window(passage: str, claim: str, size: int = WINDOW) -> str:
    """The `size` sentences of `passage` that best match `claim`, in passage order: shared content words,
    discounted by the square root of the sentence's length (a long headline-and-paragraph blob shares
    many words with anything)."""
    spans = split_sentences(passage) or [(0, len(passage))]
    words = set(content_words(claim))

    def match(i: int) -> float:
        sentence = content_words(passage[slice(*spans[i])])
        return len(words & sentence) / math.sqrt(len(sentence) + 1)

    ranked = sorted(range(len(spans)), key=lambda i: -match(i))
    return " ".join(passage[slice(*spans[i])].strip() for i in sorted(ranked[:size]))


class ModelOpinion:
    """`SecondOpinion` from a LangChain chat model. The local model is read for P(yes) (its first-token
    scores of "yes" and "no") and must reach `confidence`; any other model is asked for one word, and
    a leading "yes" counts."""

    def __init__(self, llm: Any, confidence: float = CONFIDENCE) -> None:
        self.llm = llm
        self.confidence = confidence

    def probability(self, evidence: str, claim: str) -> float:
        """P(yes) for the local model; 1.0 / 0.0 for a reply that does / does not start with yes."""
        from langchain_core.messages import HumanMessage, SystemMessage

        from assistant.backends.llama import LlamaCppChat

        loaded = prompts.load()
        messages = [SystemMessage(loaded["verify_system"].render()),
                    HumanMessage(loaded["verify_user"].render(evidence=evidence, claim=claim))]
        if isinstance(self.llm, LlamaCppChat):
            return float(self.llm.yes_probability(messages))
        reply = self.llm.invoke(messages, max_tokens=2)
        return 1.0 if re.match(r"\W*yes\b", str(reply.content), re.IGNORECASE) else 0.0

    def __call__(self, evidence: str, claim: str) -> bool:
        return self.probability(evidence, claim) >= self.confidence


def restated(question: str, claim: str, evidence: str) -> set[str]:
    """Words the claim takes from the question that the evidence never uses: a premise of the question
    repeated as fact ("50 countries signed a letter *criticising* China" when they signed one supporting it)."""
    have, asked = content_words(evidence), content_words(question)
    return {w for w in content_words(claim) if not w.isdigit() and len(w) >= 3  # "won" counts
            and any(one_word(w, q) for q in asked) and not any(one_word(w, h) for h in have)}


def confirms(opinion: SecondOpinion, passage: str | Sequence[str], claim: str) -> bool:
    """The model's answer on `claim` against the sentences of `passage` that best match it (of each passage, for
    a claim cited to several: a bridge's date in one and its name in the other)."""
    passages = [passage] if isinstance(passage, str) else passage
    return opinion(" ".join(evidence_window(p, claim) for p in passages), claim)


def second_opinion(opinion: SecondOpinion | None, passage: str, claim: str, score: float) -> bool:
    """Whether `opinion` rescues a borderline `claim` against `passage` (never past a hard conflict)."""
    if opinion is None or not borderline(score) or grounding.hard_conflict(passage, claim):
        return False
    return confirms(opinion, passage, claim)
