"""Does a sentence answer what was asked? The question-reading rules the refusal policy uses as evidence.

What it does: `is_non_answer` (the sentence says the sources do not tell), `answers_nothing` (it repeats the
question, `says_nothing_new`; it is cut off; it is about another year than the one asked), `misses_the_year`
(the question's year is nowhere in the sentence's evidence), `misses_the_attribute` (the attribute a "What is
the X of Y?" question asks for is nowhere in it), and the readings they share: `asked_years`, `stated_years`,
`asked_attribute`, `is_polar` (a yes/no question, not a choice).

What it does not do: no model and no scores: these are rules over words. It does not decide what the
assistant does with a sentence that fails one (`policy.py`, `compose.py`), and it cannot tell a sentence
that answers in other words from one about a neighbouring event (RGB noise; docs/evals.md).
"""

from __future__ import annotations

import re

from assistant.text import YEAR, content_words, one_word, stem

_NON_ANSWER = re.compile(r"\b(i (?:do not|don't) know|not (?:mentioned|stated|provided|specified)|"
                        r"(?:passages|sources|context) do(?:es)? not (?:contain|say|mention|provide))\b", re.I)


def is_non_answer(sentence: str) -> bool:
    """The sentence says the sources do not tell ("I don't know", "not mentioned in the passages")."""
    return bool(_NON_ANSWER.search(sentence))


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_CHOICE = re.compile(r"\bor\b", re.I)  # "A or B?": the answer names one of the question's own options
_POLAR = re.compile(r"^\W*(?:is|are|was|were|do|does|did|can|could|has|have|had|will|would|should)\b", re.I)


_REFLEXIVE = frozenset(stem(w) for w in "himself herself itself themselves".split())  # "... is Walter Camp himself."


def says_nothing_new(question: str, sentence: str) -> bool:
    """The sentence only repeats words of the question ("Tesla Q2 2020 revenue." for "What was Tesla's
    revenue in Q2 2020?", a headline the model copied): no answer in it, however well its passage supports
    it. Never for a yes/no question or one that offers a choice ("A or B?"): those are answered in their own
    words. Words the question quotes (a headline it asks about) are not its own: an answer may repeat them.
    A reflexive pronoun adds nothing ("The Walter Camp Award winner in 2017 is Walter Camp himself.")."""
    if _POLAR.match(question) or _CHOICE.search(question):
        return False
    named = _QUOTED.sub(" ", question)  # 'What does “<a headline>” report?': the headline is its subject
    return not content_words(sentence) - content_words(named) - _REFLEXIVE


_DANGLING = frozenset("a an the of to at from and or than".split())  # not "that", "in", "on": "after that."
_CUT = re.compile(r"(\w+)\W*?(?:\.\s?\.\s?\.?|\u2026)\s*$")  # "... the Austrian author...": a snippet's cut
_BOUND = re.compile(rf"\b(?:before|after|prior to|since|until|till|by|between|from|through)\s+(?:the\s+)?"
                    rf"(?:(?:early|late|mid|end of)\s+)?{YEAR.pattern}(?:\s+and\s+{YEAR.pattern})?", re.I)


def answers_nothing(question: str, sentence: str) -> bool:
    """A sentence that cannot answer the question, however well its passage supports it: it only repeats
    the question (`says_nothing_new`), it is cut off ("... came in at."; "The 2019 Nobel Prize in Literature was
    awarded to the Austrian author...", copied up to a web snippet's cut, but not "..., etc..."), or it is about
    another year than the one asked about ("Tesla Q2 2020 revenue." for Q1 2021; a year that bounds the answer,
    "prior to 2000", is not the year asked about, and a choice between years never counts), or it has no word a
    passage could support (a bare "No.": nothing in it for the checker to find)."""
    words = re.findall(r"\w+", sentence.lower())
    if not content_words(sentence) - {"yes", "no"}:
        return True
    asked, said = asked_years(question), set(YEAR.findall(sentence))
    other_year = bool(asked and said and not asked & said)
    cut = _CUT.search(sentence.strip())
    cut_off = bool(words and words[-1] in _DANGLING) or (cut is not None and cut.group(1).lower() != "etc")
    return says_nothing_new(question, sentence) or cut_off or other_year


