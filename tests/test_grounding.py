import logging
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import assistant
from assistant.verify import grounding
from assistant.verify.grounding import THRESHOLD, support
from evals.metrics import balanced_accuracy
from tests.conftest import dataset

PREMISE = ("In the joint letter, the ambassadors commend China for Xinjiang’s economic and social progress. "
           "The letter was sent on July 12 by ambassadors of 50 countries.")
# Balanced accuracy on the held-out RGB pairs below, measured with the shipped weights: 0.883 without
# similarity (all 916 pairs), 0.908 with it (the 200-pair sample); version 1's hand-set weights score
# 0.790 and 0.846 on the same pairs. The floors sit 0.04 under the measurement: room for small feature
# changes, but a checker that falls back toward version 1 at telling supporting snippets from their
# counterfactual twins and from irrelevant snippets fails.
LEXICAL_FLOOR = 0.84
SEMANTIC_FLOOR = 0.87


def test_supported_paraphrases_pass() -> None:
    assert support(PREMISE, "The ambassadors commend China for economic progress in Xinjiang.") > THRESHOLD
    assert support(PREMISE, "Ambassadors of 50 countries sent the letter on July 12.") > THRESHOLD
    # A date moved to the end of the sentence is not a replaced word.
    seed = ("Earlier, on July 12, a number of ambassadors in Geneva sent the joint letter to show their support for "
            "China, and as of July 26 evening, more ambassadors had joined, the Chinese Mission to the UNOG said.")
    assert support(seed, "Ambassadors in Geneva sent the joint letter on July 12.") > THRESHOLD
    # Nor is a verb in another tense ("urged" for "urge"): the seed answer this used to refuse (0.28).
    urge = ("The ambassadors also urge a certain group of countries to stop using uncorroborated information to "
            "make unfounded accusations against China.")
    said = "The ambassadors urged a certain group of countries to stop using {} information to make {} against {}."
    assert support(urge, said.format("uncorroborated", "unfounded accusations", "China")) > THRESHOLD
    assert support(urge, said.format("uncorroborated", "unfounded accusations", "Russia")) < THRESHOLD
    assert support(urge, said.replace("stop", "start").format("uncorroborated", "unfounded accusations",
                                                              "China")) < THRESHOLD
    # Nor is a word said twice in a row where the premise says it once: the seed answer "The United Nations
    # estimated that an estimated 1 million ..." scored 0.28 (the first "estimated" read as replacing "said in
    # August 2018"); with a changed number or name it still fails.
    un = ("The United Nations said in August 2018 that an estimated 1 million ethnic Uyghurs and other mostly "
          "Muslim indigenous people of Xinjiang were being held in what it described as “counterextremism "
          "centers” in northwestern China, RFE/RL reported.")
    twice = un.replace("said in August 2018", "estimated")
    assert support(un, twice) > THRESHOLD
    assert support(un, twice.replace("1 million", "2 million")) < THRESHOLD
    assert support(un, twice.replace("United Nations", "European Union")) < THRESHOLD


def test_a_quarter_written_two_ways_is_one_fact() -> None:
    # An RGB answer the checker refused at 0.40: "Q3" against "third-quarter", and a claim that leaves out
    # the bracketed ticker was read as a replaced word.
    earnings = ("Oct 23, 2019 ... Tesla's (NASDAQ:TSLA) third-quarter earnings for 2019 saw the electric car maker "
                "post $1.30 billion in revenue, meeting Wall Street estimates ...")
    assert support(earnings, "Tesla's revenue in Q3 2019 was $1.30 billion, meeting Wall Street estimates.") > THRESHOLD
    assert support(earnings, "Tesla's revenue in the third quarter of 2019 was $1.30 billion.") > THRESHOLD
    # Another quarter is another number: a conflict no second opinion may overrule.
    assert support(earnings, "Tesla's revenue in Q2 2019 was $1.30 billion.") < THRESHOLD
    assert grounding.hard_conflict(earnings, "Tesla's revenue in Q2 2019 was $1.30 billion.")
    assert support(earnings, "Tesla's revenue in the fourth quarter of 2019 was $1.30 billion.") < THRESHOLD
    # An aside in brackets may be left out, but a replaced word outside one still counts.
    # Leaving an aside out must not shorten what the claim skipped into a "replaced" run (a seed answer).
    unog = ("Ambassadors from 50 countries to the United Nations Office at Geneva (UNOG) have co-signed a letter to "
            "the President of the UN Human Rights Council.")
    assert support(unog, "50 countries' ambassadors co-signed it.") > THRESHOLD
    aside = "In the joint letter (dated July 12), the ambassadors commend China for Xinjiang’s economic progress."
    assert support(aside, "In the joint letter, the ambassadors commend China for Xinjiang’s economic progress.") \
        > THRESHOLD
    assert support(aside, "In the joint letter, the ambassadors commend countries for Xinjiang’s economic "
                          "progress.") < THRESHOLD


