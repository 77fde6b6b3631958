"""Issue #7.1: every kind of bad file in one `assistant ingest` run, next to good files.

Each bad file must be named in the output with its reason, the exit status must be non-zero, and
every good file (and every good record of a partly bad JSONL file) must land in the index.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.cli import main
from tests.conftest import SEED
from tests.test_parsing import HTML, make_pdf


def _encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(["This text is locked away."])))
    writer.encrypt(user_password, owner_password="owner", algorithm="RC4-128")  # RC4: no extra dependency
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# name -> (bytes, words the reason must contain)
BAD: dict[str, tuple[bytes, str]] = {
    "empty.txt": (b"", "empty"),
    "binary.txt": (bytes(range(256)) * 64, "binary"),
    "control-chars.md": (bytes(range(1, 32)) * 300, "binary"),
    "undecodable.txt": (b"Headline\n\n" + bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D]) * 10, "neither UTF-8"),
    "only-markup.html": (b"<html><head><title>t</title><script>alert('x')</script></head><body> </body></html>",
                         "no text"),
    "corrupt.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ntruncated garbage", "PDF"),
    "encrypted.pdf": (_encrypted_pdf("secret"), "encrypted with a password"),
    "invalid.json": (b'{"title": "Broken", "text": "unterminated', "invalid JSON"),
    "missing-fields.json": (json.dumps({"title": "A title but no text", "date": "2024-01-01"}).encode(), "no text"),
    "list-no-text.json": (json.dumps([{"title": "a"}, {"headline": "b"}]).encode(), "no usable records"),
}
BIG = "huge.txt"  # 200 MB, written sparsely; refused by its size

GOOD: dict[str, bytes] = {
    "latin1.txt": "Café reopens in Zürich\n\nThe café on the Limmat reopened on Monday.".encode("latin-1"),
    "utf16.txt": "Ferry timetable\n\nThe ferry to Lindau now leaves at 7:40 every morning.".encode("utf-16"),
    "malformed.html": (b"<html><body><h1>Storm hits coast<p>The storm closed the harbour of Saltmere for four days, "
                       b"officials said on Tuesday. <b>Repairs will take two weeks<div>More text <span>unclosed"),
    "tiny.html": b"<p>Short page: the bridge on Elm Street reopens on Friday &amp; traffic resumes.",
    "article.html": HTML.encode(),
    "article.pdf": make_pdf(["The council approved the budget on Monday.", "It totals 4.2 million euros."]),
    "owner-locked.pdf": _encrypted_pdf(""),  # restrictions only: opens with the empty password
    "record.json": json.dumps({"title": "Rail strike ends", "text": "The rail strike ended after nine days."}).encode(),
}
GOOD_JSONL_LINES = [json.dumps({"headline": f"Story {i}", "body": f"Story number {i} is about item {i}."})
                    for i in range(3)]
MIXED_JSONL = "\n".join([GOOD_JSONL_LINES[0], "{not json at all", GOOD_JSONL_LINES[1],
                         json.dumps({"headline": "No body here"}), GOOD_JSONL_LINES[2]]) + "\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for name, (content, _) in BAD.items():
        (d / name).write_bytes(content)
    with (d / BIG).open("wb") as f:  # sparse: instant, and costs no disk
        f.seek(200 * 2**20 - 1)
        f.write(b"\n")
    for name, content in GOOD.items():
        (d / name).write_bytes(content)
    (d / "mixed.jsonl").write_text(MIXED_JSONL, encoding="utf-8")
    shutil.copy(SEED, d / SEED.name)
    return d


def test_one_ingest_run_reports_every_bad_file_and_ingests_every_good_one(
        tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    opened: list[str] = []  # every file the run opens through pathlib (ingest hashes and parsers read through it)
    real_open = Path.open

    def spy_open(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(self.name)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", spy_open)
    status = main(["--data-dir", str(data), "ingest", str(folder)])
    monkeypatch.undo()
    out = capsys.readouterr()
    text = out.out + out.err
    assert status == 1, text
    assert "Traceback" not in text

    lines = [line for line in text.splitlines() if line.strip().startswith("skipped ")]
    for name, (_, reason) in {**BAD, BIG: (b"", "over the 50 MB limit")}.items():
        hit = [line for line in lines if f"{name}:" in line]
        assert hit, f"{name} is not reported:\n{text}"
        assert reason.lower() in hit[0].lower(), hit[0]
    assert "ASSISTANT_MAX_FILE_MB" in text
    assert "latin1.txt" in opened and BIG not in opened and "empty.txt" not in opened  # refused by size alone
    # the JSONL file: its two bad lines are reported by line number, its three good lines land
    assert any("mixed.jsonl#2:" in line and "not valid JSON" in line for line in lines), text
    assert any("mixed.jsonl#4:" in line and "no text" in line for line in lines), text

    good_files = len(GOOD) + 2  # + mixed.jsonl + the seed article
    assert f"{good_files} file(s) ingested" in text
    assert f"{len(BAD) + 1 + 2} failed" in text  # every bad file, the big one, two bad records

    a = Assistant(data, llm_backend="extractive")
    docs = a.index.documents()
    by_name = {Path(d.source_path).name: a.index.document(d.doc_id).text for d in docs}
    assert len(docs) == len(GOOD) + 3 + 1  # 8 good files, 3 JSONL records, the seed
    assert set(by_name) == set(GOOD) | {f"mixed.jsonl#{n}" for n in (1, 3, 5)} | {SEED.name}
    assert "The café on the Limmat reopened" in by_name["latin1.txt"] and "Zürich" in by_name["latin1.txt"]
    assert "leaves at 7:40" in by_name["utf16.txt"]
    assert "closed the harbour of Saltmere" in by_name["malformed.html"]
    assert by_name["tiny.html"] == "Short page: the bridge on Elm Street reopens on Friday & traffic resumes."
    assert "4.2 million euros" in by_name["article.pdf"] and "locked away" in by_name["owner-locked.pdf"]
    assert not any(n in by_name for n in BAD) and BIG not in by_name
    assert a.index.count() == sum(d.n_chunks for d in docs)  # Chroma holds exactly their chunks

    # Unchanged files are skipped, but a partly bad JSONL is checked (and reported) again, not re-embedded.
    status = main(["--data-dir", str(data), "ingest", str(folder)])
    text = capsys.readouterr().out
    assert status == 1 and "mixed.jsonl#2:" in text and "1 file(s) ingested (0 chunks)" in text
    assert len(a.index.documents()) == len(docs)


def test_size_limit_is_a_setting(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("Headline\n\n" + "A sentence about the harbour. " * 40_000)  # ~1.2 MB
    a = Assistant(tmp_path / "data", llm_backend="extractive", max_file_mb=1)
    report = a.ingest([f], progress=False)
    assert "over the 1 MB limit" in report.failed[str(f)]
    assert "ASSISTANT_MAX_FILE_MB" in report.summary()
