"""The Gradio app served on 127.0.0.1 and driven through its API with gradio_client."""

from __future__ import annotations

import socket
from pathlib import Path

from assistant import Assistant
from assistant.types import Answer, Citation, Passage, Sentence
from assistant.ui import build_app, sources_html


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sources_panel_highlights_exact_sentence_and_escapes() -> None:
    text = "First <b>bold</b> sentence. The cited <script>alert(1)</script> one."
    p = Passage(chunk_id="d:0-70", doc_id="d", text=text, char_start=100, char_end=100 + len(text), score=0.8,
                metadata={"title": "T <i>", "source": "S", "date": "2020-01-01", "url": "javascript:alert(1)"})
    start = 100 + text.index("The cited")
    c = Citation(number=1, doc_id="d", chunk_id=p.chunk_id, char_start=start, char_end=100 + len(text),
                 quote=text[start - 100:], title="T")
    ans = Answer(question="q", text="x [1]", refused=False, sentences=(Sentence("x", (c,)),), passages=(p,))
    out = sources_html(ans)
    assert "<script>" not in out and "&lt;script&gt;" in out and "<b>" not in out
    assert '<mark class="cited">The cited &lt;script&gt;alert(1)&lt;/script&gt; one.</mark>' in out
    assert "javascript:" not in out  # only http(s) links are rendered


def test_chat_streams_an_answer_with_sources(seeded_copy: Path) -> None:
    from gradio_client import Client

    app = build_app(Assistant(seeded_copy, llm_backend="extractive"))
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        chat, panel, box = client.predict("Who is Chen Xu?", [], api_name="/ask")[:3]
        assert box == ""
        assert chat[-1]["role"] == "assistant" and "[" in str(chat[-1]["content"])
        assert '<mark class="cited">' in panel and "Chen Xu" in panel
    finally:
        app.close()
