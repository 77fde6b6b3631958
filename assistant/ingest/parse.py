"""Files to `Document`s, one function per format: .txt, .md, .html, .pdf, .json, .jsonl (the text of
HTML and PDF comes from `extract.py`).

Each parser returns the document's one stored text plus its metadata (title, source, date, url).
Offsets everywhere else refer to that text. A file that cannot be read raises `ParseError` with the
reason; this module never skips silently and never touches the index.

Bad input, decided once: empty files and files over the size limit are refused from `stat()` alone
(never read into memory); text is UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 (a
superset of Latin-1 for text), so `café` saved as Latin-1 is ingested as `café`; data with NUL bytes
or mostly control characters is refused as binary. HTML that trafilatura finds no article in falls
back to its visible text (malformed markup is fine; markup with no text is an error). An encrypted
PDF is read only when it opens with the empty password. In JSON lists and JSONL, a bad record (invalid
JSON, no text field) is reported as `file#n` and the file's other records are still ingested.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from assistant.dates import normalise
from assistant.domain import Document
from assistant.errors import ParseError
from assistant.ingest import extract

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
        date=normalise(_str(meta.get("date"))),
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


def check_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> None:
    """Refuse a file from its name and size alone: missing, unsupported, empty or too large."""
    p = Path(path)
    name = str(p)
    if not p.is_file():
        raise ParseError(name, "file not found" if not p.exists() else "not a regular file")
    if p.suffix.lower() not in _PARSERS:
        raise ParseError(name, f"unsupported file type {p.suffix!r}; supported: {', '.join(SUFFIXES)}")
    size = p.stat().st_size
    if size == 0:
        raise ParseError(name, "the file is empty")
    if size > max_bytes:
        raise ParseError(name, f"the file is {size / 2**20:.3g} MB, over the {max_bytes / 2**20:g} MB limit "
                               "(raise ASSISTANT_MAX_FILE_MB to ingest it)")


def parse_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> list[Document]:
    """Parse one file into one or more documents (JSON and JSONL may hold several); any bad record raises."""
    docs, problems = parse_file_records(path, max_bytes)
    if problems:
        name, reason = next(iter(problems.items()))
        raise ParseError(name, reason)
    return docs


def parse_file_records(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[list[Document], dict[str, str]]:
    """Parse one file, keeping its good records: (documents, {"file#n": reason} for each bad record).

    Raises `ParseError` when the file as a whole is unusable (nothing good in it).
    """
    p = Path(path)
    check_file(p, max_bytes)
    problems: dict[str, str] = {}
    try:
        docs = _PARSERS[p.suffix.lower()](p, problems)
    except ParseError:
        raise
    except Exception as exc:  # a parser library failed: report it as this file's problem
        raise ParseError(str(p), f"could not be parsed ({type(exc).__name__}: {exc})") from exc
    if not docs:
        if len(problems) == 1:
            name, reason = next(iter(problems.items()))
            raise ParseError(name, reason)
        detail = "; ".join(f"{n.rsplit('#', 1)[-1]}: {r}" for n, r in list(problems.items())[:3])
        raise ParseError(str(p), f"no usable records ({detail or 'the file holds no records'})")
    return docs, problems


def _mostly_utf8(raw: bytes) -> str | None:
    """UTF-8 with a few bad bytes (each becomes U+FFFD), when its well-formed non-ASCII characters outnumber
    them; None for text in another encoding (Latin-1 accents are invalid UTF-8 almost every time)."""
    text = raw.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return text if good > bad else None


def read_text(p: Path) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252; refuse binary data."""
    raw = p.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError(str(p), f"has a UTF-16 mark but is not UTF-16 text ({exc.reason})") from exc
    if b"\x00" in raw[:8192]:
        raise ParseError(str(p), "looks like a binary file (it contains NUL bytes), not text")
    decoded: str | None
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = _mostly_utf8(raw)
    try:
        text = decoded if decoded is not None else raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ParseError(str(p), f"looks like binary data: it is neither UTF-8 nor Windows-1252/Latin-1 text "
                                 f"(byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8") from exc
    head = text[:8192]
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(8, len(head) // 20):
        raise ParseError(str(p), f"looks like a binary file ({controls} control characters in its first "
                                 f"{len(head)}), not text")
    return text


def _parse_txt(p: Path, problems: dict[str, str]) -> list[Document]:
    return [make_document(read_text(p), str(p))]


def _parse_markdown(p: Path, problems: dict[str, str]) -> list[Document]:
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


def _parse_html(p: Path, problems: dict[str, str]) -> list[Document]:
    text, meta = extract.html_article(read_text(p), str(p))
    return [make_document(text, str(p), **meta)]


def _parse_pdf(p: Path, problems: dict[str, str]) -> list[Document]:
    text, meta = extract.pdf_article(p)
    return [make_document(text, str(p), **meta)]


def _parse_json(p: Path, problems: dict[str, str]) -> list[Document]:
    try:
        data = json.loads(read_text(p))
    except json.JSONDecodeError as exc:
        raise ParseError(str(p), f"invalid JSON ({exc})") from exc
    items = data if isinstance(data, list) else [data]
    if not items:
        raise ParseError(str(p), "no records found (an empty JSON list)")
    return _records(((f"{p}#{i}" if len(items) > 1 else str(p), item) for i, item in enumerate(items)), problems)


def _parse_jsonl(p: Path, problems: dict[str, str]) -> list[Document]:
    items: list[tuple[str, Any]] = []
    for n, line in enumerate(read_text(p).splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((f"{p}#{n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            problems[f"{p}#{n}"] = f"line {n} is not valid JSON ({exc})"
    if not items and not problems:
        raise ParseError(str(p), "no records found")
    return _records(items, problems)


def _records(items: Iterable[tuple[str, Any]], problems: dict[str, str]) -> list[Document]:
    docs = []
    for name, item in items:
        try:
            docs.append(_record(item, name))
        except ParseError as exc:
            problems[exc.path] = exc.reason
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


_PARSERS: dict[str, Callable[[Path, dict[str, str]], list[Document]]] = {
    ".txt": _parse_txt,
    ".md": _parse_markdown,
    ".markdown": _parse_markdown,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".pdf": _parse_pdf,
    ".json": _parse_json,
    ".jsonl": _parse_jsonl,
}
