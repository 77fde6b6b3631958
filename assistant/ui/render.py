"""HTML and Markdown renderings of an `Answer` for the chat UI. Pure functions: no Gradio, no I/O.

- `answer_html`: the chat message; each sentence with its support status and clickable `[n]` markers
  (`<a class="cite" href="#cite-<answer>-<j>">`, one target per distinct cited span).
- `sources_html`: the sources panel: one card per cited source (title, source, date, link, the
  quoted sentences) and the article view: each cited article's full stored text with every cited
  sentence in `<mark class="cited" id="cite-<answer>-<j>">`; a click on a marker shows that article
  and scrolls to the mark (the script is `ui.CLICK_JS`). A refusal shows the query searched and the
  closest passages.
- `answer_markdown`: the export: the answer with its numbered sources and exact quotes.
All article text and model output is escaped here; only http(s) URLs become links.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from typing import Any

from assistant.domain import Answer, Citation, Document, Passage

_STATUS = {"supported": ("✓", "supported"), "recited": ("↻", "re-cited: supported by an earlier sentence's source"),
           "unsupported": ("⚠", "unsupported by the sources")}


def answer_key(answer: Answer) -> str:
    """A short id for the answer, so that markers of an earlier answer never jump into this one."""
    raw = "\x1f".join([answer.question, answer.text, *(f"{c.doc_id}:{c.char_start}" for c in answer.citations)])
    return hashlib.blake2s(raw.encode(), digest_size=4).hexdigest()


def cite_ids(answer: Answer) -> dict[tuple[str, int, int], str]:
    """(doc_id, start, end) of each distinct cited span -> the element id of its mark."""
    key = answer_key(answer)
    return {(c.doc_id, c.char_start, c.char_end): f"cite-{key}-{j}" for j, c in enumerate(answer.citations)}


def _esc(value: Any) -> str:
    """HTML-escaped text that Markdown cannot turn into a link or an image either (the chat renders
    Markdown: `![x](https://…)` in article or model text would make the browser fetch that URL)."""
    return html.escape(str(value or "")).replace("[", "&#91;").replace("]", "&#93;")


def escape_text(value: Any) -> str:
    """Public name of `_esc`, for text the chat shows while it streams."""
    return _esc(value)


def _link(url: str, label: str = "link") -> str:
    if not url.startswith(("http://", "https://")):
        return ""
    return f'<a href="{_esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{label}</a>'


_HOW = {"quote": " (the passage's own words)", "comparison": " (follows from the numbers of the cited sentences)",
        "trimmed": " (cut to the part the sources support; the rest was left out)"}


def answer_html(answer: Answer) -> str:
    """The chat message: escaped sentences, a status mark each, and `[n]` markers that open the source."""
    if answer.refused:
        searched = f"<br><small>Searched for: “{_esc(answer.standalone_query or answer.question)}”. "
        near = "The closest passages are in the sources panel." if answer.passages else "Nothing came close."
        left_out = "".join(f"<br><small>Left out: {_esc(s.text)} <em>(unsupported)</em></small>"
                           for s in answer.sentences)  # only with "show unsupported sentences"
        return _esc(answer.text) + searched + near + "</small>" + left_out
    ids = cite_ids(answer)
    parts = []
    for s in answer.sentences:
        marks = "".join(f' <a class="cite" href="#{ids[(c.doc_id, c.char_start, c.char_end)]}" '
                        f'title="{_esc(c.title or "source")}: open the cited sentence">[{c.number}]</a>'
                        for c in s.citations)
        symbol, meaning = _STATUS.get(s.label, ("", s.label))
        meaning += _HOW.get(s.verified_by, "")
        if s.support is not None:
            meaning += (f" (confirmed by the model; checker score {s.support:.2f})" if s.verified_by == "model"
                        else f" (score {s.support:.2f})")
        status = f' <small class="status" title="{_esc(meaning)}">{symbol}</small>' if symbol else ""
        note = " <em>(unsupported)</em>" if s.label == "unsupported" else ""
        parts.append(f"{_esc(s.text)}{marks}{status}{note}")
    if answer.decision is not None and answer.decision.outcome == "partial":  # say what was left out, and why
        parts.append(f'<br><small class="decision">{_esc(answer.decision.detail)}</small>')
    return " ".join(parts)


def sources_html(answer: Answer | None, documents: Mapping[str, Document] | None = None) -> str:
    """The sources panel and article view (see the module docstring). `documents` holds the cited
    documents' full texts by doc_id; a document missing there is shown as its cited passage only."""
    if answer is None:
        return '<p class="hint"><em>Sources of the answer appear here.</em></p>'
    if answer.refused:
        query = _esc(answer.standalone_query or answer.question)
        near = answer.passages[:3]
        head = f'<p class="hint">Searched for: “{query}”.</p>'
        if not near:
            return head + "<p><em>No passages were found.</em></p>"
        near_cards = "".join(_passage_card(p) for p in near)
        return f"{head}<p><em>Closest passages (not enough to answer):</em></p>{near_cards}"
    ids = cite_ids(answer)
    by_number: dict[int, list[Citation]] = {}
    for c in answer.citations:
        by_number.setdefault(c.number, []).append(c)
    cards = [_source_card(n, answer.passages[n - 1], cs, ids) for n, cs in sorted(by_number.items())]
    docs: dict[str, list[Citation]] = {}
    for c in answer.citations:
        docs.setdefault(c.doc_id, []).append(c)
    articles = [_article(i, doc_id, cs, answer.passages, (documents or {}).get(doc_id), ids)
                for i, (doc_id, cs) in enumerate(docs.items())]
    return (f'<div class="sources" data-answer="{answer_key(answer)}">{"".join(cards)}</div>'
            '<h4 class="article-head">Article</h4>'
            '<p class="hint"><em>Click a [n] marker to open its article at the cited sentence.</em></p>'
            f'<div class="article-views">{"".join(articles)}</div>')


