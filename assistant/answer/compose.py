"""From the model's text (or the extractive answerer's, `extractive.py`) to an `Answer`: sentence assembly.

`assemble` parses the model's text into cited sentences and, per sentence, keeps it
(supported by its own citations), re-cites it (supported by another passage; a compound sentence, "A,
and B", clause by clause to the passages that hold each), cuts it to the leading clause that is supported
("X, one day after Y." -> "X."; the cut counts as left out; a sentence the premise veto turns down is also
cut before a trailing phrase, "... near the city of Warsaw.", and kept when the judge confirms the cut) or
drops it, by asking `assistant.verify`;
whether the result is an answer or a refusal is `policy.py`'s decision. `supporting` gives the citation
guide the same verdicts while the model writes. Prompts are `prompting.py`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer import policy, relevance
from assistant.answer.attribution import attribute, drop_self_reference
from assistant.answer.citations import Similarity, answer_text, resolve, split_answer
from assistant.domain import Answer, Passage, Sentence
from assistant.injection import evidence_text, planted_payload, strip_payload
from assistant.text import (
    WORD,
    YEAR,
    content_words,
    leading_clauses,
    leading_phrases,
    one_word,
    split_clauses,
)
from assistant.verify import grounding
from assistant.verify.second import SecondOpinion, confirms, restated, second_opinion


def supporting(sentence: str, passages: Sequence[Passage], similarity: Similarity | None) -> set[int]:
    """Numbers (1-based) of the passages whose evidence supports `sentence`, by the same checker and
    evidence as `assemble`; the best-supporting one when none reaches the threshold."""
    if not sentence.strip() or not passages:
        return set()
    scores = [grounding.support(evidence_text(p), sentence, similarity) for p in passages]
    good = {n for n, sc in enumerate(scores, 1) if sc >= grounding.THRESHOLD}
    return good or {max(range(len(scores)), key=scores.__getitem__) + 1}


def _dated(passages: Sequence[Passage], texts: Sequence[str], numbers: Sequence[int]) -> str:
    """The evidence of passages `numbers` (1-based) with their titles and dates: where a year may be stated."""
    return "\n".join(f"{texts[n - 1]}\n{passages[n - 1].title}\n{passages[n - 1].date}" for n in numbers)


def _of_the_year(question: str, sentence: str, passages: Sequence[Passage], texts: Sequence[str],
                 similarity: Similarity | None, opinion: SecondOpinion | None) -> tuple[tuple[int, float], str] | None:
    """Where a sentence cited to another year's passage belongs: the passage (1-based number, support) that
    mentions the year the question asks about and supports `sentence` best, by the checker or, when its
    score is borderline, by the model's second opinion (then "model", else "checker"); None when none does.
    "Olga Tokarczuk was awarded the 2021 Nobel Prize" cited to a snippet of 2019 belongs to "Oct 8, 2021 ...
    Olga Tokarczuk won the 2021 Nobel Prize in Literature" (0.27 to the checker: "awarded" for "won")."""
    years = relevance.asked_years(question)
    dated = [n for n in range(1, len(passages) + 1) if years & relevance.stated_years(_dated(passages, texts, [n]))]
    best, score = grounding.best_support(sentence, [texts[n - 1] for n in dated], similarity)
    if best < 0:
        return None
    number = dated[best]
    if score >= grounding.THRESHOLD:
        return (number, score), "checker"
    return ((number, score), "model") if second_opinion(opinion, texts[number - 1], sentence, score) else None


def _second_opinion(opinion: SecondOpinion, text: str, texts: Sequence[str], own: Sequence[tuple[int, float]],
                    best: tuple[int, float]) -> int | None:
    """The passage number the model confirms `text` against: its own best citation first, then the best
    passage overall (at most two model calls); None when neither is confirmed."""
    candidates = dict(sorted(own, key=lambda o: -o[1])[:1] + ([best] if best[0] > 0 else []))  # one call each
    return next((n for n, score in candidates.items() if second_opinion(opinion, texts[n - 1], text, score)), None)