def asked_years(question: str) -> set[str]:
    """The years the question asks about: not a year that bounds the answer ("prior to 2000"), and none when
    it offers a choice ("2019 or 2020?")."""
    return set() if _CHOICE.search(question) else stated_years(question)


def stated_years(text: str) -> set[str]:
    """The years `text` places something in: not those that only bound a time ("since 2018", "before 2000")."""
    return set(YEAR.findall(_BOUND.sub("", text)))


def misses_the_year(question: str, sentence: str, evidence: str) -> bool:
    """The question asks about a year that the sentence's evidence (the cited passages with their titles and
    dates) never mentions, and either the sentence names no year (it answers about something else: "The home
    of NFL Super Bowl LVII news, ticket, apparel & event info." for "Super Bowl 2021 location") or the
    evidence has a year the sentence leaves out (it borrowed the asked year from the question: "... its first
    victory in the 2021 Tour de France." from a snippet dated 2019 about the 2019 Tour; a missing year is one
    fact among many to the checker, which passed that sentence at 0.79). Evidence with no year of its own, or
    only the sentence's other years, leaves the call to the checker. A year the evidence names only as a bound
    is not one it places anything in (`stated_years`): "Elena Rybakina won the women's singles Wimbledon in 2018."
    from "Jul 9, 2022 ... Elena Rybakina won the women's singles final ... since 2018, was the youngest ...". A
    sentence with another year than the one asked is `answers_nothing`'s."""
    asked, cited = asked_years(question), stated_years(evidence)
    said = set(YEAR.findall(sentence))
    return bool(asked) and not asked & cited and (not said or bool(cited - said))


_ATTRIBUTE = re.compile(r"^\W*(?:what|which)\s+(?:is|was|are|were)\s+the\s+(?:[\w-]+\s+){0,2}?([a-z]+)\s+of\b"
                        r"(?!.*\b(?:called|known\s+as|named)\W*$)", re.I)  # not "What is the X of Y called?"
# Attributes a fact answers without naming them ("What is the date of X?": "X opened on May 1.").
_PLAIN_ATTRIBUTES = frozenset(stem(w) for w in """name title term word date day month year time period age number
    amount total count type kind sort form part role purpose reason cause place location site area size length
    height width depth distance price cost value rate percentage share speed weight score result goal estimate ratio
    range class""".split())


def asked_attribute(question: str) -> str | None:
    """The attribute a "What is the X of Y?" question asks for ("population" of "What is the population of
    Xinjiang?"), stemmed; None for other questions and for attributes a fact states without naming them
    (a date, a name, a size: `_PLAIN_ATTRIBUTES`)."""
    m = _ATTRIBUTE.match(question)
    attribute = stem(m[1]) if m else None
    return None if attribute is None or attribute in _PLAIN_ATTRIBUTES else attribute


def misses_the_attribute(question: str, sentence: str, evidence: str) -> bool:
    """The question asks for an attribute (`asked_attribute`) that neither the sentence nor its evidence (the
    cited passages with their titles) ever names: the sentence states another fact about the same subject
    ("An estimated 1 million ... of Xinjiang were being held ..." for "What is the population of Xinjiang?",
    supported at 0.96 by an article that never mentions a population). A sentence that names the attribute
    its evidence lacks is the premise veto's (`verify.second.restated`), not this rule's."""
    attribute = asked_attribute(question)
    if attribute is None:
        return False
    said = content_words(sentence) | content_words(evidence)
    return not any(one_word(attribute, w) for w in said)


def is_polar(question: str) -> bool:
    """A yes/no question ("Are the facilities schools?"), not one that offers a choice ("A or B?")."""
    return bool(_POLAR.match(question)) and not _CHOICE.search(question)
