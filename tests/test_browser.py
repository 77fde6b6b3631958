"""The chat UI in a real browser: Debian's headless Chromium driven by Playwright (`make install` installs both).

Two scenarios. On the extractive backend (no LLM, so it is fast): ask about the seed article, wait for
the streamed answer, click a citation and check that the highlighted, scrolled-into-view sentence is
the cited one; upload two files through the Corpus tab, ask about one and check that the answer cites
it; open the other, which holds `<script>` and a `javascript:` link, and check that nothing ran. Over a
slow stand-in model (`tests.fakes.QuotingChat`): click an example question drawn from the corpus, stop
the streaming answer, retry it, and reopen the saved chat after a page reload.
Screenshots go to $ASSISTANT_TEST_ARTIFACTS (default tests/artifacts/), kept as CI artefacts.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant import Assistant
from assistant.conversation import Conversation
from assistant.ui.app import build_app, launch_options
from tests.fakes import QuotingChat

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("ASSISTANT_TEST_ARTIFACTS") or Path(__file__).parent / "artifacts")
HARBOUR = ("---\ntitle: Saltmere harbour reopens\nsource: Saltmere Gazette\ndate: 2024-05-04\n"
           "url: https://example.org/saltmere\n---\n"
           "The Saltmere harbour reopened on 3 May after eight months of storm repairs.\n\n"
           "Harbour master Ines Calloway said the new sea wall is two metres higher than the old one.\n")
EVIL = ("---\ntitle: Quillon lighthouse <script>window.__pwned=1</script>\nsource: Quillon Post\n"
        "date: 2024-06-01\nurl: javascript:window.__pwned=4\n---\n"
        "The Quillon lighthouse was painted green in 1984 by the volunteer keepers.\n\n"
        "<script>window.__pwned=1</script> <img src=x onerror=\"window.__pwned=2\">\n\n"
        '<a href="javascript:window.__pwned=3">Read the keepers\' log</a>\n')

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _served(assistant: Assistant) -> Iterator[tuple[Any, Any]]:
    """The app on a free port and a Chromium tab on it: (tab, app)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make install` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    app = build_app(assistant)
    port = _free_port()
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
               **launch_options(assistant))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                tab.set_default_timeout(30_000)
                tab.goto(f"http://127.0.0.1:{port}/")
                yield tab, app
            finally:
                browser.close()
    finally:
        app.close()


@pytest.fixture
def page(seeded_copy: Path) -> Iterator[tuple[Any, Any]]:
    with _served(Assistant(seeded_copy, llm_backend="extractive")) as served:
        yield served


@pytest.fixture
def slow_page(seeded_copy: Path) -> Iterator[tuple[Any, Any, QuotingChat]]:
    """The app over a model that writes one word every 0.4 s: slow enough to stop by hand."""
    model = QuotingChat(delay=0.4)
    with _served(Assistant(seeded_copy, llm=model)) as (tab, app):
        yield tab, app, model


def _ask(tab: Any, question: str) -> Any:
    """Start a new chat, ask, and wait for the checked answer (its clickable markers); the answer's message."""
    from playwright.sync_api import expect

    tab.get_by_role("tab", name="Chat").click()
    tab.get_by_role("button", name="New chat").click()
    expect(tab.locator("#chat .message")).to_have_count(0)
    box = tab.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    message = tab.locator("#chat [data-testid='bot']").last
    expect(message.locator("a.cite").first).to_be_visible()
    return message


def _open_first_citation(tab: Any, message: Any) -> Any:
    """Click the first [n] marker; the focused mark, checked visible and scrolled into view."""
    from playwright.sync_api import expect

    message.locator("a.cite").first.click()
    mark = tab.locator("mark.cited.focus")
    expect(mark).to_have_count(1)
    expect(mark).to_be_in_viewport()
    view = tab.locator(".article-views").bounding_box()
    box = mark.bounding_box()
    assert view and box and view["y"] <= box["y"] and box["y"] + box["height"] <= view["y"] + view["height"]
    return mark


def test_ask_click_citation_upload_and_nothing_runs(page: tuple[Any, Any]) -> None:
    from playwright.sync_api import expect

    tab, app = page
    question = "Who is Chen Xu?"
    expected = app.current.assistant.ask(question)
    assert not expected.refused and expected.citations

    message = _ask(tab, question)
    assert "Chen Xu" in message.inner_text()
    mark = _open_first_citation(tab, message)
    assert mark.text_content() == expected.citations[0].quote
    expect(tab.locator(".article-view:not([hidden]) h3")).to_have_text(expected.citations[0].title)
    tab.screenshot(path=str(ARTIFACTS / "1-seed-answer-citation-opened.png"))
    with tab.expect_download() as download:
        tab.locator("#export").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## Sources" in exported and " ".join(expected.citations[0].quote.split()) in exported

    # Upload two files through the Corpus tab; the documents table follows.
    upload_dir = ARTIFACTS / "uploads"
    shutil.rmtree(upload_dir, ignore_errors=True)
    upload_dir.mkdir()
    (upload_dir / "saltmere.md").write_text(HARBOUR)
    (upload_dir / "quillon.md").write_text(EVIL)
    tab.get_by_role("tab", name="Corpus").click()
    tab.locator("#upload input[type=file]").set_input_files([upload_dir / "saltmere.md", upload_dir / "quillon.md"])
    expect(tab.locator("#corpus-status")).to_contain_text("Ingested 2 file(s)", timeout=60_000)
    expect(tab.locator("#documents")).to_contain_text("Saltmere harbour reopens")
    tab.screenshot(path=str(ARTIFACTS / "2-corpus-after-upload.png"), full_page=True)

    question = "When did the Saltmere harbour reopen?"
    message = _ask(tab, question)
    expected = app.current.assistant.ask(question)
    assert expected.citations and expected.citations[0].title == "Saltmere harbour reopens"
    mark = _open_first_citation(tab, message)
    assert mark.text_content() == expected.citations[0].quote
    assert "3 May" in (mark.text_content() or "")
    expect(tab.locator(".article-view:not([hidden]) h3")).to_have_text("Saltmere harbour reopens")
    tab.screenshot(path=str(ARTIFACTS / "3-uploaded-answer-citation-opened.png"))

    # A document carrying <script>, an onerror handler and javascript: links: shown as text, nothing runs.
    message = _ask(tab, "When was the Quillon lighthouse painted green? <img src=x onerror=\"window.__pwned=5\">")
    mark = _open_first_citation(tab, message)
    assert "Quillon lighthouse was painted green in 1984" in (mark.text_content() or "")
    article = tab.locator(".article-view:not([hidden])")
    expect(article).to_contain_text("<script>window.__pwned=1</script>")
    expect(article).to_contain_text('<a href="javascript:window.__pwned=3">')
    assert tab.locator('a[href^="javascript:"], #sources script, #chat script, #sources img').count() == 0
    article.get_by_text("Read the keepers' log").click()
    tab.wait_for_timeout(300)
    tab.screenshot(path=str(ARTIFACTS / "4-hostile-document-shown-as-text.png"))
    assert tab.evaluate("typeof window.__pwned") == "undefined"

    # Settings: a wrong backend setting is a readable message; a good one applies.
    tab.get_by_role("tab", name="Settings").click()
    tab.get_by_role("radio", name="openai").check()
    tab.get_by_role("button", name="Apply settings").click()
    expect(tab.locator("#settings-status")).to_contain_text("Not applied: llm_backend 'openai' needs")
    assert "Traceback" not in tab.locator("#settings-status").inner_text()
    tab.screenshot(path=str(ARTIFACTS / "5-settings-readable-error.png"))
    tab.get_by_role("radio", name="extractive").check()
    tab.get_by_label("Rerank candidates").uncheck()
    tab.get_by_role("button", name="Apply settings").click()
    expect(tab.locator("#settings-status")).to_contain_text("Applied: backend extractive")
    assert app.current.assistant.settings.rerank is False

    # Delete the hostile document from the Corpus tab; the table follows.
    tab.get_by_role("tab", name="Corpus").click()
    tab.locator("#delete-choice input").click()
    tab.get_by_role("option", name=re.compile("Quillon lighthouse")).click()
    tab.get_by_role("button", name="Delete document").click()
    expect(tab.locator("#corpus-status")).to_contain_text("Deleted 1 document(s)")
    expect(tab.locator("#documents")).not_to_contain_text("Quillon lighthouse")
    assert all("Quillon" not in d.title for d in app.current.assistant.documents())
    tab.screenshot(path=str(ARTIFACTS / "6-corpus-after-delete.png"))


def test_stop_retry_examples_and_saved_chats(slow_page: tuple[Any, Any, QuotingChat]) -> None:
    from playwright.sync_api import expect

    tab, app, model = slow_page
    data_dir = app.current.assistant.settings.data_dir
    title = app.current.assistant.documents()[0].title

    # An example question drawn from the corpus starts an answer; Stop ends it mid-stream.
    example = tab.locator("#chat").get_by_text(re.compile("What does “" + re.escape(title[:30])))
    expect(example).to_be_visible()
    question = example.inner_text().strip()
    example.click()
    bot = tab.locator("#chat [data-testid='bot']").last
    expect(bot).to_contain_text(title.split()[1])  # a word or two streamed, not the whole answer
    tab.locator("#stop").click()
    expect(bot).to_contain_text("stopped")
    stopped_text = bot.inner_text()
    tab.wait_for_timeout(2_000)
    assert bot.inner_text() == stopped_text, "tokens kept coming after Stop"
    assert bot.locator("a.cite").count() == 0
    assert Conversation.saved(data_dir) == []  # an unchecked answer is never saved
    tab.screenshot(path=str(ARTIFACTS / "7-stopped-answer.png"))

    # Retry asks the same question again; its checked answer replaces the stopped one.
    model.delay = 0.0
    tab.get_by_role("button", name="Retry").click()
    bot = tab.locator("#chat [data-testid='bot']").last
    expect(bot.locator("a.cite").first).to_be_visible()
    assert "stopped" not in bot.inner_text() and title in bot.inner_text()
    expect(tab.locator("#chat [data-testid='user']")).to_have_count(1)
    saved = Conversation.saved(data_dir)
    assert [(c.title, c.turns) for c in saved] == [(question, 1)]
    tab.screenshot(path=str(ARTIFACTS / "8-retried-answer.png"))

    # A new session (page reload) lists the chat from the data dir and reopens it, sources and all.
    tab.reload()
    expect(tab.locator("#chat .message")).to_have_count(0)
    tab.locator("#saved-chats input").click()
    tab.get_by_role("option", name=re.compile(re.escape(question[:40]))).click()
    bot = tab.locator("#chat [data-testid='bot']").last
    expect(bot.locator("a.cite").first).to_be_visible()
    reopened = Conversation.load(data_dir, saved[0].id).answers[0]
    mark = _open_first_citation(tab, bot)
    assert mark.text_content() == reopened.citations[0].quote

    # A follow-up continues the reopened chat: one file, two answers.
    box = tab.locator("#question textarea")
    box.fill("Who is Chen Xu?")
    box.press("Enter")
    expect(tab.locator("#chat [data-testid='bot']")).to_have_count(2)
    expect(tab.locator("#chat [data-testid='bot']").last.locator("a.cite").first).to_be_visible()
    assert [(c.id, c.turns) for c in Conversation.saved(data_dir)] == [(saved[0].id, 2)]
    tab.screenshot(path=str(ARTIFACTS / "9-reopened-chat-continued.png"))