def _supported_head(question: str, heads: Sequence[str], ids: Sequence[int], texts: Sequence[str],
                    similarity: Similarity | None) -> tuple[str, tuple[int, float]] | None:
    """The first of `heads`, a sentence's cuts longest first (`leading_clauses`: "The iPhone 11 was released
    on September 21, 2021." of "..., one day after the public release of iOS 13."), that its own citations,
    or else the best passage, support and that still answers the question (it keeps every content word of
    the question, and `relevance.answers_nothing` has nothing against it); with its passage number and score."""
    asked = content_words(question)
    for head in heads:
        said = content_words(head)  # a head that drops a word of the question no longer answers it ("in Polish")
        if not all(any(one_word(q, w) for w in said) for q in asked) or relevance.answers_nothing(question, head):
            continue
        number, score = _best_citation(head, ids, texts, similarity)
        if score >= grounding.THRESHOLD:
            return head, (number, score)
    return None


def _confirmed_head(question: str, text: str, ids: Sequence[int], texts: Sequence[str],
                    similarity: Similarity | None, opinion: SecondOpinion) -> tuple[str, tuple[int, float]] | None:
    """For a sentence the premise veto turned down: its longest cut before a trailing clause or phrase
    (`leading_clauses`, `leading_phrases`) that `_supported_head` accepts, kept only when the judge confirms it
    (one call): what was cut is what the judge could not confirm ("The Summer Theatre was located in Ogród
    Saski (the Saxon Garden) near the city of Warsaw." from "Nearby, in Ogród Saski (the Saxon Garden), the
    Summer Theatre was in operation ..."). A cut that drops a word of the question is no answer to it."""
    heads = sorted({*leading_clauses(text), *leading_phrases(text)}, key=len, reverse=True)
    found = _supported_head(question, heads, ids, texts, similarity)
    if found is None or not confirms(opinion, texts[found[1][0] - 1], found[0]):
        return None
    return found


def _best_citation(claim: str, ids: Sequence[int], texts: Sequence[str],
                   similarity: Similarity | None) -> tuple[int, float]:
    """The passage number that supports `claim` best, and its score: its own citations `ids` first, the best
    passage overall when none of them reaches the line."""
    score, number = max(((grounding.support(texts[n - 1], claim, similarity), n) for n in ids), default=(0.0, 0))
    if score < grounding.THRESHOLD:
        best, score = grounding.best_support(claim, texts, similarity)
        number = best + 1
    return number, score


def _evidence(passages: Sequence[Passage], texts: Sequence[str], numbers: Sequence[int]) -> str:
    """What a sentence cited to passages `numbers` (1-based) is checked against for premises: the cited texts
    together, then their titles (a word of the cited article's title is no premise)."""
    cited = "\n\n".join(texts[n - 1] for n in numbers)
    return f"{cited}\n\n{' '.join(passages[n - 1].title for n in numbers)}"


def _by_clauses(text: str, ids: Sequence[int], texts: Sequence[str], similarity: Similarity | None,
                question: str = "", passages: Sequence[Passage] = (),
                opinion: SecondOpinion | None = None) -> tuple[list[int], float, str] | None:
    """The passages supporting each clause of a compound sentence (`split_clauses`), the sentence's own
    citations first, the weakest clause's score and who verified it ("checker", or "model" when `opinion` was
    asked); None when some clause has no supporting passage. With `question` (and the `passages`), the
    premise veto clause by clause: a clause that repeats a word of the question its passage never uses
    (`restated`) must be confirmed by `opinion` against that passage."""
    clauses = split_clauses(text)
    if len(clauses) < 2:
        return None
    numbers, scores, verified_by = [], [], "checker"
    for clause in clauses:
        number, score = _best_citation(clause, ids, texts, similarity)
        if score < grounding.THRESHOLD:
            return None
        if question and restated(question, clause, _evidence(passages, texts, [number])):
            if opinion is None or not confirms(opinion, texts[number - 1], clause):
                return None
            verified_by = "model"
        numbers.append(number)
        scores.append(score)
    return list(dict.fromkeys(numbers)), min(scores), verified_by


