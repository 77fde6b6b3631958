"""The CLI on the conventions people know from simonw/llm, driven as a user drives it: a subprocess, with
stdin, flags where people put them, JSON out, and exit statuses that tell outcomes apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import CORPUS


def _cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": ".", **(env or {})})


def test_the_question_comes_on_stdin(seeded_copy: Path) -> None:
    done = _cli("ask", "--data-dir", str(seeded_copy), "--backend", "extractive", stdin="Who is Chen Xu?\n")
    assert done.returncode == 0, done.stderr
    assert "Chen Xu" in done.stdout and "[1]" in done.stdout
    dash = _cli("ask", "-", "--data-dir", str(seeded_copy), "--backend", "extractive", stdin="Who is Chen Xu?")
    assert dash.returncode == 0 and "[1]" in dash.stdout


def test_version_and_exit_codes_in_help() -> None:
    version = _cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("assistant ")
    helped = _cli("ask", "--help")
    assert helped.returncode == 0 and "exit status" in helped.stdout and "130" in helped.stdout


def test_flags_after_the_command_and_json_everywhere(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    ingested = _cli("ingest", str(CORPUS), "--data-dir", data, "--json")
    assert ingested.returncode == 0, ingested.stderr
    report = json.loads(ingested.stdout)
    assert len(report["added"]) == 1 and report["chunks"] > 0 and report["failed"] == {}
    asked = _cli("ask", "Who is Chen Xu?", "--json", "--backend", "extractive", "--data-dir", data)
    answer = json.loads(asked.stdout)
    cited = answer["sentences"][0]["citations"][0]
    assert "Chen Xu" in cited["quote"] and cited["char_end"] - cited["char_start"] == len(cited["quote"])
    health = json.loads(_cli("check", "--json", "--data-dir", data).stdout)
    assert health["ok"] and health["documents"] == 1
    listed = json.loads(_cli("documents", "list", "--json", "--data-dir", data).stdout)
    assert [d["doc_id"] for d in listed] == [answer["citations"][0]["doc_id"]]


def test_documents_list_and_delete(seeded_copy: Path) -> None:
    data = str(seeded_copy)
    plain = _cli("documents", "--data-dir", data)
    assert plain.returncode == 0 and "chunks" in plain.stdout and "1 document(s)" in plain.stderr
    doc_id = json.loads(_cli("documents", "list", "--json", "--data-dir", data).stdout)[0]["doc_id"]
    gone = _cli("documents", "delete", doc_id, "--json", "--data-dir", data)
    assert gone.returncode == 0 and json.loads(gone.stdout)["deleted"] == doc_id
    assert json.loads(_cli("documents", "--json", "--data-dir", data).stdout) == []
    again = _cli("documents", "delete", doc_id, "--data-dir", data)
    assert again.returncode == 3 and again.stderr.startswith("error:") and "refresh" in again.stderr


def test_exit_statuses_tell_outcomes_apart(tmp_path: Path) -> None:
    assert _cli("ask", "--no-such-flag").returncode == 2  # usage
    bad = _cli("ask", "q?", "--data-dir", str(tmp_path), env={"ASSISTANT_K": "abc"})
    assert bad.returncode == 3 and bad.stderr.startswith("error:")  # an error the message explains
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "good.txt").write_text("Harbour news\n\nThe harbour was dredged.\n")
    assert _cli("ingest", str(folder), "--data-dir", str(tmp_path / "d")).returncode == 1  # done, with problems


def test_ask_streams_tokens_then_the_checked_answer(seeded_copy: Path) -> None:
    done = _cli("ask", "Who is Chen Xu?", "--stream", "--backend", "extractive", "--data-dir", str(seeded_copy))
    assert done.returncode == 0
    streamed, _, checked = done.stdout.partition("--- checked answer ---")
    assert "Chen Xu" in streamed and "Chen Xu" in checked and "[1]" in checked
    quiet = _cli("ask", "Who is Chen Xu?", "--no-stream", "--backend", "extractive", "--data-dir", str(seeded_copy))
    assert "--- checked answer ---" not in quiet.stdout


def test_continue_the_last_conversation(seeded_copy: Path) -> None:
    data = str(seeded_copy)
    first = json.loads(_cli("ask", "Who is Vadim Pisarevich?", "--json", "--backend", "extractive",
                            "--data-dir", data).stdout)
    assert first["citations"]
    follow = json.loads(_cli("ask", "-c", "What did he say about the facilities?", "--json", "--backend",
                             "extractive", "--data-dir", data).stdout)
    assert "Pisarevich" in follow["standalone_query"]  # condensed with the history
    fresh = json.loads(_cli("ask", "What did he say about the facilities?", "--json", "--backend", "extractive",
                            "--data-dir", data).stdout)
    assert "Pisarevich" not in fresh["standalone_query"]  # without -c: a new conversation