def test_an_ellipsis_joins_nothing() -> None:
    # An RGB noise answer the checker passed at 0.95: the year sits in another fragment of the snippet, past
    # an ellipsis (text left out), so "on Saturday" was replaced by "in 2018", not read beside it.
    snippet = ("Jul 9, 2022 ... Elena Rybakina won the women's singles final Wimbledon on Saturday ... since 2018, "
               "was the youngest women's finalist at Wimbledon since 2015 ...")
    assert support(snippet, "Elena Rybakina won the women's singles Wimbledon in 2018.") < THRESHOLD
    assert support(snippet, "Elena Rybakina won the women's singles final at Wimbledon on Saturday.") > THRESHOLD


def test_a_numbered_name_keeps_its_own_facts() -> None:
    # An RGB noise answer the checker passed at 0.94: the snippet gives 2015 for "Splatoon 1"; "splatoon 2"
    # is named later, in another clause. Over ~34,000 labelled pairs (RGB, XQuAD, the nli validation sets)
    # the rule fires on 1, labelled unsupported.
    snippet = ("Apr 26, 2022 ... Splatoon 1 on the WII U released in 2015 is still very much active and it "
               "doesn't take very long to find join a game so splatoon 2 will ...")
    assert support(snippet, "Splatoon 2 was released in 2015.") < THRESHOLD
    assert support(snippet, "Splatoon 1 was released in 2015.") > THRESHOLD
    wars = "World War I ended in 1918. World War II ended in 1945; it began in 1939."
    assert support(wars, "World War II ended in 1945.") > THRESHOLD
    assert support(wars, "World War II ended in 1918.") < THRESHOLD
    assert support(PREMISE, "The joint letter was sent on July 12.") > THRESHOLD  # a date is no numbered name
    from assistant.verify.overrides import renumbered

    fine = [("Splatoon 2 outsold Splatoon 1 in Japan.", "Splatoon 2 outsold Splatoon 1 in Japan."),  # two names
            ("World War 2 ended in 1945.", "World War II ended in 1945."),  # II is 2
            ("In 2015 Windows 8 gave way to Windows 10.", "Windows 10 was released in 2015."),
            ("Season 14 aired in 2017, and in 2020 Season 17 premiered.", "Season 17 premiered in 2020."),
            ("Pope John Paul II succeeded John Paul I in 1978.", "John Paul II became pope in 1978."),
            ("In 2019, as 3 factories closed, growth slowed, as I said then.", "As I said, growth slowed in 2019."),
            ("In 1977, at Apple I built the Apple 2.", "The Apple 2 was built in 1977.")]  # "I", the pronoun
    assert [c for p, c in fine if renumbered(p, c)] == []  # supported claims a review found the first rule vetoed


def test_changed_numbers_names_and_unrelated_claims_fail() -> None:
    assert support(PREMISE, "Ambassadors of 37 countries sent the letter on July 12.") < THRESHOLD
    assert support(PREMISE, "The French ambassador commends China for economic progress.") < THRESHOLD
    assert support(PREMISE, "The stock market rose sharply in Tokyo.") < THRESHOLD


def test_multi_sentence_claim_needs_every_sentence() -> None:
    good = "The ambassadors commend China."
    bad = "The letter was sent by 37 countries."
    assert support(PREMISE, good) > THRESHOLD
    assert support(PREMISE, f"{good} {bad}") < THRESHOLD


def test_negated_and_altered_copies_fail() -> None:
    assert support(PREMISE, "The letter was not sent on July 12 by ambassadors of 50 countries.") < THRESHOLD
    # A negation counts in the clause that holds the claim, not in a neighbouring one (an XQuAD answer that
    # used to be refused at 0.06); a claim against its own negated clause still fails.
    prize = ("In the years after these rumors, neither Tesla nor Edison won the prize (although Edison did receive "
             "one of 38 possible bids in 1915 and Tesla did receive one of 38 possible bids in 1937).")
    assert support(prize, "There were 38 possible bids for the prize in 1915.") > THRESHOLD
    assert support(prize, "Tesla won the prize.") < THRESHOLD
    assert support("The company did not make a profit, although revenue rose.", "The company made a profit.") \
        < THRESHOLD
    # ", so" starts a clause of its own: a true XQuAD answer the whole sentence's "do not" refused at 0.009.
    krakow = ("But for instance the districts in Kraków do not have entitlements of powiat, so the registration "
              "numbers in Kraków are of the same type for all districts.")
    assert support(krakow, "The registration numbers in Kraków are of the same type for all districts.") > THRESHOLD
    assert support(krakow, "The districts in Kraków have entitlements of powiat.") < THRESHOLD
    # A web snippet's fragments, parted by "·" or " ... ", are clauses too: "None of ..." in the last fragment
    # vetoed a true RGB answer (hard conflict, 0.18); a negation in the claim's own fragment still counts.
    snippet = ("Jun 4, 2023 ... iPhone 11: Key Takeaways · The iPhone 11, released on September 21, 2021, is now "
               "considered older in the fast-paced smartphone market. · None of ...")
    assert support(snippet, "The iPhone 11 was released on September 21, 2021.") > THRESHOLD
    assert support("Specs · The iPhone 11 was not released in 2021 · More", "The iPhone 11 was released in 2021.") \
        < THRESHOLD
    # Every word is in the premise, but China is not what the letter was sent by.
    assert support(PREMISE, "The letter was sent on July 12 by China.") < THRESHOLD
    # A near-copy with one word replaced by another word of the premise.
    assert support(PREMISE, "In the joint letter, the ambassadors commend countries for Xinjiang’s economic "
                            "and social progress.") < THRESHOLD