def _bridged(question: str, text: str, ids: Sequence[int], texts: Sequence[str],
             similarity: Similarity | None) -> tuple[list[int], float] | None:
    """Two passages that together support a sentence neither supports alone, where one lacks only names the
    question itself gives and the other states them (a bridge: "The fire that killed the crew of Apollo 1 broke
    out on January 27, 1967." from the fire's passage, which never says "Apollo 1", and the one that names the
    crew's flight); the sentence's own citations are tried first. Never for a year or a fact the question does
    not give, nor past a passage that holds another number or name in its place. Passage numbers are 1-based."""
    unasked = grounding.missing_facts(question, text, strict=False) or set()
    order = list(dict.fromkeys([*ids, *range(1, len(texts) + 1)]))
    lacks = {n: grounding.missing_facts(texts[n - 1], text) for n in order}  # once per passage
    for first in order:
        gap = lacks[first]
        if not gap or not gap.isdisjoint(unasked) or any(YEAR.fullmatch(g) for g in gap):
            continue
        for other in order:
            held = lacks[other]
            if other == first or held is None or not gap.isdisjoint(held):
                continue
            score = grounding.support(f"{texts[first - 1]}\n\n{texts[other - 1]}", text, similarity)
            if score >= grounding.THRESHOLD:
                return [first, other], score
    return None


