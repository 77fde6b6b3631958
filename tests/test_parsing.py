"""The real parsers on real files of every supported format, and clear errors for broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ParseError
from assistant.ingest.parse import parse_file
from tests.conftest import SEED


def make_pdf(lines: list[str], title: str = "A PDF article") -> bytes:
    """A small, valid one-page PDF with real text (Helvetica), built byte by byte."""
    content = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({x}) Tj 0 -16 Td" for x in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        f"<< /Title ({title}) /Author (Test Wire) /CreationDate (D:20240102000000) >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


HTML = """<!doctype html><html><head><title>Port reopens after storm | Coast Herald</title>
<meta property="og:title" content="Port reopens after storm">
<meta property="og:site_name" content="Coast Herald">
<meta property="og:url" content="https://example.org/port-reopens">
<meta property="article:published_time" content="2024-03-05T08:00:00Z"></head>
<body><nav><a href="/">Home</a> | <a href="/news">News</a></nav>
<article><h1>Port reopens after storm</h1>
<p>The harbour of Saltmere reopened on Tuesday after a storm closed it for four days.</p>
<p>Harbour master Ines Duarte said 27 ships had waited offshore during the closure.</p>
<p>Repairs to the northern pier are expected to take another two weeks, officials said.</p>
</article><footer>Copyright Coast Herald. Subscribe now!</footer></body></html>"""


def test_markdown_front_matter_gives_metadata() -> None:
    doc = parse_file(SEED)[0]
    assert doc.title.startswith("Ambassadors from 50 countries")
    assert doc.source.startswith("The Times of Central Asia")
    assert doc.date == "2019-07-27"
    assert doc.text.startswith("Ambassadors from 50 countries") and "---" not in doc.text[:10]


def test_txt_title_is_first_line(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("Headline here\n\nBody sentence one. Body two.\r\n", encoding="utf-8")
    doc = parse_file(f)[0]
    assert doc.title == "Headline here" and "\r" not in doc.text


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    f = tmp_path / "port.html"
    f.write_text(HTML, encoding="utf-8")
    doc = parse_file(f)[0]
    assert "27 ships had waited offshore" in doc.text
    assert "Subscribe now" not in doc.text and "Home" not in doc.text.split()[:3]
    assert doc.title == "Port reopens after storm"
    assert doc.date == "2024-03-05"
    assert doc.url == "https://example.org/port-reopens"


def test_pdf_text_and_metadata(tmp_path: Path) -> None:
    f = tmp_path / "a.pdf"
    f.write_bytes(make_pdf(["The council approved the budget on Monday.", "It totals 4.2 million euros."]))
    doc = parse_file(f)[0]
    assert "approved the budget" in doc.text and "4.2 million euros" in doc.text
    assert doc.title == "A PDF article" and doc.source == "Test Wire" and doc.date == "2024-01-02"


def test_json_and_jsonl_records(tmp_path: Path) -> None:
    j = tmp_path / "one.json"
    j.write_text(json.dumps({"title": "T", "text": "Some text here.", "date": "2020-01-01", "url": "u"}))
    assert [d.title for d in parse_file(j)] == ["T"]
    jl = tmp_path / "many.jsonl"
    jl.write_text("\n".join(json.dumps({"headline": f"H{i}", "body": f"Body {i}."}) for i in range(3)) + "\n")
    docs = parse_file(jl)
    assert [d.title for d in docs] == ["H0", "H1", "H2"]
    assert len({d.source_path for d in docs}) == 3


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "empty"),
    ("binary.txt", b"\x00\x01\x02PNG\x00" * 20, "binary"),
    ("bad.json", b"{not json", "invalid JSON"),
    ("nofield.json", b'{"title": "no text"}', "no text"),
    ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "pdf"),
    ("x.docx", b"PK\x03\x04", "unsupported file type"),
    ("markup.html", b"<html><body><script>var a=1;</script></body></html>", "no"),
])
def test_broken_files_raise_clear_errors(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(ParseError) as err:
        parse_file(f)
    assert name in str(err.value)
    assert reason.lower() in err.value.reason.lower()


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    f = tmp_path / "latin.txt"
    f.write_bytes("Café in Zürich reopened.".encode("latin-1"))
    assert parse_file(f)[0].text == "Café in Zürich reopened."


@pytest.mark.parametrize(("raw", "iso"), [
    ("2019-07-27", "2019-07-27"), ("2019/07/27", "2019-07-27"), ("27.07.2019", "2019-07-27"),
    ("July 27th, 2019", "2019-07-27"), ("Sat, 27 Jul 2019 10:00:00 GMT", "2019-07-27"),
    ("2019-07-27T10:00:00+02:00", "2019-07-27"), ("Published 27 July 2019 by the wire", "2019-07-27"),
    ("July 2019", "2019-07"), ("2019", "2019"), ("yesterday", "yesterday"), ("", ""),
])
def test_dates_are_read_by_dateutil_and_stored_as_iso(raw: str, iso: str) -> None:
    from assistant.dates import normalise, to_day

    assert normalise(raw) == iso
    assert (to_day(raw) is None) == (iso in ("yesterday", ""))


def test_documents_carry_iso_dates_and_sort_by_them(tmp_path: Path) -> None:
    from assistant import Assistant

    folder = tmp_path / "in"
    folder.mkdir()
    records = [{"title": "Oldest", "text": "The first story. It is old.", "date": "27.07.2018"},
               {"title": "Newest", "text": "The third story. It is new.", "date": "March 3rd, 2020"},
               {"title": "Middle", "text": "The second story. It is in between.", "date": "2019/12/31"}]
    (folder / "news.json").write_text(json.dumps(records))
    a = Assistant(tmp_path / "data", llm_backend="extractive")
    a.ingest([folder], progress=False)
    assert [(d.title, d.date) for d in a.documents()] == [
        ("Newest", "2020-03-03"), ("Middle", "2019-12-31"), ("Oldest", "2018-07-27")]


def test_pdf_lines_are_rejoined_into_sentences(tmp_path: Path) -> None:
    f = tmp_path / "wrapped.pdf"
    f.write_bytes(make_pdf(["Council approves budget",
                            "The council approved the budget on Monday after a long",
                            "debate, and the mayor said the vote was close. It totals",
                            "4.2 million euros, a record for the region. The oppo-",
                            "sition voted against it."]))
    text = parse_file(f)[0].text
    assert text.startswith("Council approves budget\n")  # a heading stays its own line
    assert "after a long debate, and the mayor said" in text  # a wrapped line joins the next
    assert "It totals 4.2 million euros" in text and "The opposition voted against it." in text
    from assistant.text import split_sentences

    body = text.split("\n", 1)[1]
    assert next(body[a:b] for a, b in split_sentences(body)).endswith("the vote was close.")
