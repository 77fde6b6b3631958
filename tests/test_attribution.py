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
    assert speaker("The harbour reopened on Tuesday after four days.") is None


def test_claims_restated_as_fact_are_attributed() -> None:
    assert attribute("Yes, the facilities are vocational schools.", CHINA) == \
        "According to China, the facilities are vocational schools."
    assert attribute("About 1 million Uyghurs were held.", UN) == \
        "According to RFE/RL, about 1 million Uyghurs were held."
    already = "China says the facilities are vocational education centers."
    assert attribute(already, CHINA) == already
    plain = "The harbour reopened on Tuesday."
    assert attribute(plain, "The harbour reopened on Tuesday after four days.") == plain

