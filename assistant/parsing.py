"""Files to `Document`s, one function per format: .txt, .md, .html, .pdf, .json, .jsonl.

Each parser returns the document's one stored text plus its metadata (title, source, date, url).
Offsets everywhere else refer to that text. A file that cannot be read raises `ParseError` with the
reason; this module never skips silently and never touches the index.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .errors import ParseError
from .types import Document

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".json", ".jsonl")
MAX_FILE_BYTES = 50 * 1024 * 1024
_TEXT_KEYS = ("text", "content", "body", "article", "context")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def doc_id_for(text: str) -> str:
    """The stable id of a document: derived from its text alone."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def make_document(text: str, path: str, **meta: Any) -> Document:
    text = _normalise(text)
    if not text.strip():
        raise ParseError(path, "no text found (the file is empty or holds only markup)")
    title = str(meta.get("title") or "").strip() or _first_line(text)
    return Document(
        doc_id=doc_id_for(text),
        text=text,
        source_path=path,
        title=title,
        source=_str(meta.get("source")),
        date=_str(meta.get("date")),
        url=_str(meta.get("url")),
    )


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every supported file under the given files and folders, sorted, hidden files skipped."""
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and f.suffix.lower() in SUFFIXES and not any(x.startswith(".") for x in rel):
                    yield f
        else:
            yield p


def parse_file(path: str | Path) -> list[Document]:
    """Parse one file into one or more documents (JSON and JSONL may hold several)."""
    p = Path(path)
    name = str(p)
    if not p.exists():
        raise ParseError(name, "file not found")
    parser = _PARSERS.get(p.suffix.lower())
    if parser is None:
        raise ParseError(name, f"unsupported file type {p.suffix!r}; supported: {', '.join(SUFFIXES)}")
    size = p.stat().st_size
    if size == 0:
        raise ParseError(name, "the file is empty")
    if size > MAX_FILE_BYTES:
        raise ParseError(name, f"the file is {size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
    try:
        return parser(p)
    except ParseError:
        raise
    except Exception as exc:  # a parser library failed: report it as this file's problem
        raise ParseError(name, f"could not be parsed ({type(exc).__name__}: {exc})") from exc


def read_text(p: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252; refuse binary data."""
    raw = p.read_bytes()
    if b"\x00" in raw[:8192]:
        raise ParseError(str(p), "looks like a binary file (it contains NUL bytes), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ParseError(
                str(p), f"is neither UTF-8 nor Windows-1252 text ({exc.reason} at byte {exc.start})"
            ) from exc


def _parse_txt(p: Path) -> list[Document]:
    return [make_document(read_text(p), str(p))]


def _parse_markdown(p: Path) -> list[Document]:
    text = read_text(p)
    meta: dict[str, Any] = {}
    m = _FRONT_MATTER.match(text)
    if m:
        import yaml

        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise ParseError(str(p), f"invalid YAML front matter ({exc})") from exc
        if isinstance(loaded, dict):
            meta = loaded
        text = text[m.end() :]
    if not meta.get("title"):
        h = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        if h:
            meta["title"] = h.group(1)
    return [make_document(text, str(p), **meta)]


def _parse_html(p: Path) -> list[Document]:
    import trafilatura

    html = read_text(p)
    doc: Any = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, favor_recall=True
    )
    if isinstance(doc, dict):
        doc = SimpleNamespace(**doc)
    if doc is None or not (doc.text or "").strip():
        raise ParseError(str(p), "no article text could be extracted from the HTML")
    return [
        make_document(
            str(doc.text), str(p), title=doc.title, source=doc.sitename or doc.hostname, date=doc.date, url=doc.url
        )
    ]


def _parse_pdf(p: Path) -> list[Document]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(p))
        if reader.is_encrypted:
            raise ParseError(str(p), "the PDF is encrypted; decrypt it first (e.g. `qpdf --decrypt`)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise ParseError(str(p), f"corrupt or unreadable PDF ({exc})") from exc
    info: Any = reader.metadata or {}
    return [
        make_document(
            "\n\n".join(x.strip() for x in pages if x.strip()),
            str(p),
            title=info.get("/Title"),
            source=info.get("/Author"),
            date=_pdf_date(info.get("/CreationDate")),
        )
    ]


def _parse_json(p: Path) -> list[Document]:
    try:
        data = json.loads(read_text(p))
    except json.JSONDecodeError as exc:
        raise ParseError(str(p), f"invalid JSON ({exc})") from exc
    items = data if isinstance(data, list) else [data]
    return [_record(item, f"{p}#{i}" if len(items) > 1 else str(p)) for i, item in enumerate(items)]


def _parse_jsonl(p: Path) -> list[Document]:
    docs = []
    for n, line in enumerate(read_text(p).splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(str(p), f"line {n} is not valid JSON ({exc})") from exc
        docs.append(_record(item, f"{p}#{n}"))
    if not docs:
        raise ParseError(str(p), "no records found")
    return docs


def _record(item: Any, name: str) -> Document:
    if not isinstance(item, dict):
        raise ParseError(name, "each JSON record must be an object with a 'text' field")
    key = next((k for k in _TEXT_KEYS if isinstance(item.get(k), str) and item[k].strip()), None)
    if key is None:
        raise ParseError(name, f"record has no text; expected one of the fields {', '.join(_TEXT_KEYS)}")
    return make_document(
        item[key],
        name,
        title=item.get("title") or item.get("headline"),
        source=item.get("source") or item.get("publisher"),
        date=item.get("date") or item.get("published"),
        url=item.get("url"),
    )


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def _first_line(text: str) -> str:
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line[:200]


def _str(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime | date):
        return v.isoformat()[:10]
    return str(v).strip()


def _pdf_date(v: Any) -> str:
    m = re.match(r"D:(\d{4})(\d{2})(\d{2})", str(v or ""))
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""


_PARSERS: dict[str, Callable[[Path], list[Document]]] = {
    ".txt": _parse_txt,
    ".md": _parse_markdown,
    ".markdown": _parse_markdown,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".pdf": _parse_pdf,
    ".json": _parse_json,
    ".jsonl": _parse_jsonl,
}
