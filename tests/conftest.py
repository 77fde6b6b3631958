"""Shared fixtures: the real embedding model, real Chroma in temp dirs, the real seed article."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "ambassadors-un-xinjiang.md"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the seed article ingested once per session (copy it before writing)."""
    d = tmp_path_factory.mktemp("seeded")
    Assistant(d, llm_backend="extractive").ingest([CORPUS], progress=False)
    return d


@pytest.fixture
def seeded_copy(seeded_dir: Path, tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(seeded_dir, d)
    return d


@pytest.fixture
def seed_text() -> str:
    from assistant.parsing import parse_file

    return parse_file(SEED)[0].text
