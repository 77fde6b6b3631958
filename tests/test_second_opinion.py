"""The chat model's second opinion on borderline sentences (`verify/second.py`), through the real seams:
`assemble` with a LangChain chat model (a fake standing in for the generating model, the one thing
faked) wrapped by `ModelOpinion`, the real grounding checker, real passages."""

from __future__ import annotations

from assistant.answer.compose import assemble
from assistant.domain import Passage
from assistant.text import split_sentences
from assistant.verify import grounding
from assistant.verify.second import LOW, ModelOpinion, evidence_window, restated, second_opinion
from tests.fakes import ScriptedChat

TEXT = ("The Velmor harbour was dredged to a depth of 12 metres in March. The port authority said the work "
        "took six weeks. Dredgers from Rotterdam removed 40,000 cubic metres of silt. Local fishermen had "
        "complained for years that their boats ran aground at low tide.")
PARAPHRASE = "Boats of the fishing community used to get stuck in the mud when the water was low [1]."
WRONG_NUMBER = "Dredgers from Rotterdam removed 90,000 cubic metres of silt over eight weeks [1]."


def _passage() -> Passage:
    return Passage(f"d:0-{len(TEXT)}", "d", TEXT, 0, len(TEXT), 0.9, sentences=tuple(split_sentences(TEXT)))


def test_the_paraphrase_is_borderline_for_the_checker() -> None:
    score = grounding.support(TEXT, PARAPHRASE.removesuffix(" [1]."))
    assert LOW <= score < grounding.THRESHOLD, score  # what the second opinion is for


def test_a_confirmed_borderline_sentence_is_kept_and_says_who_confirmed_it() -> None:
    judge = ScriptedChat(reply="yes")
    ans = assemble("What did fishermen complain about?", PARAPHRASE, [_passage()], None, opinion=ModelOpinion(judge))
    assert not ans.refused and len(ans.sentences) == 1
    s = ans.sentences[0]
    assert s.label == "supported" and s.verified_by == "model" and s.citations[0].number == 1
    assert "ran aground" in s.citations[0].quote
    prompt = str(judge.prompts[0][-1].content)
    assert "ran aground at low tide" in prompt and "Boats of the fishing community" in prompt


def test_a_rejected_borderline_sentence_is_dropped() -> None:
    ans = assemble("What did fishermen complain about?", PARAPHRASE, [_passage()], None,
                   opinion=ModelOpinion(ScriptedChat(reply="No.")))
    assert ans.refused


def test_the_model_is_never_asked_to_overrule_a_wrong_number() -> None:
    judge = ScriptedChat(reply="yes")
    ans = assemble("How much silt was removed?", WRONG_NUMBER, [_passage()], None, opinion=ModelOpinion(judge))
    assert ans.refused and not judge.prompts


def test_supported_sentences_cost_no_model_call() -> None:
    judge = ScriptedChat(reply="no")
    ans = assemble("How deep?", "The Velmor harbour was dredged to a depth of 12 metres in March [1].", [_passage()],
                   None, opinion=ModelOpinion(judge))
    assert not ans.refused and ans.sentences[0].verified_by == "checker" and not judge.prompts


def test_evidence_window_keeps_the_best_sentences_in_order() -> None:
    window = evidence_window(TEXT, "fishermen boats aground low tide port authority", size=2)
    assert window.startswith("The port authority") and window.endswith("at low tide.")
    assert not second_opinion(None, TEXT, PARAPHRASE, 0.3)  # no opinion configured: nothing rescued


