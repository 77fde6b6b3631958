"""Bridge questions (issue #17, multi-hop): a sentence whose fact is in one passage and whose name for the
thing asked about is in another is cited to both (`answer.compose._bridged`), and the gate lets the passage that
names it into the prompt (`answer.policy.bridge`). Real checker, real passages (made up here)."""

from __future__ import annotations

from assistant.answer import policy
from assistant.answer.compose import assemble
from assistant.domain import Passage
from assistant.text import split_sentences
from assistant.verify.second import ModelOpinion, confirms
from tests.fakes import ScriptedChat

FIRE = ("The plugs-out test began on the morning of March 3, 1971, and was plagued with problems. During a hold in "
        "the countdown, an electrical fire began in the cabin and spread quickly. The crew could not be rescued "
        "before the hatch was opened.")
NAME = ("Holt, Varga and Ense decided to name their flight Orion 1 as a motivational focus on the first crewed "
        "flight. They trained at the Kessel Space Center.")
OTHER = "The harbour was dredged to a depth of 12 metres in March. The work took six weeks."
QUESTION = "On what date did the fire that killed the crew of Orion 1 break out?"


def _passage(text: str, n: int, score: float = 0.6, relevance: float = 0.9) -> Passage:
    return Passage(f"d{n}:0-{len(text)}", f"d{n}", text, 0, len(text), score, relevance=relevance,
                   sentences=tuple(split_sentences(text)))


def test_a_sentence_needing_two_passages_cites_both() -> None:
    answer = "The fire that killed the crew of Orion 1 broke out on March 3, 1971. [1]"
    ans = assemble(QUESTION, answer, [_passage(FIRE, 1), _passage(NAME, 2)], None)
    assert not ans.refused, ans.decision
    assert [c.number for c in ans.sentences[0].citations] == [1, 2]
    assert "March 3, 1971" in ans.sentences[0].citations[0].quote
    assert "Orion 1" in ans.sentences[0].citations[1].quote
    # Without the passage that names the flight, nothing supports it.
    assert assemble(QUESTION, answer, [_passage(FIRE, 1), _passage(OTHER, 2)], None).refused


def test_no_bridge_for_a_fact_the_question_does_not_give() -> None:
    # "Kessel Space Center" is in the other passage, but the question never names it: no bridge.
    answer = "The fire that killed the crew of Orion 1 broke out on March 3, 1971 at the Kessel Space Center. [1]"
    assert assemble(QUESTION, answer, [_passage(FIRE, 1), _passage(NAME, 2)], None).refused
    # Nor for a year: another year's snippet is no bridge.
    asked = "Which fire of 1972 killed the crew of Orion 1?"
    moved = "The fire of 1972 that killed the crew of Orion 1 began in the cabin during a hold in the countdown. [1]"
    year = "The Orion 1 review was published in 1972."
    assert assemble(asked, moved, [_passage(FIRE, 1), _passage(year, 2)], None).refused


def test_the_gate_lets_in_the_passage_that_names_what_the_question_names() -> None:
    fire, name, other = _passage(FIRE, 1), _passage(NAME, 2, 0.3, 0.3), _passage(OTHER, 3, 0.2, 0.1)
    relevant, refusal = policy.gate([fire, other, name], 0.4, 0.8, QUESTION)
    assert refusal is None and relevant == [fire, name]
    # A question whose names the relevant passages already hold gets them alone.
    relevant, _ = policy.gate([fire, other, name], 0.4, 0.8, "When did the fire in the cabin break out?")
    assert relevant == [fire]


def test_the_judge_reads_each_cited_passage() -> None:
    # The premise veto asks about "killed", which neither passage says. The judge reads the best two sentences of
    # each cited passage: of both passages as one text it read two, the date and the name, and not the fire's
    # sentence (on the XQuAD Apollo 1 answer: P(yes) 0.61, under the line, and the answer was refused).
    judge = ScriptedChat(reply="yes")
    claim = "The fire that killed the crew of Orion 1 broke out on March 3, 1971."
    assert confirms(ModelOpinion(judge), [FIRE, NAME], claim)
    prompt = str(judge.prompts[0][-1].content)
    assert "March 3, 1971" in prompt and "name their flight Orion 1" in prompt and "Kessel" in prompt
    ans = assemble(QUESTION, claim + " [1]", [_passage(FIRE, 1), _passage(NAME, 2)], None,
                   opinion=ModelOpinion(ScriptedChat(reply="yes")))
    assert not ans.refused and [c.number for c in ans.sentences[0].citations] == [1, 2]
