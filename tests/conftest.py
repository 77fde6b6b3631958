"""Shared fixtures: the real embedding model, real Chroma in temp dirs, the real seed article."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.settings import Settings
from evals.sources import DataLocator, Source

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED = CORPUS / "ambassadors-un-xinjiang.md"


def dataset(source: Source) -> Path:
    """A public dataset's file, found as the eval finds it (ASSISTANT_EVAL_DATA, then the cache; no
    download in tests); the test is skipped, with the reason, when it is not there."""
    settings = Settings()
    found = DataLocator(settings.eval_data, settings.cache_dir / "eval" / "data", download=False).resolve(source)
    if found.path is None:
        pytest.skip(found.line())
    return found.path


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
    from assistant.ingest.parse import parse_file

    return parse_file(SEED)[0].text