def test_swapped_roles_fail() -> None:
    """Two facts of the premise trading places ("50 countries ... July 12"): each number is in the premise,
    each bound to the other's word. A date written another way, or a number the premise binds to nothing
    else, is no swap."""
    assert support(PREMISE, "The letter was sent on July 50 by ambassadors of 12 countries.") < THRESHOLD
    assert support(PREMISE, "Ambassadors of 50 countries sent the letter on 12 July.") > THRESHOLD
    assert support(PREMISE, "On July 12, ambassadors of 50 countries in Geneva sent the joint letter.") > THRESHOLD
    assert not grounding.hard_conflict("Since then 870 people fell ill and 170 infections were confirmed.",
                                       "About 870 infections were confirmed.")  # not a swap: left to the score
    assert grounding.hard_conflict("The 3 pumps ran for 8 hours.", "The 8 pumps ran for 3 hours.")


def test_fitted_weights_are_shipped_and_loaded() -> None:
    assert grounding.WEIGHTS_FILE.is_file(), "run `python -m evals.fit_grounding`"
    w = grounding.weights()
    assert set(w) == {"lexical", "semantic"}
    assert "similarity" not in w["lexical"] and w["semantic"]["similarity"] > 0
    assert set(w["semantic"]) <= {*grounding.FEATURES, "bias"}


def test_missing_weights_file_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(grounding, "WEIGHTS_FILE", tmp_path / "missing.json")
    grounding.weights.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="assistant.verify.grounding"):
            assert support(PREMISE, "Ambassadors of 50 countries sent the letter on July 12.") > THRESHOLD
            assert support(PREMISE, "Ambassadors of 37 countries sent the letter on July 12.") < THRESHOLD
        assert "fallback" in caplog.text and "fit_grounding" in caplog.text
    finally:
        grounding.weights.cache_clear()


@pytest.fixture(scope="module")
def rgb_held_out() -> list:
    from evals.pairs import rgb_pairs, split
    from evals.sources import RGB

    return split(rgb_pairs(dataset(RGB)))[1]


def test_rgb_held_out_balanced_accuracy_without_similarity(rgb_held_out: list) -> None:
    scores = [support(p.premise, p.claim) for p in rgb_held_out]
    assert balanced_accuracy([p.label for p in rgb_held_out], scores, THRESHOLD) >= LEXICAL_FLOOR


def test_rgb_held_out_balanced_accuracy_with_similarity(rgb_held_out: list) -> None:
    from assistant.backends import models
    from assistant.settings import Settings

    emb = models.embeddings(Settings())
    sample = random.Random(0).sample(rgb_held_out, 200)
    # The product's cosine (MiniLM, normalised vectors), with every text embedded in one batch first:
    # one call per pair is ~20 ms on an idle CPU but far slower when other jobs share the cores.
    wanted: set[str] = set()

    def record(text: str, others: Sequence[str]) -> list[float]:
        wanted.update([text, *others])
        return [0.0] * len(others)

    for p in sample:  # which windows get compared does not depend on the similarity values
        support(p.premise, p.claim, record)
    texts = sorted(wanted)
    vectors = dict(zip(texts, np.asarray(emb.embed_documents(texts)), strict=True))

    def sim(text: str, others: Sequence[str]) -> list[float]:
        return [float(vectors[o] @ vectors[text]) for o in others]

    scores = [support(p.premise, p.claim, sim) for p in sample]
    assert balanced_accuracy([p.label for p in sample], scores, THRESHOLD) >= SEMANTIC_FLOOR


def test_support_is_public_api() -> None:
    assert assistant.support("The letter was signed by 50 countries.", "50 countries signed the letter.") > 0.5
