"""Questions that ask several things (#17): split into parts, each part searched, the part the answer
leaves out named. The real embedder, index and checker; a fake chat model through LangChain's interface."""

from __future__ import annotations

from pathlib import Path

from assistant import Assistant
from assistant.answer.policy import unanswered_parts
from assistant.answer.question_parts import split_parts
from assistant.domain import Sentence
from tests.test_pipeline import fake


def test_split_parts() -> None:
    assert split_parts("Which news agency reported the letter, and what did China's ambassador say?") == (
        "Which news agency reported the letter?", "What did China's ambassador say?")
    assert split_parts("Who is Vadim Pisarevich and what did Jamshed Khamidov say?") == (
        "Who is Vadim Pisarevich?", "What did Jamshed Khamidov say?")
    assert split_parts("Who chairs the council? When did the UN give its estimate") == (
        "Who chairs the council?", "When did the UN give its estimate?")
    for one in ("Who won the cup and when?", "Who was born first, Tom Jones or Elvis Presley?",
                "What do the ambassadors commend China for?", "Did France and Germany sign the letter?", ""):
        assert split_parts(one) == (one,)


def test_the_part_no_sentence_answers_is_named(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive")
    parts = split_parts("Which news agency reported the letter, and what did China's ambassador say?")
    ambassador = Sentence(text="China's Ambassador to the UNOG Chen Xu rebuked Western nations.", label="supported")
    agency = Sentence(text="Xinhua news agency reported the letter on July 27.", label="supported")
    assert unanswered_parts(parts, [ambassador], a.similarity) == [parts[0]]
    assert unanswered_parts(parts, [agency], a.similarity) == [parts[1]]
    assert unanswered_parts(parts, [agency, ambassador], a.similarity) == []
    assert unanswered_parts(parts, [agency, ambassador], None) == []  # word overlap without an embedder
    dropped = Sentence(text="Xinhua news agency reported the letter.", label="unsupported")
    assert unanswered_parts(parts, [ambassador, dropped], a.similarity) == [parts[0]]
    assert unanswered_parts(parts[:1], [], a.similarity) == []  # one part: nothing to name


def test_each_part_is_searched_and_a_missing_part_is_named(seeded_copy: Path) -> None:
    question = "Who is Vadim Pisarevich and what did Jamshed Khamidov say?"
    reply = ("Jamshed Khamidov said his government opposes any attempts to use the Human Rights Council for "
             "particular political purposes [1].")
    chat = fake(reply)
    a = Assistant(seeded_copy, llm=chat)
    ans = a.ask(question)
    texts = [p.text for p in ans.passages]
    assert any("Pisarevich, deputy permanent representative" in t for t in texts), texts
    assert any("Khamidov" in t for t in texts), texts
    assert not ans.refused and ans.decision is not None
    assert (ans.decision.outcome, ans.decision.reason) == ("partial", "part_unanswered"), ans.decision
    assert ans.text.endswith("(Not answered: Who is Vadim Pisarevich?)"), ans.text


def test_split_clauses() -> None:
    from assistant.text import split_clauses

    assert split_clauses("The letter was first sent on July 12, and 50 countries' ambassadors co-signed it.") == [
        "The letter was first sent on July 12", "50 countries' ambassadors co-signed it."]
    for whole in ("The countries come from Asia, Africa, and Europe.", "He came, and he went.",
                  "Chen Xu spoke on July 26."):
        assert split_clauses(whole) == [whole]


def test_a_compound_sentence_is_checked_and_cited_clause_by_clause(seeded_copy: Path) -> None:
    """Each clause of "A, and B" is supported by a different passage: kept, and cited to both; a false
    clause still drops the sentence."""
    question = "How many countries' ambassadors co-signed the letter, and when was the joint letter first sent?"
    true = "The joint letter was first sent on July 12, and 50 countries' ambassadors co-signed it [1]."
    false = "The joint letter was first sent on July 12, and 80 countries' ambassadors condemned it [1]."
    # the checker alone (the second opinion would ask this fake model too)
    a = Assistant(seeded_copy, llm=fake(true), second_opinion=False)
    ans = a.ask(question)
    assert not ans.refused and len(ans.sentences) == 1, ans.text
    quotes = [c.quote for c in ans.sentences[0].citations]
    assert any("July 12" in q for q in quotes) and any("50 countries" in q for q in quotes), quotes
    for c in ans.citations:
        assert a.index.document(c.doc_id).text[c.char_start:c.char_end] == c.quote
    assert ans.decision is not None and ans.decision.outcome == "answer", ans.decision  # both parts answered
    b = Assistant(seeded_copy, llm=fake(false), second_opinion=False)
    assert b.ask(question).refused


def test_a_compound_sentence_cited_to_one_passage_is_cited_clause_by_clause(seeded_copy: Path) -> None:
    """The model's "A, and B" cited to B's passage alone: the checker passes it as a whole (most of its words are
    B's), but it repeats words of the question ("Chen", "press conference") that B's passage never uses, so the
    premise veto would ask the judge about all of it against B and refuse the answer. Clause by clause, each
    clause is cited to the passage that holds it, and only the clause that restates the question ("held") is put
    to the judge, against its own passage; when the judge says no, the sentence is still not kept."""
    from assistant.answer.compose import assemble
    from assistant.verify.second import ModelOpinion
    from tests.fakes import ScriptedChat

    question = ("When did Chen Xu hold a press conference, and how many people did the United Nations estimate "
                "were held?")
    a = Assistant(seeded_copy, llm_backend="extractive")
    passages = a.retrieve(question, 4)
    un = next(n for n, p in enumerate(passages, 1) if "an estimated 1 million" in p.text)
    press = next(n for n, p in enumerate(passages, 1) if "press conference on July 26" in p.text)
    answer = ("Chen Xu held a press conference on July 26, and the United Nations estimated that 1 million ethnic "
              "Uyghurs and other mostly Muslim indigenous people of Xinjiang were being held in what it described as "
              f"“counterextremism centers” in northwestern China, RFE/RL reported. [{un}]")
    judge = ScriptedChat(reply="yes")
    ans = assemble(question, answer, passages, a.similarity, opinion=ModelOpinion(judge))
    assert not ans.refused, ans.decision
    assert ans.sentences[0].verified_by == "model"  # one clause was the judge's to confirm
    cited = {c.number: c.quote for c in ans.sentences[0].citations}
    assert sorted(cited) == sorted({press, un}), cited
    assert "July 26" in cited[press] and "1 million" in cited[un]
    for c in ans.sentences[0].citations:
        assert a.index.document(c.doc_id).text[c.char_start:c.char_end] == c.quote
    asked = [str(p[-1].content) for p in judge.prompts]
    assert asked and all("Statement: Chen Xu held a press conference on July 26\n" in q for q in asked), asked
    assert assemble(question, answer, passages, a.similarity, opinion=ModelOpinion(ScriptedChat(reply="no"))).refused