def test_a_restated_false_premise_needs_the_models_confirmation() -> None:
    """The checker accepts a sentence that copies its evidence but one word of the question; the word the
    evidence never uses ('criticising') sends it to the model, and without a confident yes it is dropped."""
    text = ("Ambassadors from 50 countries to the United Nations Office at Geneva have co-signed a letter to the "
            "President of the UN Human Rights Council to voice their support for China's position on issues related "
            "to Xinjiang, Xinhua reported.")
    passage = Passage(f"e:0-{len(text)}", "e", text, 0, len(text), 0.9, sentences=tuple(split_sentences(text)))
    question = "How many countries signed a letter criticising China's position on Xinjiang?"
    raw = "According to Xinhua, 50 countries signed a letter criticising China's position on Xinjiang [1]."
    assert grounding.support(text, raw.removesuffix(" [1].")) >= grounding.THRESHOLD  # the checker alone passes it
    doubtful = ScriptedChat(reply="no")
    assert assemble(question, raw, [passage], None, opinion=ModelOpinion(doubtful)).refused and doubtful.prompts
    sure = ScriptedChat(reply="yes")
    kept = assemble(question, raw, [passage], None, opinion=ModelOpinion(sure))
    assert not kept.refused and kept.sentences[0].verified_by == "model"
    plain = ScriptedChat(reply="no")  # a sentence that repeats nothing of the question the evidence lacks: not asked
    true = "According to Xinhua, ambassadors from 50 countries co-signed a letter to voice support for China [1]."
    ok = assemble("How many countries signed the letter?", true, [passage], None, opinion=ModelOpinion(plain))
    assert not ok.refused and not plain.prompts


def test_a_short_verb_of_the_question_counts_as_restated() -> None:
    """A draw that names a player is not evidence that she won: "won" (three letters) is a word of the
    question the evidence never uses, so the model is asked; the same claim against a result is not."""
    question = "Who won the Velmor Cup in 2019?"
    claim = "Ana Brel won the Velmor Cup in 2019."
    assert restated(question, claim, "Velmor Cup 2019, first round: Ana Brel and Mia Sato.") == {"won"}
    assert not restated(question, claim, "Ana Brel won the Velmor Cup in 2019, beating Mia Sato in the final.")


def test_a_vetoed_sentence_keeps_the_head_the_judge_confirms() -> None:
    """XQuAD's "Where was the Summer Theatre located?": the model added "near the city of Warsaw" to what its
    passage says ("Nearby, in Ogród Saski ..."); the premise veto asked the judge, which said no, and the answer
    was refused. The sentence cut before that phrase (`leading_phrases`) is checked and put to the judge
    once more; confirmed, it is kept, trimmed, and the cut counted as left out. A head the judge turns down too,
    or one that no longer answers ("The Summer Theatre was located."), leaves the refusal."""
    from itertools import chain, repeat

    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from assistant.text import leading_phrases

    text = ("Nearby, in the Velmor Gardens, the Summer Theatre was in operation from 1870 to 1939, and in the "
            "inter-war period the complex also included a literary cabaret.")
    passage = Passage(f"g:0-{len(text)}", "g", text, 0, len(text), 0.9, sentences=tuple(split_sentences(text)))
    question = "Where was the Summer Theatre located?"
    raw = "The Summer Theatre was located in the Velmor Gardens near the harbour [1]."
    assert grounding.support(text, raw.removesuffix(" [1].")) >= grounding.THRESHOLD  # the checker passes it

    def judge(*replies: str) -> GenericFakeChatModel:
        return GenericFakeChatModel(messages=chain((AIMessage(content=r) for r in replies), repeat(AIMessage("no"))))

    ans = assemble(question, raw, [passage], None, opinion=ModelOpinion(judge("no", "yes")))
    assert not ans.refused, ans.text
    assert [s.text for s in ans.sentences] == ["The Summer Theatre was located in the Velmor Gardens."]
    assert ans.sentences[0].verified_by == "trimmed" and "Left out: 1" in ans.text
    assert ans.decision is not None and ans.decision.reason == "some_unsupported"
    refused = assemble(question, raw, [passage], None, opinion=ModelOpinion(judge("no", "no")))
    assert refused.refused and refused.decision is not None and refused.decision.reason == "premise_unsupported"
    assert leading_phrases(raw.removesuffix(" [1].") + ".") == [
        "The Summer Theatre was located in the Velmor Gardens.", "The Summer Theatre was located."]
    assert leading_phrases("Tesla (born in Smiljan) died.") == []  # a cut inside brackets is no head
