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


def test_every_setting_belongs_to_a_group_and_groups_drive_rebuilds() -> None:
    """A new field left out of every group would let `with_settings` reuse a stale part."""
    from assistant.settings import GROUPS

    grouped = [f for g in GROUPS.values() for f in g.model_fields]
    assert set(Settings.model_fields) == set(grouped)
    assert [f for f in set(grouped) if grouped.count(f) > 1] == ["cache_dir"]  # both models' files live there
    s = Settings(llm_backend="extractive")
    assert s.changed_groups(s.model_copy(update={"llm_threads": 3})) == {"llm"}
    assert s.changed_groups(s.model_copy(update={"cache_dir": Path("/elsewhere")})) == {"embedder", "llm"}
    assert s.ingest.max_file_bytes == int(s.max_file_mb * 2**20)


def test_with_settings_rebuilds_exactly_the_parts_whose_group_changed(seeded_copy: Path) -> None:
    from assistant import Assistant
    from tests.test_pipeline import fake

    chat = fake("Ambassadors from 50 countries co-signed the letter [1].")
    a = Assistant(seeded_copy, llm=chat)
    a.ask("How many countries' ambassadors co-signed the letter?")
    same = a.with_settings(k=3)  # retrieval only
    assert same.embedder is a.embedder and same.index is a.index and same.llm is chat
    other = a.with_settings(llm_backend="extractive")  # the llm group changed: rebuilt, not reused
    assert other.llm is None and other.index is a.index


def test_gpu_layers_and_attention_reach_llama_cpp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`ASSISTANT_LLM_GPU_LAYERS` reaches llama.cpp as `n_gpu_layers` (the CPU build ignores it) and
    `ASSISTANT_LLM_FLASH_ATTENTION` as `flash_attn` (off unless turned on), through the chat model's loader."""
    pytest.importorskip("llama_cpp")
    import llama_cpp

    from assistant.backends import models

    seen: list[dict[str, object]] = []

    class Recorder:
        def __init__(self, **kwargs: object) -> None:
            seen.append(kwargs)

        def close(self) -> None:
            pass

    monkeypatch.setattr(llama_cpp, "Llama", Recorder)
    monkeypatch.setattr(models, "_SHARED", {})
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", str(gguf))
    monkeypatch.setenv("ASSISTANT_LLM_GPU_LAYERS", "-1")
    models.chat_model(Settings(llm_backend="local", llm_threads=2).llm)
    assert seen[-1]["n_gpu_layers"] == -1 and seen[-1]["n_threads"] == 2 and seen[-1]["flash_attn"] is False
    monkeypatch.setenv("ASSISTANT_LLM_FLASH_ATTENTION", "true")
    models.chat_model(Settings(llm_backend="local", llm_threads=2).llm)  # another setting: another model
    assert len(seen) == 2 and seen[-1]["flash_attn"] is True
