"""The optional LLM judge: parsing, faithfulness, and agreement with the real checker (fake LLM, real rest)."""

from __future__ import annotations

from pathlib import Path

from langchain_core.language_models import FakeListChatModel

from assistant import Assistant
from evals.judge import LLMJudge, parse_statements, parse_verdict
from evals.report import summarise_dataset
from evals.runner import judge_record


def test_parsing() -> None:
    text = "Statements:\n1. Fifty countries signed.\n- The letter was sent in July.\n\n2) Fifty countries signed.\n"
    assert parse_statements(text, 8) == ["Fifty countries signed.", "The letter was sent in July."]
    assert parse_statements(text, 1) == ["Fifty countries signed."]
    assert parse_verdict("Yes.") and parse_verdict(" yes, it is") and not parse_verdict("No")
    assert not parse_verdict("") and not parse_verdict("yesterday")


def test_judge_record_on_a_real_answer(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive")
    answer = a.ask("How many countries' ambassadors co-signed the letter?")
    assert not answer.refused
    fake = FakeListChatModel(responses=[
        "1. Ambassadors from 50 countries co-signed a letter to the UN Human Rights Council.\n"
        "2. The letter condemned the first moon landing.", "yes", "no"])
    rec = judge_record(LLMJudge(fake), answer, " ".join(s.text for s in answer.sentences), a.similarity)
    assert rec["verdicts"] == [True, False] and rec["faithfulness"] == 0.5
    assert rec["checker_agrees"] == [True, True]  # the checker also supports the first and rejects the second
    row = {"dataset": "seed", "answerable": True, "refused": False, "has_gold": False, "gold_rank": None,
           "sentences": [], "citation_recall": [], "citation_precision": [], "exact_match": None, "f1": None,
           "contains_answer": None, "outcome": "right", "states_other_answer": False, "timings": {}, "judge": rec}
    summary = summarise_dataset([row])
    assert summary["judge_faithfulness"] == 0.5 and summary["judge_checker_agreement"] == 1.0