def _meta(source: str, date: str, url: str) -> str:
    meta = " · ".join(_esc(x) for x in (source, date) if x)
    link = _link(url)
    return f"{meta} · {link}" if meta and link else meta or link


def _meta_of(p: Passage) -> str:
    return _meta(p.source, p.date, p.url)


def _source_card(n: int, p: Passage, cites: list[Citation], ids: Mapping[tuple[str, int, int], str]) -> str:
    quotes = "".join(f'<li><a class="cite quote" href="#{ids[(c.doc_id, c.char_start, c.char_end)]}">'
                     f"“{_esc(c.quote.strip())}”</a></li>" for c in cites)
    also = p.also_published_by
    also_html = f'<div class="source-meta">also published by {_esc(", ".join(also))}</div>' if also else ""
    return (f'<div class="source-card" id="src-{n}"><h4><span class="source-num">[{n}]</span> '
            f'{_esc(p.title or "Untitled")}</h4>'
            f'<div class="source-meta">{_meta_of(p)}'
            f" · score {p.score:.2f}</div>{also_html}<ul class=\"quotes\">{quotes}</ul></div>")


def _passage_card(p: Passage) -> str:
    return (f'<div class="source-card"><h4>{_esc(p.title or "Untitled")}</h4>'
            f'<div class="source-meta">{_meta_of(p)}'
            f' · score {p.score:.2f}</div><div class="source-text">{_esc(p.text)}</div></div>')


def _article(i: int, doc_id: str, cites: list[Citation], passages: tuple[Passage, ...], doc: Document | None,
             ids: Mapping[tuple[str, int, int], str]) -> str:
    """One article: the full text (or the cited passages when the text is unknown) with marks."""
    first = cites[0]
    if doc is not None:
        segments = [(0, doc.text)]
        title, source, date, url = doc.title, doc.source, doc.date, doc.url
    else:
        seen = {c.chunk_id for c in cites}
        segments = [(p.char_start, p.text) for p in passages if p.chunk_id in seen]
        title, source, date, url = first.title, first.source, first.date, first.url
    spans = sorted({(c.char_start, c.char_end) for c in cites})
    body = "<br><br>…<br><br>".join(_marked(offset, text, spans, doc_id, ids) for offset, text in segments)
    hidden = "" if i == 0 else " hidden"
    return (f'<article class="article-view" id="article-{i}"{hidden}><header class="article-header">'
            f'<h3>{_esc(title or "Untitled")}</h3><div class="source-meta">{_meta(source, date, url)}</div></header>'
            f'<div class="article-text">{body}</div></article>')


def _marked(offset: int, text: str, spans: list[tuple[int, int]], doc_id: str,
            ids: Mapping[tuple[str, int, int], str]) -> str:
    out, pos = [], offset
    end = offset + len(text)
    for a, b in spans:
        a2, b2 = max(a, pos), min(b, end)
        if a2 >= b2:
            continue
        out.append(_esc(text[pos - offset:a2 - offset]))
        out.append(f'<mark class="cited" id="{ids[(doc_id, a, b)]}">{_esc(text[a2 - offset:b2 - offset])}</mark>')
        pos = b2
    out.append(_esc(text[pos - offset:]))
    return "".join(out)


def _md(text: str) -> str:
    """Text safe inside Markdown: no raw HTML survives a Markdown viewer."""
    return html.escape(text, quote=False)


def answer_markdown(answer: Answer) -> str:
    """The answer with its numbered sources (title, source, date, URL, the quoted sentence and its offsets)."""
    lines = ["# Research Assistant answer", "", f"**Question:** {_md(answer.question)}", ""]
    if answer.standalone_query and answer.standalone_query != answer.question:
        lines += [f"**Searched for:** {_md(answer.standalone_query)}", ""]
    if answer.refused:
        lines += ["## No answer", "", _md(answer.text), ""]
        if answer.passages:
            lines += ["## Closest passages", ""]
            for i, p in enumerate(answer.passages[:3], 1):
                lines += [f"{i}. **{_md(p.title or 'Untitled')}** (score {p.score:.2f})",
                          *(f"   > {_md(line)}" for line in p.text.strip().splitlines() if line.strip()), ""]
        return "\n".join(lines).rstrip() + "\n"
    lines += ["## Answer", ""]
    for s in answer.sentences:
        marks = "".join(f" [{c.number}]" for c in s.citations)
        note = " *(unsupported)*" if s.label == "unsupported" else ""
        lines.append(f"- {_md(s.text)}{marks}{note}")
    lines += ["", "## Sources", ""]
    for c in sorted(answer.citations, key=lambda c: (c.number, c.char_start)):
        head = " — ".join(_md(x) for x in (c.title or "Untitled", c.source, c.date) if x)
        url = f" <{c.url.replace('<', '%3C').replace('>', '%3E')}>" if c.url.startswith(("http://", "https://")) else ""
        lines += [f"[{c.number}] {head}{url}",
                  f"    > “{_md(' '.join(c.quote.split()))}”",
                  f"    > (document `{c.doc_id}`, characters {c.char_start}–{c.char_end})", ""]
    return "\n".join(lines).rstrip() + "\n"
