"""The Gradio chat: `build_app(assistant)`. Rendering only; every answer comes from `Assistant.stream`.

Left: the chat (streamed tokens, then the checked answer with `[n]` markers). Right: the sources
panel, one card per cited passage with the exact cited sentence highlighted and the article's
title, source, date and link. All article text and model output is HTML-escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from .errors import AssistantError
from .pipeline import Assistant
from .types import Answer, Passage

_CSS = """
.source-card {border:1px solid #d0d7de; border-radius:8px; padding:10px; margin-bottom:10px;}
.source-card h4 {margin:0 0 4px 0;}
.source-meta {color:#57606a; font-size:0.85em; margin-bottom:6px;}
.source-card mark {background:#fff3a3; padding:0 2px;}
.source-num {font-weight:bold; color:#0969da;}
.sentence.recited {border-bottom:1px dotted #9a6700;}
.sentence.unsupported {color:#cf222e;}
"""


def sources_html(answer: Answer | None, passages: tuple[Passage, ...] = ()) -> str:
    """The sources panel: cited passages with the cited sentences highlighted (escaped HTML)."""
    if answer is None:
        return "<p><em>Sources of the answer appear here.</em></p>"
    if answer.refused:
        near = answer.passages[:3]
        if not near:
            return "<p><em>No passages were found.</em></p>"
        cards = [_card(None, p, []) for p in near]
        return "<p><em>Closest passages (not enough to answer):</em></p>" + "".join(cards)
    marks: dict[int, list[tuple[int, int]]] = {}
    for c in answer.citations:
        marks.setdefault(c.number, []).append((c.char_start, c.char_end))
    return "".join(_card(n, answer.passages[n - 1], spans) for n, spans in sorted(marks.items()))


_LABELS = {"supported": "✓ supported", "recited": "↻ re-cited", "unsupported": "⚠ unsupported"}


def answer_html(answer: Answer) -> str:
    """The answer as escaped text: each sentence with its [n] markers and its support status."""
    if answer.refused:
        return html.escape(answer.text)
    parts = []
    for s in answer.sentences:
        marks = "".join(f" [{c.number}]" for c in s.citations)
        label = _LABELS.get(s.label, "")
        title = f"{label} ({s.support:.2f})" if s.support is not None else label
        parts.append(f'<span class="sentence {html.escape(s.label)}" title="{html.escape(title)}">'
                     f"{html.escape(s.text)}{marks}</span>"
                     + (" <em>(unsupported)</em>" if s.label == "unsupported" else ""))
    return " ".join(parts)


def _card(number: int | None, p: Passage, spans: list[tuple[int, int]]) -> str:
    m = p.metadata
    title = html.escape(str(m.get("title") or "Untitled"))
    meta = " · ".join(html.escape(str(x)) for x in (m.get("source"), m.get("date")) if x)
    url = str(m.get("url") or "")
    link = f' · <a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">link</a>' \
        if url.startswith(("http://", "https://")) else ""
    body, pos = [], p.char_start
    for a, b in sorted(spans):
        a, b = max(a, pos), min(b, p.char_end)
        if a >= b:
            continue
        body.append(html.escape(p.span_text(pos, a)))
        body.append(f'<mark class="cited">{html.escape(p.span_text(a, b))}</mark>')
        pos = b
    body.append(html.escape(p.text[pos - p.char_start:]))
    num = f'<span class="source-num">[{number}]</span> ' if number else ""
    also = m.get("also_published_by") or []
    also_html = f" · also published by {html.escape(', '.join(map(str, also)))}" if also else ""
    return (f'<div class="source-card" data-doc="{html.escape(p.doc_id)}"><h4>{num}{title}</h4>'
            f'<div class="source-meta">{meta}{link}{also_html} · score {p.score:.2f}</div>'
            f'<div class="source-text">{"".join(body)}</div></div>')


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return str(content or "")


def build_app(assistant: Assistant) -> Any:
    import gradio as gr

    Out = tuple[list[dict[str, Any]], str, str, Any]

    def respond(message: str, chat: list[dict[str, Any]], previous: Answer | None) -> Iterator[Out]:
        history = [{"role": m["role"], "content": _text(m["content"])} for m in chat or []]
        chat = [*history, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        if not message.strip():
            yield history, sources_html(None), "", previous
            return
        yield chat, sources_html(None), "", previous
        streamed = ""
        try:
            for event in assistant.stream(message, history, previous):
                if event.kind == "token":
                    streamed += event.text
                    chat[-1] = {"role": "assistant", "content": html.escape(streamed)}
                    yield chat, sources_html(None), "", previous
                elif event.answer is not None:
                    chat[-1] = {"role": "assistant", "content": answer_html(event.answer)}
                    yield chat, sources_html(event.answer), "", event.answer
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {html.escape(str(exc))}"}
            yield chat, sources_html(None), "", previous

    with gr.Blocks(title="Research Assistant") as app:
        gr.Markdown("## Research Assistant\nAnswers only from your articles; every sentence is cited.")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", height=520, sanitize_html=True, render_markdown=True,
                                     feedback_options=None)
                box = gr.Textbox(placeholder="Ask about your articles…", show_label=False, submit_btn=True)
                gr.ClearButton([chatbot, box], value="New chat")
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                panel = gr.HTML(sources_html(None), elem_id="sources")
        last = gr.State(None)
        box.submit(respond, [box, chatbot, last], [chatbot, panel, box, last], api_name="ask")
    app.queue(default_concurrency_limit=4, max_size=64)
    return app


def launch(assistant: Assistant, host: str = "127.0.0.1", port: int | None = None) -> None:
    build_app(assistant).launch(server_name=host, server_port=port, css=_CSS)
