"""Eval data is found, fetched or skipped out loud: `evals.sources.DataLocator` against real files and a
real HTTP server on 127.0.0.1 (standing in for the dataset's canonical URL)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.sources import DataLocator, Source

BODY = b'{"data": []}\n'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "x.json").write_bytes(BODY)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _source(url: str, sha: str = hashlib.sha256(BODY).hexdigest()) -> Source:
    return Source("demo", "demo/x.json", url, sha)


def test_explicit_dir_comes_first(tmp_path: Path, server: str) -> None:
    data = tmp_path / "data" / "demo"
    data.mkdir(parents=True)
    (data / "x.json").write_bytes(BODY)
    found = DataLocator(tmp_path / "data", tmp_path / "cache").resolve(_source(server + "/x.json"))
    assert (found.origin, found.path) == ("data dir", data / "x.json")
    assert not (tmp_path / "cache").exists()  # nothing downloaded


def test_download_is_pinned_and_cached(tmp_path: Path, server: str) -> None:
    cache = tmp_path / "cache"
    found = DataLocator(None, cache).resolve(_source(server + "/x.json"))
    assert found.origin == "download" and found.path == cache / "demo" / "x.json"
    assert found.path.read_bytes() == BODY
    again = DataLocator(None, cache, download=False).resolve(_source(server + "/nowhere.json"))
    assert again.origin == "cache"  # the second run needs no network


def test_wrong_checksum_is_refused_and_not_kept(tmp_path: Path, server: str) -> None:
    found = DataLocator(None, tmp_path / "cache").resolve(_source(server + "/x.json", sha="0" * 64))
    assert found.path is None and "sha256" in found.reason
    assert not list((tmp_path / "cache").rglob("*.json")) and not list((tmp_path / "cache").rglob("*.part"))


def test_a_file_with_another_checksum_in_the_data_dir_is_not_used(tmp_path: Path) -> None:
    data = tmp_path / "data" / "demo"
    data.mkdir(parents=True)
    (data / "x.json").write_bytes(b"an older version")
    found = DataLocator(tmp_path / "data", tmp_path / "cache", download=False).resolve(_source("http://127.0.0.1:9/x"))
    assert found.path is None


def test_missing_dataset_is_skipped_with_one_line_that_says_what_to_do(tmp_path: Path, server: str) -> None:
    off = DataLocator(None, tmp_path / "cache", download=False).resolve(_source(server + "/x.json"))
    assert off.line() == ("demo: skipped, not found: no data dir set; downloads off; "
                          "set ASSISTANT_EVAL_DATA (or --data DIR) or allow the download")
    failed = DataLocator(tmp_path / "none", tmp_path / "cache").resolve(_source(server + "/missing.json"))
    assert failed.path is None and "download failed" in failed.reason and "\n" not in failed.line()


def test_the_multihop_set_is_skipped_out_loud_without_xquad(tmp_path: Path) -> None:
    """Its questions are about the XQuAD articles: without them the run says so, in the log and summary."""
    from assistant.settings import Settings
    from evals.runner import run_suite

    lines: list[str] = []
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    summary = run_suite(settings, tmp_path / "out", quick=True, only={"multihop"},
                        locator=DataLocator(None, tmp_path / "cache", download=False), log=lines.append)
    line = "multihop: skipped, its questions are about the XQuAD articles, which were not found"
    assert line in lines and line in summary["skipped"]
    assert "multihop" not in summary["datasets"]