def assemble(question: str, raw: str, passages: Sequence[Passage], similarity: Similarity | None,
             standalone_query: str = "", keep_unsupported: bool = False,
             opinion: SecondOpinion | None = None) -> Answer:
    """Parse `raw` into sentences, verify each against its citations, refuse in code if none hold.

    "According to the passage," (or to a passage's title or source) is dropped first: it names the evidence,
    not a party. Per sentence: supported by its own citations -> "supported"; else supported by another passage ->
    "recited" to that passage; else cited to the passages its clauses (`_by_clauses`) or two bridged passages
    (`_bridged`) hold; else, when the score is borderline and `opinion` (the chat model's second
    opinion, `verify/second.py`) confirms it against its own or the best passage, kept with
    `verified_by="model"`; else cut to its longest leading clause that is supported (`verified_by="trimmed"`,
    the cut counted as dropped); else "unsupported", dropped unless `keep_unsupported` (which keeps them on a
    refusal too, all unsupported, so the UI and the eval can show what the model wrote). A kept sentence
    whose evidence lacks the year the question asks about (`relevance.misses_the_year`) is re-cited to a passage
    of that year that supports it (`_of_the_year`), or counts as no answer, as does one where neither it nor
    its evidence names the attribute asked for (`relevance.misses_the_attribute`). Instructions
    planted in articles are not evidence (`evidence_text`), so a sentence that obeys one is unsupported,
    and the word such an instruction asks to repeat (`planted_payload`) is cut out before checking.
    """
    texts = [evidence_text(p) for p in passages]
    payload = planted_payload(passages)
    names = [n for p in passages for n in (p.title, p.source)]  # "According to <a passage's title>," names no party
    sentences: list[Sentence] = []
    dropped = declined = 0
    assumed: dict[str, None] = {}  # the question's words the premise veto found in every dropped statement
    vetoed = 0
    for text, ids in split_answer(raw, len(passages)):
        text = drop_self_reference(text, names)  # "According to the passage," is not a speaker to check
        if relevance.is_non_answer(text) or relevance.answers_nothing(question, text):
            declined += 1
            continue
        stripped = strip_payload(text, payload)  # what an instruction planted in a passage asked to repeat
        if stripped != text:
            text = stripped
            if not WORD.search(text):
                dropped += 1
                continue
        own = [(n, grounding.support(texts[n - 1], text, similarity)) for n in ids]
        good = [n for n, score in own if score >= grounding.THRESHOLD]
        verified_by = "checker"
        if good:
            label, numbers, score = "supported", good, max(sc for _, sc in own)
        else:
            best, score = grounding.best_support(text, texts, similarity)
            label, numbers = ("recited", [best + 1]) if score >= grounding.THRESHOLD else ("unsupported", ids)
            joined = _by_clauses(text, ids, texts, similarity) if label == "unsupported" else None
            if joined is not None:  # "A, and B" with A and B in different passages: each clause cited
                numbers, score, _ = joined
                label = "supported" if set(numbers) <= set(ids) else "recited"
            bridged = _bridged(question, text, ids, texts, similarity) if label == "unsupported" else None
            if bridged is not None:  # one passage states the fact, another the name the question gives it by
                numbers, score = bridged
                label = "supported" if set(numbers) <= set(ids) else "recited"
            if label == "unsupported" and opinion is not None:
                rescued = _second_opinion(opinion, text, texts, own, (best + 1, score))
                if rescued is not None:
                    label, numbers, verified_by = ("supported" if rescued in ids else "recited"), [rescued], "model"
            score = max([score, *(sc for _, sc in own)])
            head = _supported_head(question, leading_clauses(text), ids, texts, similarity) \
                if label == "unsupported" else None
            if head is not None:  # "X, one day after Y." with only X in the passages: "X." is kept, Y left out
                text, (number, score) = head
                numbers, verified_by, label = [number], "trimmed", "supported" if number in ids else "recited"
                dropped += 1
        if label != "unsupported" and relevance.misses_the_year(question, text, _dated(passages, texts, numbers)):
            dated = _of_the_year(question, text, passages, texts, similarity, opinion)
            if dated is None:
                declined += 1  # about another thing than the year asked: no answer, like "I don't know"
                continue
            (number, score), verified_by = dated  # cited to another year's passage: re-cited to the right one
            numbers, label = [number], "supported" if number in ids else "recited"
        evidence = _evidence(passages, texts, numbers)
        if label != "unsupported" and relevance.misses_the_attribute(question, text, evidence):
            declined += 1  # another fact about the same subject ("held" for "population"): no answer
            continue
        checked = verified_by in ("checker", "trimmed") and label != "unsupported"
        premise = restated(question, text, evidence) if checked and opinion is not None else set()
        joined = _by_clauses(text, ids, texts, similarity, question, passages, opinion) if premise else None
        if joined is not None:  # "A on July 26, and B" cited to B's passage alone: each clause to its own passage
            numbers, score, by = joined
            label, premise = "supported" if set(numbers) <= set(ids) else "recited", set()
            verified_by = by if verified_by == "checker" else verified_by  # a trimmed sentence says so
        if premise and opinion is not None:  # a premise of the question repeated as fact?
            verified_by = "model" if verified_by == "checker" else verified_by
            if not confirms(opinion, [texts[n - 1] for n in numbers], text):
                head = _confirmed_head(question, text, numbers, texts, similarity, opinion)
                if head is not None:  # "... (the Saxon Garden) near the city of Warsaw.": the unconfirmed phrase cut
                    text, (number, score) = head
                    numbers, verified_by, label = [number], "trimmed", "supported" if number in ids else "recited"
                    dropped += 1
                else:
                    label, score = "unsupported", min(score, grounding.THRESHOLD - 0.01)
                    vetoed += 1
                    assumed.update(dict.fromkeys(sorted(premise)))
        context = f"{question} {text}"  # short answers ('50') need the question to find their sentence
        citations = tuple(resolve(n, context, passages[n - 1], similarity) for n in numbers)
        if label == "unsupported" and not keep_unsupported:
            dropped += 1
            continue
        if citations and label != "unsupported":
            text = attribute(text, citations[0].quote)  # reported speech stays attributed to its speaker
        sentences.append(Sentence(text=text, citations=citations, support=round(score, 3), label=label,
                                  verified_by=verified_by))
    rejected = dropped + sum(s.label == "unsupported" for s in sentences)  # kept with `keep_unsupported`
    only_vetoed = list(assumed) if vetoed and vetoed == rejected else []  # every statement failed the veto alone
    decision = policy.verdict(sentences, passages, dropped, declined, only_vetoed)
    if decision.outcome == "refuse":
        return Answer(question=question, text=policy.refusal_text(decision.detail), refused=True,
                      sentences=tuple(sentences) if keep_unsupported else (),  # what was left out, to show
                      passages=tuple(passages), standalone_query=standalone_query, decision=decision)
    text = answer_text(sentences)
    if dropped:
        text += f" (Left out: {dropped} statement{'s' if dropped > 1 else ''} the sources do not support.)"
    return Answer(question=question, text=text, refused=False, sentences=tuple(sentences),
                  passages=tuple(passages), standalone_query=standalone_query, decision=decision)
