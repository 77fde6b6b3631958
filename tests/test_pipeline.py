"""The answer path with LangChain's fake chat models standing in for the generator (same interface)."""

from __future__ import annotations

from itertools import chain, repeat
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult

from assistant import Assistant
from tests.fakes import RuledChat


def fake(*replies: str) -> GenericFakeChatModel:
    """A chat model that gives `replies` in turn, then its last reply again to any further prompt (asked for a
    second try, the local model most often repeats itself)."""
    return GenericFakeChatModel(messages=chain((AIMessage(content=r) for r in replies),
                                               repeat(AIMessage(content=replies[-1]))))


class NeverCalled(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "never"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        raise AssertionError("the model must not be called")


def test_cited_answer_resolves_to_exact_spans(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm=fake("Ambassadors from 50 countries co-signed the letter [1][2]. "
                                        "Pisarevich said nothing about Mars [9]."))
    q = "How many countries' ambassadors co-signed the letter?"
    passages = a.retrieve(q, a.settings.k)
    ans = a.ask(q)
    assert not ans.refused
    assert len(ans.sentences) == 1  # the unsupported, invalidly cited sentence is dropped
    s = ans.sentences[0]
    assert s.label in ("supported", "recited") and s.support is not None and s.support >= 0.5
    assert "[9]" not in ans.text
    for c in ans.citations:
        doc = a.index.document(c.doc_id)
        assert doc.text[c.char_start:c.char_end] == c.quote
        assert 1 <= c.number <= len(passages)
    assert any("50 countries" in c.quote for c in ans.citations)
    assert ans.citations[0].title.startswith("Ambassadors from 50") and ans.citations[0].date == "2019-07-27"


def test_unsupported_sentences_can_be_kept_and_flagged(seeded_copy: Path) -> None:
    reply = "Ambassadors from 50 countries co-signed the letter [1]. The French ambassador praised Paris [1]."
    kept = Assistant(seeded_copy, llm=fake(reply), show_unsupported=True).ask("Who co-signed the letter?")
    assert [s.label for s in kept.sentences][1] == "unsupported" and "(unsupported)" in kept.text
    dropped = Assistant(seeded_copy, llm=fake(reply)).ask("Who co-signed the letter?")
    assert len(dropped.sentences) == 1
    assert dropped.decision is not None and (dropped.decision.outcome, dropped.decision.reason) == \
        ("partial", "some_unsupported")


def test_a_refusal_shows_what_was_left_out_only_when_asked(seeded_copy: Path) -> None:
    """With "show unsupported sentences", a refusal keeps the statements it dropped (the UI lists them,
    the eval records what the model wrote); by default a refusal carries none."""
    from assistant.ui.render import answer_html

    reply = "The French ambassador praised Paris [1]."
    shown = Assistant(seeded_copy, llm=fake(reply), show_unsupported=True).ask("Who co-signed it?")
    assert shown.refused and [s.label for s in shown.sentences] == ["unsupported"]
    assert "Left out: The French ambassador praised Paris" in answer_html(shown)
    hidden = Assistant(seeded_copy, llm=fake(reply)).ask("Who co-signed it?")
    assert hidden.refused and not hidden.sentences and "Left out" not in answer_html(hidden)


def test_uncited_but_supported_sentence_is_recited(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm=fake("Chen Xu is China's Ambassador to the UNOG."))
    ans = a.ask("Who is Chen Xu?")
    assert not ans.refused and ans.sentences[0].label == "recited"
    assert "Chen Xu" in ans.citations[0].quote


def test_irrelevant_question_is_refused_without_calling_the_model(seeded_copy: Path) -> None:
    ans = Assistant(seeded_copy, llm=NeverCalled()).ask("What is the capital of Australia?")
    assert ans.refused and not ans.sentences and "relevant" in ans.text
    assert ans.decision is not None and ans.decision.reason == "not_relevant"


def test_a_passage_spelling_out_the_asked_acronym_passes_the_gate(seeded_copy: Path) -> None:
    """"What does OIC stand for?" was refused before the model was called: the passage that spells it out
    ("the OIC (Organization of Islamic Cooperation)") scores 0.26 cosine and 0.73 by the reranker."""
    reply = "OIC stands for the Organization of Islamic Cooperation [1]."
    ans = Assistant(seeded_copy, llm=fake(reply, "yes")).ask("What does OIC stand for?")  # "yes": the second opinion
    assert not ans.refused and "Organization of Islamic Cooperation" in ans.text, ans.text
    # An acronym the corpus does not hold opens nothing.
    assert Assistant(seeded_copy, llm=NeverCalled()).ask("What does NATO stand for?").refused


def test_model_saying_it_does_not_know_is_a_refusal(seeded_copy: Path) -> None:
    ans = Assistant(seeded_copy, llm=fake("I don't know.")).ask("What did the ambassadors write in the letter?")
    assert ans.refused and ans.passages
    assert ans.decision is not None and ans.decision.reason == "model_declined"  # the model, not the checker


def test_a_sentence_that_only_repeats_the_question_is_no_answer(seeded_copy: Path) -> None:
    """A headline copied from a passage ("Ambassadors from 50 countries at UN support China on Xinjiang")
    is supported, but says nothing the question did not: the model found no answer. A yes/no question
    may be answered in its own words (#17: relevance, not just support)."""
    from assistant.answer.relevance import answers_nothing, says_nothing_new

    headline = "Ambassadors from 50 countries at UN support China on Xinjiang [1]."
    question = "Why do ambassadors from 50 countries at the UN support China on Xinjiang?"
    ans = Assistant(seeded_copy, llm=fake(headline)).ask(question)
    assert ans.refused and ans.decision is not None and ans.decision.reason == "model_declined", ans.text
    assert not says_nothing_new("Do ambassadors from 50 countries support China?", "Yes, ambassadors from 50 "
                                "countries support China.")
    assert not says_nothing_new("Who signed, China or the UN?", "China signed.")
    assert not says_nothing_new("What does “Ambassadors from 50 countries at UN support China” report?",
                                "Ambassadors from 50 countries at UN support China.")  # the UI's example questions
    assert not says_nothing_new(question, "Ambassadors from 50 countries at UN support China on Xinjiang "
                                "because of its counter-terrorism measures.")
    assert says_nothing_new("Who is the Walter Camp Award winner in 2017?",  # an RGB noise answer
                            "The Walter Camp Award winner in 2017 is Walter Camp himself.")
    # A cut-off copy, or a sentence about another year than the one asked about, answers nothing either.
    asked = "How many ambassadors had joined the letter in July 2019?"
    assert answers_nothing(asked, "The number of ambassadors who had joined the letter came in at.")
    assert answers_nothing(asked, "In 2018, ambassadors from 37 countries signed a letter.")
    assert not answers_nothing(asked, "By July 26, 2019, ambassadors from 50 countries had joined.")
    assert not answers_nothing(asked, "By July 2019, 50 had joined, and more joined after that.")
    assert not answers_nothing("Which came first, the 2018 letter or the 2019 one?", "The 2018 letter came first.")
    assert not answers_nothing("When did Polonia win the championship prior to 2000?", "Polonia won it in 1946.")
    # Copied up to a web snippet's cut (RGB noise): the name the question asks for is past the "...".
    nobel = "Who was awarded the 2019 Nobel Prize in Literature?"
    assert answers_nothing(nobel, "The 2019 Nobel Prize in Literature was awarded to the Austrian author...")
    assert answers_nothing(nobel, "The 2019 Nobel Prize in Literature was awarded to the Austrian author \u2026")
    assert not answers_nothing(nobel, "The 2019 Nobel Prize in Literature was awarded to Peter Handke.")
    assert not answers_nothing("What can civil disobedience change?", "It can change customs, beliefs, etc...")


def test_a_sentence_that_misses_the_year_asked_about_is_no_answer(seeded_copy: Path) -> None:
    """A question about a year that neither the sentence nor its cited article (text, title, date) mentions
    is not answered by it: RGB noise's "Super Bowl 2021 location" got a snippet's supported "The home of NFL
    Super Bowl LVII news ..." (#17: relevance, not just support). The seed article is dated 2019-07-27."""
    from assistant.answer.relevance import misses_the_year

    said = "Ambassadors from 50 countries co-signed the letter [1]."
    late = Assistant(seeded_copy, llm=fake(said)).ask("Which ambassadors signed the letter in 2023?")
    assert late.refused and late.decision is not None and late.decision.reason == "model_declined", late.text
    right = Assistant(seeded_copy, llm=fake(said)).ask("Which ambassadors signed the letter in 2019?")
    assert not right.refused, right.text  # the article's date holds the year
    # The year borrowed from the question: RGB noise's "Who won the 2021 Tour de France?" got "After decades of
    # trying, a Colombian has finally won ..., its first victory in the 2021 Tour de France." from a 2019 snippet.
    tour = "Jul 30, 2019 ... After decades of trying, a Colombian has finally won the Tour de France."
    assert misses_the_year("Who won the 2021 Tour de France?", "A Colombian won the 2021 Tour de France.", tour)
    assert not misses_the_year("Who won the 2019 Tour de France?", "A Colombian won the 2019 Tour de France.", tour)
    # A snippet with no year of its own but the one the sentence repeats: the year is the sentence's, not borrowed.
    record = "U.S. set the record for most total medals at a single Winter Olympics with 39, surpassing the 37 of 2010."
    assert not misses_the_year("Which country won the most medals at the 2018 Winter Olympics?",
                               "The U.S. won the most medals at the 2018 Winter Olympics, surpassing 2010.", record)
    borrowed = Assistant(seeded_copy, llm=fake("In 2023, ambassadors from 50 countries co-signed the letter [1].")).ask(
        "Which ambassadors signed the letter in 2023?")
    assert borrowed.refused, borrowed.text
    assert not misses_the_year("Was it signed in 2019 or 2023?", "It was signed in July.", "")  # a choice
    assert not misses_the_year("Who won before 2000?", "Polonia won.", "")  # a bound, not the year asked
    assert misses_the_year("Super Bowl 2021 location", "The home of NFL Super Bowl LVII news.", "Super Bowl LVIII")
    # A year the evidence names only as a bound places nothing in it (RGB noise's 2022 snippet for 2018).
    final = ("Jul 9, 2022 ... Elena Rybakina won the women's singles final Wimbledon on Saturday ... since 2018, "
             "was the youngest women's finalist at Wimbledon since 2015 ...")
    asked = "Who won the women's singles Wimbledon in 2018?"
    assert misses_the_year(asked, "Elena Rybakina won the women's singles Wimbledon in 2018.", final)
    assert not misses_the_year(asked, "Elena Rybakina won the women's singles Wimbledon in 2018.",
                               final.replace("since 2018", "in 2018"))


def test_a_sentence_about_another_attribute_than_the_one_asked_is_no_answer(seeded_copy: Path) -> None:
    """The seed's "What is the population of Xinjiang?" got the supported "An estimated 1 million ethnic Uyghurs
    ... were being held ..." (0.96): the article never names a population, and the sentence does not either, so
    it is another fact about Xinjiang, not an answer (#17: relevance, not just support)."""
    from assistant.answer.relevance import asked_attribute, misses_the_attribute

    held = ("An estimated 1 million ethnic Uyghurs and other mostly Muslim indigenous people of Xinjiang were being "
            "held in what it described as \u201ccounterextremism centers\u201d in northwestern China [1].")
    population = Assistant(seeded_copy, llm=fake(held)).ask("What is the population of Xinjiang?")
    assert population.refused and population.decision is not None, population.text
    assert population.decision.reason == "model_declined"
    detained = Assistant(seeded_copy, llm=fake(held)).ask("How many Uyghurs were being held in Xinjiang?")
    assert not detained.refused, detained.text  # the same sentence answers what it says
    assert asked_attribute("What was the final score of the AFC Championship Game?") is None  # stated, not named
    assert asked_attribute("What is the section of the Rhine Gorge recognized by UNESCO called?") is None
    assert not misses_the_attribute("What is the population of Warsaw?", "Warsaw has 1.7 million inhabitants.",
                                    "Warsaw, population 1.7 million, ...")  # the evidence names it
    assert not misses_the_attribute("What is the population of Warsaw?", "The population of Warsaw is 1.7 million.",
                                    "Warsaw has 1.7 million inhabitants.")  # the premise veto's, not this rule's


def test_a_rejected_answer_gets_one_second_try(seeded_copy: Path) -> None:
    """XQuAD's "What percentage of Warsaw's population was Protestant in 1901?" got "5.4% ..." from a passage
    that says 2.8%: every statement rejected. Shown its answer and asked again, the model copied the census
    sentence (#17: the model's own refusals). The second answer is checked like the first; a second answer
    that fails too leaves the first refusal; "I don't know" is never asked again."""
    wrong = "Ambassadors from 37 countries co-signed the letter [1]."
    right = "Ambassadors from 50 countries co-signed the letter [1]."
    q = "How many countries' ambassadors co-signed the letter?"
    events = list(Assistant(seeded_copy, llm=fake(wrong, right)).stream(q))
    kinds = [e.kind for e in events]
    assert "retry" in kinds and kinds.index("retry") < len(kinds) - 1 and events[kinds.index("retry")].text == wrong
    ans = events[-1].answer
    assert ans is not None and not ans.refused and "50 countries" in ans.text, ans.text if ans else None
    assert ans.decision is not None and "Second try" in ans.decision.detail and "second_try" in ans.timings
    twice = Assistant(seeded_copy, llm=fake(wrong, "Ambassadors from 12 countries co-signed the letter [1].")).ask(q)
    assert twice.refused and twice.decision is not None and twice.decision.reason == "unsupported"
    assert "Second try" not in twice.decision.detail and "same answer" not in twice.decision.detail
    declined = Assistant(seeded_copy, llm=fake("I don't know.", right)).ask(q)  # never asked again
    assert declined.refused and declined.decision is not None and declined.decision.reason == "model_declined"
    off = Assistant(seeded_copy, llm=fake(wrong), second_try=False).ask(q)
    assert off.refused


def test_a_second_try_that_repeats_the_rejected_answer_is_stopped_early(seeded_copy: Path) -> None:
    """Asked again, the local model most often writes its rejected answer word for word, or behind "The passage
    states that" (the seed's "The Times of Central Asia (TCA) first reported the letter."): once it has written
    the rejected answer's first word that the question does not give ("37"), it is stopped and the first
    refusal stands (#20: a refusal sooner). A second try that restates the question and then answers
    otherwise, or that attributes the claim to another party, runs on."""
    from assistant.answer.policy import repeats

    wrong = ("Ambassadors from 37 countries to the United Nations Office at Geneva co-signed the letter to voice "
             "their support for China's position on issues related to Xinjiang [1].")
    q = "How many countries' ambassadors co-signed the letter?"
    for again in (wrong, "The passage states that " + wrong[0].lower() + wrong[1:]):
        events = list(Assistant(seeded_copy, llm=fake(wrong, again)).stream(q))
        kinds = [e.kind for e in events]
        second = "".join(e.text for e in events[kinds.index("retry") + 1:] if e.kind == "token")
        bare = second.replace("The passage states that ", "")
        assert again.startswith(second) and bare.lower().startswith("ambassadors from 37 ") and len(bare) < 30, second
        ans = events[-1].answer
        assert ans is not None and ans.refused and ans.decision is not None, ans
        assert ans.decision.reason == "unsupported" and "Second try" not in ans.decision.detail
        assert "began the same answer" in ans.decision.detail and "second_try" in ans.timings
    assert not repeats(wrong, "Ambassadors from 37", q)  # "370" would be another answer: one character more
    assert not repeats(wrong, "Ambassadors from 370", q)
    assert repeats(wrong, "Ambassadors from 37 ", q)
    assert not repeats(wrong, "Ambassadors from 50 countries to the United Nations", q)
    assert not repeats(wrong, "According to Xinhua, ambassadors from 37 countries to the United Nations", q)
    agency, tca = "Which news agency first reported the letter?", "The news agency that first reported it was TCA [1]."
    assert not repeats(tca, "The news agency that first reported it was", agency)  # the question's words only
    assert not repeats(tca, "The news agency that first reported it was Xinhua", agency)
    assert repeats(tca, "The news agency that first reported it was TCA [", agency)
    said = "According to Xinhua, 50 countries co-signed it [1]."
    assert not repeats(said, "According to TCA, 50", q) and repeats(said, "According to Xinhua, 50 ", q)
    assert not repeats(said, "According to Xinhua, 37", q)  # the same source, another claim
    titled = "According to RGB noise snippet 017-00, Emmanuel Macron won the election [1]."
    assert not repeats(titled, "According to RGB noise snippet 018-02, Joe", "Who won the election?")
    assert repeats(titled, "According to RGB noise snippet 017-00, Emmanuel ", "Who won the election?")
    diablo = "When was Diablo 3 released?"
    assert repeats("Diablo 3 was released in 2007 [2].", "Diablo 3 was released in 2007 [2].", diablo)
    assert not repeats("Diablo 3 was released in 2007 [2].", "Diablo 3 was released in 2012", diablo)


def test_an_answer_naming_the_articles_publisher_is_asked_again_without_it(seeded_copy: Path) -> None:
    """The seed's "Which outlet reported the United Nations estimate?": the local model named the article's
    publisher, which only the passage header gives ("The Times of Central Asia (TCA) reported ..."), where the
    passage says "..., RFE/RL reported." The checker rejected it; asked again with the rejected answer shown, it
    began the same answer. Now such an answer is asked afresh from passages whose headers name no publisher (the
    rule-following model below reads the header when it can), and that answer is checked like any other."""
    from assistant.answer.prompting import names_publisher, publisher, unsourced

    tca = "The Times of Central Asia (TCA), citing Xinhua and RFE/RL"
    assert publisher(tca) == ("The Times of Central Asia", "Times of Central Asia", "TCA")
    assert publisher("Wikipedia (XQuAD-en)") == ("Wikipedia", "XQuAD-en") and publisher("") == ()
    q = "Which outlet reported the United Nations estimate?"
    estimate = ("The United Nations said in August 2018 that an estimated 1 million ethnic Uyghurs and other mostly "
                "Muslim indigenous people of Xinjiang were being held in what it described as “counterextremism "
                "centers” in northwestern China, RFE/RL reported")
    tca_said = "The Times of Central Asia (TCA) reported the United Nations estimate"
    header = r"(?m)^\[\d\] \([^\n]*Times of Central Asia"  # a passage header that names the publisher
    model = RuledChat(rules=[(header, tca_said + " {cite:RFE}."),
                             (r"Question: Which outlet", estimate + " {cite:RFE}.")])
    a = Assistant(seeded_copy, llm=model)
    shown = a.retrieve(q, a.settings.k)
    assert names_publisher("TCA reported it [1].", shown) and names_publisher("The Times of Central Asia said", shown)
    assert not names_publisher("Xinhua and RFE/RL reported it [1].", shown)  # agencies it cites, not its publisher
    assert not names_publisher("ETCA reported it.", shown)  # a whole name only
    assert all(p.source == "" and p.title for p in unsourced(shown))
    events = list(a.stream(q))
    assert [e.text for e in events if e.kind == "retry"] == [tca_said + " [1]."]
    ans = events[-1].answer
    assert ans is not None and not ans.refused and "RFE/RL reported" in ans.text, ans
    assert ans.decision is not None and "named the article's publisher" in ans.decision.detail
    assert any("RFE/RL reported" in c.quote for c in ans.citations)
    # the answer the rejected one repeats: the refusal stands, saying how the model was asked again
    model.rules = [(r"Question: Which outlet", tca_said + " {cite:RFE}.")]
    again = Assistant(seeded_copy, llm=model).ask(q)
    assert again.refused and again.decision is not None and "no publisher in the passage headers" in \
        again.decision.detail, again.decision


def test_a_question_assuming_what_the_passages_never_say_gets_no_second_try(seeded_copy: Path) -> None:
    """The seed's "How many ambassadors withdrew their signatures from the letter?": "50 ambassadors withdrew
    ..." fails only the premise veto (the judge, here the fake's "no", does not confirm "withdrew"). The refusal
    names the assumption, and the model is not asked again: asked again, it quoted a passage on another matter
    ("The passage states that ...") that the checker supports."""
    q = "How many ambassadors withdrew their signatures from the letter?"
    other = "Ambassadors from 50 countries co-signed the letter [1]."
    ans = Assistant(seeded_copy, llm=fake("50 ambassadors withdrew their signatures from the letter [1].", "no",
                                          other)).ask(q)
    assert ans.refused and ans.decision is not None, ans.text
    assert ans.decision.reason == "premise_unsupported" and "withdrew" in ans.decision.detail, ans.decision
    shown = Assistant(seeded_copy, llm=fake("50 ambassadors withdrew their signatures from the letter [1].", "no",
                                            other), show_unsupported=True).ask(q)  # as the eval runs it
    assert shown.decision is not None and shown.decision.reason == "premise_unsupported", shown.decision


def test_a_sentence_cited_to_another_years_passage_is_recited_to_the_right_one(seeded_copy: Path) -> None:
    """RGB counterfactual's "Who was awarded the 2021 Nobel Prize in Literature?": the model cited a 2019 snippet
    for "... the 2021 Nobel Prize ..." while another passage states it with 2021. The sentence is kept, cited to
    that passage; with no passage of the asked year it is no answer."""
    from assistant.answer.compose import assemble
    from assistant.domain import Passage

    similarity = Assistant(seeded_copy).similarity
    old = ("Oct 10, 2019 ... Polish author Olga Tokarczuk and Abdulrazak Gurnah have been awarded the Nobel Prize "
           "for Literature.")
    new = "Olga Tokarczuk was awarded the 2021 Nobel Prize in Literature on October 7, the award-giving body said."
    passages = [Passage("a:0", "a", old, 0, len(old), 0.9, title="Nobel 2019", date="2019-10-10"),
                Passage("b:0", "b", new, 0, len(new), 0.8, title="Nobel", date="2021-10-08")]
    question = "Who was awarded the 2021 Nobel Prize in Literature?"
    said = "Olga Tokarczuk was awarded the 2021 Nobel Prize [1]."
    ans = assemble(question, said, passages, similarity)
    assert not ans.refused, ans.text
    assert [c.doc_id for c in ans.sentences[0].citations] == ["b"] and ans.sentences[0].label == "recited"
    alone = assemble(question, said, passages[:1], similarity)
    assert alone.refused and alone.decision is not None and alone.decision.reason == "model_declined", alone.text


def test_a_sentence_with_an_unsupported_last_clause_is_cut_to_what_the_sources_say(seeded_copy: Path) -> None:
    """RGB counterfactual's "When does the iPhone 11 release?": the model wrote "..., one day after the official
    public release of iOS 13.", which no passage says, and the whole answer was dropped. The supported head is
    kept and cited, the cut clause counted as left out; a head that no passage supports is still dropped, and
    the comma of a date is no clause boundary."""
    from assistant.answer.compose import assemble
    from assistant.domain import Passage
    from assistant.text import leading_clauses

    similarity = Assistant(seeded_copy).similarity
    text = "The iPhone 11 was released on September 21, 2021, alongside the iPhone 11 Pro."
    passages = [Passage("a:0", "a", text, 0, len(text), 0.9, title="iPhone 11")]
    question = "When does the iPhone 11 release?"
    ans = assemble(question, "The iPhone 11 was released on September 21, 2021, one day after the official "
                   "public release of iOS 13 [1].", passages, similarity)
    assert not ans.refused, ans.text
    assert [s.text for s in ans.sentences] == ["The iPhone 11 was released on September 21, 2021."]
    assert ans.sentences[0].verified_by == "trimmed" and ans.sentences[0].citations[0].doc_id == "a"
    assert ans.decision is not None and ans.decision.reason == "some_unsupported" and "Left out: 1" in ans.text
    wrong = assemble(question, "The iPhone 11 was released on May 3, 2020, one day after iOS 13 [1].", passages,
                     similarity)
    assert wrong.refused, wrong.text
    park = "The Saxon Garden is a public park in Warsaw."
    polish = assemble("What is the Saxon Garden in Polish?", "The Saxon Garden is a park in Warsaw, designed by "
                      "the gardener Tylman Gamerski in 1713 [1].",
                      [Passage("b:0", "b", park, 0, len(park), 0.9, title="Warsaw")], similarity)
    assert polish.refused, polish.text  # "... is a park in Warsaw." is supported, but no longer about "Polish"
    assert leading_clauses("Splatoon 2 was released on July 1, 2007, in Japan first.") == [
        "Splatoon 2 was released on July 1, 2007."]
    assert leading_clauses("According to Xinhua, it was signed.") == []  # a head that says nothing of its own


def test_refusal_reasons_tell_the_checker_from_the_model(seeded_copy: Path) -> None:
    """Every sentence unsupported: the checker refused; a clean answer says every statement is supported."""
    bad = Assistant(seeded_copy, llm=fake("The French ambassador praised Paris [1].")).ask("Who co-signed it?")
    assert bad.refused and bad.decision is not None and bad.decision.reason == "unsupported"
    good = Assistant(seeded_copy, llm=fake("Ambassadors from 50 countries co-signed the letter [1].")).ask(
        "How many countries' ambassadors co-signed the letter?")
    assert good.decision is not None and (good.decision.outcome, good.decision.reason) == ("answer", "supported")


def test_empty_index_refuses(tmp_path: Path) -> None:
    ans = Assistant(tmp_path, llm=NeverCalled()).ask("Anything?")
    assert ans.refused and "empty" in ans.text
    assert ans.decision is not None and ans.decision.reason == "empty_index"


def test_follow_up_is_condensed_with_history(seeded_copy: Path) -> None:
    llm = fake("When did ambassadors in Geneva send the joint letter?",
               "Ambassadors in Geneva sent the joint letter on July 12 [1].")
    a = Assistant(seeded_copy, llm=llm)
    events = list(a.stream("When did they send it?",
                           [("How many countries co-signed the letter?", "50 countries [1].")]))
    assert events[0].kind == "query" and events[0].text == "When did ambassadors in Geneva send the joint letter?"
    tokens = [e.text for e in events if e.kind == "token"]
    assert len(tokens) > 3  # streamed
    ans = events[-1].answer
    assert ans is not None and not ans.refused and "July 12" in ans.citations[0].quote


def test_extractive_backend_needs_no_llm(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive")
    assert a.llm is None
    ans = a.ask("How does China describe the facilities in Xinjiang?")
    assert not ans.refused and any("vocational education centers" in c.quote for c in ans.citations)


class RecordingLlama:
    """Stands in for `llama_cpp.Llama` under the real `LlamaCppChat`: records the call, streams a reply."""

    def __init__(self, reply: str) -> None:
        self.reply, self.calls = reply, []  # type: ignore[var-annotated]

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return iter([{"choices": [{"delta": {"content": w + " "}}]} for w in self.reply.split(" ")])


def test_local_model_is_grammar_constrained_to_cite(seeded_copy: Path) -> None:
    from assistant.answer.grammar import citation_grammar
    from assistant.backends.guide import CitationGuide
    from assistant.backends.llama import LlamaCppChat, parse_grammar

    llama = RecordingLlama("Ambassadors from 50 countries co-signed the letter [1].")
    a = Assistant(seeded_copy, llm=LlamaCppChat(llama=llama))
    ans = a.ask("How many countries' ambassadors co-signed the letter?")
    assert not ans.refused and ans.sentences[0].label == "supported"
    grammar = llama.calls[-1]["grammar"]
    n = len(ans.passages)
    assert grammar is parse_grammar(citation_grammar(n)) and f"[1-{n}]" in citation_grammar(n)
    guides = llama.calls[-1]["logits_processor"]
    assert len(guides) == 1 and isinstance(guides[0], CitationGuide)  # [n] limited to supporting passages
    off = Assistant(seeded_copy, llm=LlamaCppChat(llama=llama), constrain_citations=False)
    off.ask("How many countries' ambassadors co-signed the letter?")
    assert llama.calls[-1]["grammar"] is None and llama.calls[-1]["logits_processor"] is None


def test_focus_keeps_the_best_sentences_with_exact_offsets(seeded_copy: Path) -> None:
    """passage_tokens cuts each passage to its best-matching run of sentences; offsets stay exact."""
    from assistant import tokens
    from assistant.answer.prompting import focus

    a = Assistant(seeded_copy, llm_backend="extractive")
    question = "Who is Vadim Pisarevich?"
    passages = a.retrieve(question, 4)
    for p in passages:
        cut = focus(p, question, 60)
        doc = a.index.document(p.doc_id).text
        assert doc[cut.char_start:cut.char_end] == cut.text
        assert p.char_start <= cut.char_start < cut.char_end <= p.char_end
        assert tokens.count(cut.text) <= 60 or len(cut.sentences) == 1
        assert set(cut.sentences) <= set(p.sentences) and cut.chunk_id == p.chunk_id
    best = focus(passages[0], question, 60)
    assert "Pisarevich" in best.text and best.text != passages[0].text
    answer = Assistant(seeded_copy, llm_backend="extractive", passage_tokens=60).ask(question)
    assert not answer.refused and "Pisarevich" in answer.text
    for c in answer.citations:
        assert a.index.document(c.doc_id).text[c.char_start:c.char_end] == c.quote


def test_the_ask_chain_reports_every_step_to_langchain_callbacks(seeded_copy: Path) -> None:
    """One composed Runnable: callbacks see condense, the retriever, pack, the model and verify."""
    import json

    from langchain_core.callbacks import BaseCallbackHandler

    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.chains: list[str] = []
            self.retrieved: list[Any] = []
            self.models = 0

        def on_chain_start(self, serialized: Any, inputs: Any, **kwargs: Any) -> None:
            self.chains.append(kwargs.get("name") or "")

        def on_retriever_end(self, documents: Any, **kwargs: Any) -> None:
            self.retrieved.append(documents)

        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            self.models += 1

    rec = Recorder()
    a = Assistant(seeded_copy, llm=fake("Ambassadors from 50 countries co-signed the letter [1]."))
    ans = a.ask("How many countries' ambassadors co-signed the letter?", config={"callbacks": [rec]})
    assert not ans.refused
    assert {"ask", "condense", "retrieve", "pack", "verify"} <= set(rec.chains), rec.chains
    assert rec.models == 1 and len(rec.retrieved) == 1
    docs = rec.retrieved[0]
    json.dumps([d.metadata for d in docs])  # JSON-serialisable: no objects in the metadata
    from assistant.retrieve.retriever import to_passage

    carried = [to_passage(d) for d in docs]  # the documents carry the passages exactly
    assert carried == a.retriever.passages(ans.standalone_query, a.settings.k)
    assert set(ans.passages) <= set(carried)


def test_the_checker_reads_the_whole_passage_the_prompt_showed_cut(seeded_copy: Path) -> None:
    """With passage_tokens the model reads each passage cut to its best sentences, but its sentences are
    checked and cited against the whole passage: a sentence from the part cut away is still supported by it
    (before, the checker saw only the cut and dropped true answers: XQuAD false refusals 0.25 -> 0.20)."""
    from assistant.answer.prompting import focus

    question = "Who is Vadim Pisarevich?"
    first = Assistant(seeded_copy, llm_backend="extractive").retrieve(question, 4)[0]
    cut = focus(first, question, 60)
    away = next(first.span_text(a, b) for a, b in first.sentences
                if not cut.char_start <= a < cut.char_end and len(first.span_text(a, b)) > 40)
    ans = Assistant(seeded_copy, llm=fake(f"{away.strip()} [1]"), passage_tokens=60).ask(question)
    assert not ans.refused and ans.sentences[0].label == "supported", (away, ans)
    assert ans.passages[0].text == first.text  # the whole passage is the evidence the answer shows


def test_a_contested_yes_or_no_question_gets_who_says_what(seeded_copy: Path) -> None:
    """A yes/no question whose yes the sources do not support ("Are the facilities schools?": China says one
    thing, the UN another) is answered with the passages' attributed statements, cited, one per party, never a
    verdict; a wh-question with the same unsupported answer, or a yes/no question about someone no passage
    names, is still refused."""
    q = "Are the Xinjiang facilities vocational schools?"
    ans = Assistant(seeded_copy, llm=fake("Yes, the facilities are luxury hotels [1].", "no", "no")).ask(q)
    assert not ans.refused and ans.decision is not None and ans.decision.reason == "reported", ans
    assert "hotels" not in ans.text and "Not a yes or no" in ans.text
    assert ans.sentences and all(s.label == "supported" and s.citations for s in ans.sentences)
    assert all(any(w in s.text for w in ("says", "said", "told", "reported", "described"))
               for s in ans.sentences)
    assert any("China says" in s.text for s in ans.sentences)
    # one statement per party: not China's and the Chinese Mission's, but the UN's estimate beside China's
    assert not any("Chinese Mission" in s.text for s in ans.sentences), ans.text
    assert any("1 million" in s.text for s in ans.sentences), ans.text
    wh = Assistant(seeded_copy, llm=fake("The facilities are luxury hotels [1].", "no", "no")).ask(
        "What are the Xinjiang facilities?")
    assert wh.refused and wh.decision is not None and wh.decision.reason == "unsupported"
    # nothing the sources report names Russia: quotes about the letter would not answer it
    other = Assistant(seeded_copy, llm=fake("No, Russia refused to sign [1].", "no", "no")).ask(
        "Did Russia sign the letter?")
    assert other.refused and other.decision is not None and other.decision.reason == "unsupported", other.text
