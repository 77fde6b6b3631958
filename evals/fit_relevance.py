"""Measure, on a fit split, whether a check can tell an answer to the question from an answer about a
neighbouring event (issue #17 item 2, RGB noise). The split: RGB en_fact queries 50-99, which the eval's
answer runs (`--answers 50`) never ask. Each query is asked once against its counterfactual snippets
(answerable: the fake answer is right) and once against its noise snippets (to be refused); for every
answer the current pipeline gives, three scores of its first sentence and the passage it cites:

- `judge`: the local model's P(yes) that the passage states the sentence (the second opinion's prompt);
- `asks`: its P(yes) that the passage answers this exact question (same event, year, person);
- `cooccur`: the larger share, over the passage's sentences, of question words and of the answer's new
  words found together in one sentence.

    python -m evals.fit_relevance

Prints each answer's label and scores and each score's AUC (answered counterfactual with the right answer
against answered noise whose snippets do not state the real answer). Nothing is tuned or written: a score
worth a threshold would be tuned on this split, then reported on the eval's own items.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from langchain_core.messages import BaseMessage, HumanMessage

from assistant import Assistant
from assistant.backends.llama import LlamaCppChat
from assistant.domain import Answer
from assistant.settings import load_settings
from assistant.text import content_words, one_word, split_sentences
from assistant.verify.second import ModelOpinion, evidence_window

from . import metrics, sources
from .datasets import write_rgb
from .sources import locator_for

FIRST, LAST = 50, 100  # the queries the eval's answer runs never reach
ASKS = ("Question: {question}\n\nPassage: {evidence}\n\nDoes the passage answer this exact question (the same "
        "event, year, person and thing asked about)? Reply with one word: yes or no.")


def cooccur(question: str, sentence: str, passage: str) -> float:
    """The best sentence of `passage` by min(share of the question's words, share of the answer's new words)."""
    asked = set(content_words(question))
    new = {w for w in content_words(sentence) if not any(one_word(w, q) for q in asked)}
    best = 0.0
    for a, b in split_sentences(passage) or [(0, len(passage))]:
        words = set(content_words(passage[a:b]))
        share = [sum(any(one_word(x, y) for y in words) for x in group) / max(1, len(group)) for group in (asked, new)]
        best = max(best, min(share))
    return best


def cited_passage(answer: Answer) -> str:
    first = answer.sentences[0]
    for c in first.citations:
        for p in answer.passages:
            if p.doc_id == c.doc_id and p.char_start <= c.char_start < p.char_end:
                return p.text
    return first.citations[0].quote if first.citations else ""


def auc(good: list[float], bad: list[float]) -> float:
    return sum((g > b) + 0.5 * (g == b) for g in good for b in bad) / max(1, len(good) * len(bad))


def main() -> None:
    settings = load_settings()
    rgb = locator_for(settings).resolve(sources.RGB).path
    if rgb is None:
        raise SystemExit("RGB en_fact not found: set ASSISTANT_EVAL_DATA")
    lines = rgb.read_text(encoding="utf-8").splitlines()
    scores: dict[str, dict[str, list[float]]] = {"good": {}, "bad": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fit = root / "fit.json"
        fit.write_text("\n".join(lines[FIRST:LAST]) + "\n", encoding="utf-8")
        items = write_rgb(root / "rgb", fit)
        llm = None
        for kind in ("counterfactual", "noise"):
            a = Assistant(root / kind, settings=settings, **({"llm": llm} if llm is not None else {}))
            llm = a.llm
            if not isinstance(llm, LlamaCppChat):
                raise SystemExit("this measures the local model: set ASSISTANT_LLM_BACKEND=local")
            opinion = ModelOpinion(llm)
            a.ingest([root / "rgb" / kind], progress=False)
            for item in (i for i in items if i.dataset == f"rgb-{kind}"):
                answer = a.ask(item.question)
                if answer.refused or not answer.sentences or item.leaked:
                    continue
                if kind == "counterfactual" and not metrics.contains_answer(answer.text, item.answers):
                    continue  # a wrong answer to an answerable question: neither side of this comparison
                label = "good" if kind == "counterfactual" else "bad"
                sentence, passage = answer.sentences[0].text, cited_passage(answer)
                window = evidence_window(passage, sentence)
                asks: list[BaseMessage] = [HumanMessage(ASKS.format(question=item.question, evidence=window))]
                row = {"judge": opinion.probability(window, sentence), "asks": llm.yes_probability(asks),
                       "cooccur": cooccur(item.question, sentence, passage)}
                for name, value in row.items():
                    scores[label].setdefault(name, []).append(value)
                print(f"{label:<4} " + " ".join(f"{k} {v:.2f}" for k, v in row.items())
                      + f" | {item.question[:48]} | {answer.text[:70]}", flush=True)
    good, bad = scores["good"], scores["bad"]
    print(f"\n{len(next(iter(good.values()), []))} right answers (counterfactual), "
          f"{len(next(iter(bad.values()), []))} answers to noise")
    for name in good:
        print(f"AUC {name}: {auc(good[name], bad.get(name, [])):.2f}")


if __name__ == "__main__":
    main()
