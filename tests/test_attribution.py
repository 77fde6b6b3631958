from assistant.answer.attribution import attribute, speaker

CHINA = ("China says that the facilities are “vocational education centers” aimed at helping people steer clear "
         "of terrorism and allowing them to be reintegrated into society.")
UN = ("The United Nations said in August 2018 that an estimated 1 million ethnic Uyghurs were being held in what it "
      "described as “counterextremism centers” in northwestern China, RFE/RL reported.")


def test_speakers_of_reported_speech() -> None:
    assert speaker(CHINA) == "China"
    assert speaker(UN) == "RFE/RL"
    assert speaker("“They look like ordinary educational facilities,” Pisarevich said.") == "Pisarevich"
    assert speaker("Jamshed Khamidov, head of Tajikistan’s mission in Geneva, said his government objects.") == \
        "Jamshed Khamidov"
    assert speaker("“I was surprised,” Vadim Pisarevich, deputy representative of Belarus, told Xinhua.") == \
        "Vadim Pisarevich"
    assert speaker("The harbour reopened on Tuesday after four days.") is None


def test_one_party_under_two_names() -> None:
    from assistant.answer.attribution import same_party

    assert same_party("China", "the Chinese Mission to the UNOG")
    assert same_party("Pisarevich", "Vadim Pisarevich")
    assert same_party("UN", "the UN")
    assert not same_party("the Russian Mission", "the Chinese Mission")  # an office is no name
    assert not same_party("UN", "United Nations Office")  # a short name matches only itself
    assert not same_party("RFE/RL", "China")


def test_claims_restated_as_fact_are_attributed() -> None:
    assert attribute("Yes, the facilities are vocational schools.", CHINA) == \
        "According to China, the facilities are vocational schools."
    assert attribute("About 1 million Uyghurs were held.", UN) == \
        "According to RFE/RL, about 1 million Uyghurs were held."
    already = "China says the facilities are vocational education centers."
    assert attribute(already, CHINA) == already
    plain = "The harbour reopened on Tuesday."
    assert attribute(plain, "The harbour reopened on Tuesday after four days.") == plain



def test_according_to_the_passage_is_not_a_speaker() -> None:
    """The evidence itself (the passage, the article, a passage's title or source) is no party: the phrase
    goes, the claim stays to be checked; a real party stays attributed."""
    from assistant.answer.attribution import drop_self_reference

    names = ["Warsaw Stock Exchange", "Wikipedia"]
    assert drop_self_reference("According to the passage, 374 companies were listed.", names) == \
        "374 companies were listed."
    assert drop_self_reference("374 companies were listed, according to the article.", names) == \
        "374 companies were listed."
    assert drop_self_reference("According to passage 2, the index rose.", names) == "The index rose."
    assert drop_self_reference("According to Warsaw Stock Exchange, the index rose.", names) == "The index rose."
    assert drop_self_reference("According to Xinhua, 50 countries signed.", names) == \
        "According to Xinhua, 50 countries signed."
    assert drop_self_reference("According to the passage.", names) == "According to the passage."
