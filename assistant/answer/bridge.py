"""A bridge question names a thing by what one passage says of it and asks what another says: "What did BSkyB
and the brand that NTL's services were re-branded as agree to terminate?". A small model answers by repeating
the description ("BSkyB and the brand that NTL's services were re-branded as agreed ..."), which the passage it
cites never states, so the premise veto refuses. This module holds the text side of answering in two steps:

- `description`: the description ("the brand that NTL's services were re-branded as": a determiner, a noun of
  at most three words, a relative word or a participle ("the film directed by"), and at least three more words)
  that the question gives and the rejected answer repeats word for word; None when there is none. A year the
  question gives by an event ("in the same year that the Greens won their first lower house seats":
  `year_description`) is one whatever the answer says.
- `name_question`: the first step's question ("Who or what is <description>?"; "In what year was it that the
  Greens won ...?").
- `named`: the name a checked answer to it gives (its first capitalised run the question does not give:
  "Virgin Media"; for a year, its first year the question does not give); None when it gives none (a
  description named by a common noun is not resolved).
- `resolved`: the question with the description replaced by the name, in the form the second step's best passage
  uses ("Lavoisier" where it never says "Antoine Lavoisier"). `asks_for`: whether the description is all the
  question asks about ("What is the name of <description>?"): then the first step's answer is the answer.
- `joined`: the two checked answers as one, the first step's sentences (the bridge, cited) before the second's,
  with the passages of both and the citations renumbered (or the first alone, when it answers the question).

The model calls, retrieval and checks are the chain's (`chain.py`); each step is checked like any answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answer.citations import answer_text
from assistant.domain import Answer, Decision, Passage, Sentence
from assistant.text import YEAR, content_words

_WORDS = re.compile(r"[\w'’.-]+")
_DETERMINERS = frozenset("the a an".split())
_NOT_IN_HEAD = _DETERMINERS | {"of", "and", "or"}
_RELATIVE = frozenset("that who whom whose which where".split())
_PREPOSITIONS = frozenset("in of at on by during from with under to for".split())
_IRREGULAR = frozenset("built made won held written known given taken shown sold bought led run drawn born chosen "
                       "told found begun".split())  # past participles without "-ed"
_AFTER_PARTICIPLE = frozenset("by in as at on from for with during under into after".split())
_NAME = re.compile(r"(?:[A-Z][\w'’.-]*|\d+)(?:\s+(?:[A-Z][\w'’.-]*|\d+|of|de|du|von|van|al))*(?<!\s(?:of|de|du))"
                   r"(?<!\s(?:von|van))(?<!\sal)")
_ASKING = frozenset(content_words("name called title known"))
# "the same year (that) <clause>", "the year (when) <clause>": a year given by an event, up to the clause's end;
# not "the year 1857", "the year before ...", "the year of ..."
_NOT_AN_EVENT = r"\d|(?:before|after|of|in|on|to|for|and|or|is|was|by|from|ago|later|earlier)\b"
_YEAR_GIVEN = re.compile(r"\bthe\s+(?:same\s+year(?:\s+(?:that|when|in\s+which|as))?"
                         r"|year(?:\s+(?:that|when|in\s+which))?)"
                         rf"\s+(?!{_NOT_AN_EVENT})(?P<event>[^?,;:]*\w)", re.I)
_YEAR_QUESTION = "In what year was it that "
_BEFORE_A_YEAR = frozenset("in during by of since until before after from".split())


def _tokens(text: str) -> list[re.Match[str]]:
    return list(_WORDS.finditer(text))


def _norm(word: str) -> str:
    return word.lower().strip(".'’")


def year_description(question: str) -> str | None:
    """The year `question` gives by an event ("the same year that the Greens won their first lower house seats in
    Victoria", "the year (when) the Rhine Gorge became ..."), to the end of its clause; None when it gives none."""
    m = _YEAR_GIVEN.search(question)
    return m[0] if m else None


def description(question: str, rejected: str) -> str | None:
    """The year the question gives by an event (`year_description`), else the longest description in `question`
    (a determiner, one to three head words, a relative word, optionally after a preposition: "in whose", or a
    participle, `_links`, and at least three words more) that `rejected` repeats word for word; only as much of it
    as `rejected` repeats. One with a relative word comes before one with a participle, which may be inside it."""
    year = year_description(question)
    if year is not None:
        return year
    q, said = _tokens(question), [_norm(m[0]) for m in _tokens(rejected)]
    best: tuple[bool, int, str] | None = None  # (by a relative word, length, text): a relative clause before a
    for i, m in enumerate(q):                   # participle ("the man whom ..." in "the company led by the man whom")
        if _norm(m[0]) not in _DETERMINERS:
            continue
        j = i + 1
        while j < len(q) and j - i <= 3 and not _links(q, i, j) and _norm(q[j][0]) not in _NOT_IN_HEAD:
            j += 1
        if j == i + 1 or j >= len(q):
            continue
        if _norm(q[j][0]) in _PREPOSITIONS and j + 1 < len(q) and _norm(q[j + 1][0]) in _RELATIVE:
            j += 1
        if not _links(q, i, j):
            continue
        length = _repeated(q, i, said)
        if length >= j - i + 4:  # the linking word and three words after it, at least
            text = question[m.start():q[i + length - 1].end()].rstrip(".,;:?")
            best = max(best or (False, 0, ""), (_norm(q[j][0]) in _RELATIVE, len(text), text))
    return best[2] if best else None


def _links(q: Sequence[re.Match[str]], i: int, j: int) -> bool:
    """Whether the question's word `j` joins the head after the determiner `i` to what describes it: a relative
    word ("the brand that"), or after a head word, a past participle before a preposition ("the university
    attended by"; lower-case, an "-ed" form or a common irregular one). Not an "-ing" form: "the original viking
    settlers", "a letter criticising China" (a false premise the veto refuses, not a thing to name)."""
    word = _norm(q[j][0])
    if word in _RELATIVE:
        return True
    if j == i + 1 or not q[j][0].islower():
        return False
    after = _norm(q[j + 1][0]) if j + 1 < len(q) else ""
    return (word.endswith("ed") or word in _IRREGULAR) and after in _AFTER_PARTICIPLE


def _repeated(q: Sequence[re.Match[str]], start: int, said: Sequence[str]) -> int:
    """How many of the question's words from `start` on the rejected answer repeats, in a row (its longest run)."""
    longest = 0
    for k in range(len(said)):
        n = 0
        while start + n < len(q) and k + n < len(said) and _norm(q[start + n][0]) == said[k + n]:
            n += 1
        longest = max(longest, n)
    return longest


def name_question(described: str) -> str:
    """The first step's question: "Who or what is <described>?", or for a year given by an event, "In what year was
    it that <the event>?"."""
    m = _YEAR_GIVEN.fullmatch(described)
    return f"{_YEAR_QUESTION}{m['event']}?" if m else f"Who or what is {described}?"


def named(answer: Answer, asked: str) -> str | None:
    """The name the checked answer to `asked` gives: the first capitalised run (or number with its name: "180
    Freeway") that has a content word `asked` does not, in its first kept sentence that repeats at least half of
    the content words of `asked` or says nothing but the name ("Norway."); None when it names nothing. Asked for a
    year (`name_question` of a year given by an event), the first year `asked` does not give."""
    known = content_words(asked)
    given = set(YEAR.findall(asked)) if asked.startswith(_YEAR_QUESTION) else None  # asked for a year
    for sentence in answer.sentences:
        said = content_words(sentence.text)
        names = [m[0] for m in _NAME.finditer(sentence.text)] if given is None else \
            [y for y in YEAR.findall(sentence.text) if y not in given][:1]
        only_a_name = len(names) == 1 and said <= content_words(names[0])  # "Norway. [1]"
        if sentence.label == "unsupported" or (2 * len(said & known) < len(known) and not only_a_name):
            continue  # a sentence about something else than what was asked names something else
        for name in names:
            words = content_words(name)
            if words and not words <= known:
                return re.sub(r"(?<=\w{3})\.$", "", name).removesuffix("'s").removesuffix("’s")  # "Lavoisier."
    return None


def resolved(question: str, described: str, name: str, passages: Sequence[Passage] = ()) -> str:
    """`question` with `described` replaced by `name`, in the form the best of `passages` (the first that uses any
    of its words) gives it: the longest run of its words that passage uses ("Lavoisier" for "Antoine Lavoisier",
    "Kublai" where it says "Kublai's early court"), so the model's answer keeps the passage's words."""
    words = name.split()
    runs = [" ".join(words[a:b]) for a in range(len(words)) for b in range(len(words), a, -1)]
    for p in passages:
        said = [r for r in runs if content_words(r) and _says(p.text, r)]
        if said:
            name = max(said, key=len)
            break
    start = question.lower().find(described.lower())
    if start < 0:
        return question
    before = question[:start].split()
    if _YEAR_GIVEN.fullmatch(described) and (not before or before[-1].lower() not in _BEFORE_A_YEAR):
        name = f"in {name}"  # "Which country joined the EU the same year that ...?": "... joined the EU in 1979?"
    return question[:start] + name + question[start + len(described):]


def _says(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is not None


def asks_for(question: str, described: str) -> bool:
    """Whether the description is the whole of what the question asks about ("What is the name of the freeway
    that ...?"): nothing but a word like "name" is left of it without the description."""
    start = question.lower().find(described.lower())
    rest = question[:start] + question[start + len(described):] if start >= 0 else question
    return not content_words(rest) - _ASKING


def joined(first: Answer, second: Answer | None, question: str, described: str, name: str) -> Answer:
    """One answer to `question` from the bridge's (`first`, about `described`) and the question's about `name`
    (`second`; None when the first answers it): the first's kept sentences, then the second's, with both answers'
    passages (the first's first, each once) and the second's citations renumbered to match."""
    last = second or first
    passages = list(first.passages)
    ids = [p.chunk_id for p in passages]
    for p in last.passages:
        if p.chunk_id not in ids:
            passages.append(p)
            ids.append(p.chunk_id)
    sentences: list[Sentence] = [s for s in first.sentences if s.label != "unsupported"] if second else []
    sentences += [replace(s, citations=tuple(replace(c, number=ids.index(c.chunk_id) + 1) for c in s.citations))
                  for s in last.sentences]
    before = answer_text(last.sentences)  # what the last answer adds after its sentences: "(Left out: ...)"
    text = answer_text(sentences) + (last.text[len(before):] if last.text.startswith(before) else "")
    detail = f"the question's “{described}” is {name}, cited" + ("; then answered about it." if second else ".")
    outcome = last.decision.outcome if last.decision is not None else "answer"
    return replace(last, question=question, text=text, sentences=tuple(sentences), passages=tuple(passages),
                   decision=Decision(outcome, "bridged", detail))
