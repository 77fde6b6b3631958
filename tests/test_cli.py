from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from tests.conftest import CORPUS


def test_ingest_then_ask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(CORPUS)]) == 0
    assert "1 file(s) ingested" in capsys.readouterr().out
    assert main(["--data-dir", data, "--backend", "extractive", "ask", "Who is Vadim Pisarevich?"]) == 0
    out = capsys.readouterr().out
    assert ("Pisarevich" in out and "[1]" in out) or "[2]" in out
    assert main(["--data-dir", data, "--backend", "extractive", "ask", "--json", "Who is Chen Xu?"]) == 0
    data_out = json.loads(capsys.readouterr().out)
    assert data_out["citations"] and "quote" in data_out["citations"][0]


def test_bad_file_exits_nonzero_and_names_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "in" / "bad.json"
    bad.parent.mkdir()
    bad.write_text("{oops")
    (tmp_path / "in" / "good.txt").write_text("A good article\n\nIt has one sentence.")
    assert main(["--data-dir", str(tmp_path / "d"), "ingest", str(bad.parent)]) == 1
    out = capsys.readouterr().out
    assert "bad.json" in out and "invalid JSON" in out and "1 file(s) ingested" in out


def test_config_errors_are_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "org/does-not-exist")
    assert main(["--data-dir", str(tmp_path), "ask", "hi"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error:") and "never downloaded" in err and "Traceback" not in err
