from __future__ import annotations

from pathlib import Path

import pytest

from assistant import prompts
from assistant.errors import PromptError
from assistant.settings import Settings, settings_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_settings_table_matches_the_code() -> None:
    assert settings_table() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_K", "7")
    monkeypatch.setenv("ASSISTANT_LLM_BACKEND", "extractive")
    s = Settings()
    assert s.k == 7 and s.llm_backend == "extractive"
    with pytest.raises(ValueError):
        Settings(llm_backend="magic")  # type: ignore[arg-type]


def test_prompts_render_strictly(tmp_path: Path) -> None:
    loaded = prompts.load()
    assert "{passages}" not in loaded["answer_user"].render(passages="P", question="Q")
    with pytest.raises(PromptError):
        loaded["answer_user"].render(passages="P")
    for name in prompts.EXPECTED:
        (tmp_path / f"{name}.md").write_text((prompts.PROMPTS_DIR / f"{name}.md").read_text())
    (tmp_path / "condense.md").write_text("{history} {question} {extra}")
    with pytest.raises(PromptError, match="extra"):
        prompts.load(tmp_path)


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, assistant; print(any(m in sys.modules for m in ('torch', 'chromadb', 'gradio', 'llama_cpp')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
