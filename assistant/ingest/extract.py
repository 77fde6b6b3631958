"""Text and metadata out of HTML and PDF: the two formats that need a library (trafilatura, pypdf).

HTML: trafilatura's article extraction with its metadata; a page it finds no article in (short or
malformed) falls back to its visible text, and markup with no text is a `ParseError`. PDF: the pages'
text with its visual lines rejoined into paragraphs (`rejoin_lines`), opened with the empty password
when encrypted (else a `ParseError` that says how to decrypt).
This module returns (text, metadata); `parse.py` makes the `Document` and decides the encoding.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from assistant.errors import ParseError


class _VisibleText(HTMLParser):
    """The visible text of (possibly malformed) HTML: no scripts, styles or tags; blocks on their own lines."""

    _HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
    _BLOCK = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
                        "blockquote", "pre", "table", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def text(self) -> str:
        lines = (re.sub(r"[ \t\xa0]+", " ", x).strip() for x in "".join(self.parts).split("\n"))
        return "\n\n".join(x for x in lines if x)


def _visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.text()


def html_article(html: str, path: str) -> tuple[str, dict[str, Any]]:
    """The article text of an HTML page (trafilatura), else its visible text; with title, source, date, url."""
    import trafilatura

    doc: Any = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True, favor_recall=True
    )
    if isinstance(doc, dict):
        doc = SimpleNamespace(**doc)
    if doc is None or not (doc.text or "").strip():
        text = _visible_text(html)  # short or malformed pages trafilatura finds no article in
        if not text:
            raise ParseError(path, "no text could be extracted from the HTML (it holds only markup or scripts)")
        return text, {}
    return str(doc.text), {"title": doc.title, "source": doc.sitename or doc.hostname, "date": doc.date,
                           "url": doc.url}


def pdf_article(p: Path) -> tuple[str, dict[str, Any]]:
    """The text of a PDF's pages (pypdf), with title, author as source, and creation date."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(str(p))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # restrictions-only PDFs open with the empty password
            except (DependencyError, NotImplementedError) as exc:
                raise ParseError(str(p), f"the PDF is encrypted and cannot be opened here ({exc}); decrypt it "
                                         "first (e.g. `qpdf --decrypt in.pdf out.pdf`)") from exc
            if not opened:
                raise ParseError(str(p), "the PDF is encrypted with a password; decrypt it first "
                                         "(e.g. `qpdf --password=... --decrypt in.pdf out.pdf`)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as exc:
        raise ParseError(str(p), f"corrupt or unreadable PDF ({exc})") from exc
    info: Any = reader.metadata or {}
    text = "\n\n".join(rejoin_lines(x.strip()) for x in pages if x.strip())
    return text, {"title": info.get("/Title"), "source": info.get("/Author"),
                  "date": _pdf_date(info.get("/CreationDate"))}


_END = re.compile(r"[.!?:;\"'\u201d\u2019)]$")


def rejoin_lines(page: str) -> str:
    """A PDF page's visual lines rejoined into paragraphs: a line that wraps (no closing punctuation, and
    near the page's full width or followed by a lower-case word) joins the next one with a space, a word
    hyphenated across the break is mended ("exam-" + "ple"); headings, short lines that end a paragraph,
    and blank lines stay line breaks."""
    lines = [line.rstrip() for line in page.split("\n")]
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        if out and out[-1] and line.strip():
            prev, nxt = out[-1], line.strip()
            wraps = not _END.search(prev) and (len(prev) >= 0.75 * width or nxt[:1].islower())
            if wraps and re.search(r"[a-z]-$", prev) and nxt[:1].islower():
                out[-1] = prev[:-1] + nxt  # a word hyphenated across the line break
                continue
            if wraps:
                out[-1] = f"{prev} {nxt}"
                continue
        out.append(line.strip())
    return "\n".join(out)


def _pdf_date(v: Any) -> str:
    m = re.match(r"D:(\d{4})(\d{2})(\d{2})", str(v or ""))
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""
