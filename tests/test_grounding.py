from assistant.grounding import THRESHOLD, support

PREMISE = ("In the joint letter, the ambassadors commend China for Xinjiang’s economic and social progress. "
           "The letter was sent on July 12 by ambassadors of 50 countries.")


def test_supported_paraphrases_pass() -> None:
    assert support(PREMISE, "The ambassadors commend China for economic progress in Xinjiang.") > THRESHOLD
    assert support(PREMISE, "Ambassadors of 50 countries sent the letter on July 12.") > THRESHOLD


def test_changed_numbers_names_and_unrelated_claims_fail() -> None:
    assert support(PREMISE, "Ambassadors of 37 countries sent the letter on July 12.") < THRESHOLD
    assert support(PREMISE, "The French ambassador commends China for economic progress.") < THRESHOLD
    assert support(PREMISE, "The stock market rose sharply in Tokyo.") < THRESHOLD


def test_multi_sentence_claim_needs_every_sentence() -> None:
    good = "The ambassadors commend China."
    bad = "The letter was sent by 37 countries."
    assert support(PREMISE, good) > THRESHOLD
    assert support(PREMISE, f"{good} {bad}") < THRESHOLD
