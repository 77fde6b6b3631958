"""End to end through the real embedded model (Qwen2.5-1.5B-Instruct GGUF via llama-cpp-python)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    import shutil

    d = tmp_path_factory.mktemp("local") / "data"
    shutil.copytree(seeded_dir, d)
    return Assistant(d, llm_backend="local")


def test_answers_fifty_and_cites_the_sentence(local: Assistant) -> None:
    ans = local.ask("How many countries' ambassadors co-signed the letter?")
    assert not ans.refused, ans.text
    assert "50" in ans.text
    quotes = [c.quote for c in ans.citations]
    assert any("50 countries" in q for q in quotes), quotes
    for c in ans.citations:
        assert local.index.document(c.doc_id).text[c.char_start:c.char_end] == c.quote
    assert ans.timings["first_token"] > 0 and ans.timings["total"] >= ans.timings["first_token"]


def test_question_the_article_does_not_answer_is_refused(local: Assistant) -> None:
    for q in ("What did the French ambassador say about the letter?", "Who won the 2018 FIFA World Cup?"):
        ans = local.ask(q)
        assert ans.refused, (q, ans.text)
