"""The corpus side of the chat UI: accept uploads safely, ingest them, list and delete documents; the
example questions and the saved-chats list it offers.

An upload is checked (type by suffix, size against `max_file_mb`) before anything is stored,
then copied to `data_dir/uploads/<sanitised basename>`: the client's file name never chooses
the directory (`../../evil.txt` lands as `data_dir/uploads/evil.txt`). No Gradio here.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.conversation import SavedChat
from assistant.errors import UploadError
from assistant.ingest.incremental import file_sha256
from assistant.ingest.parse import SUFFIXES
from assistant.pipeline import Assistant
from assistant.store.index import DocumentInfo

UPLOAD_SUFFIXES = SUFFIXES
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file name that can only name a file inside one folder: the basename, in a small alphabet."""
    base = re.split(r"[\\/]", name)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("_", stem).strip("._-")[:100] or "upload"
    suffix = _UNSAFE.sub("", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


def uploads_dir(assistant: Assistant) -> Path:
    return assistant.settings.data_dir / "uploads"


def store_upload(src: str | Path, name: str, uploads: Path, max_bytes: int) -> Path:
    """Check `src` (type from `name`, size) and copy it to `uploads/<safe name>`; raises `UploadError`."""
    target = uploads / safe_name(name)
    if target.suffix.lower() not in UPLOAD_SUFFIXES:
        raise UploadError(f"{Path(name).name}: file type {target.suffix or '(none)'!r} is not accepted; "
                          f"upload one of {', '.join(UPLOAD_SUFFIXES)}")
    try:
        size = Path(src).stat().st_size
    except OSError as exc:
        raise UploadError(f"{Path(name).name}: the uploaded file could not be read ({exc.strerror})") from exc
    if size > max_bytes:
        raise UploadError(f"{Path(name).name}: {size / 2**20:.1f} MiB is over the {max_bytes / 2**20:.0f} MiB limit "
                          "(ASSISTANT_MAX_FILE_MB)")
    uploads.mkdir(parents=True, exist_ok=True)
    if target.resolve().parent != uploads.resolve():  # cannot happen with safe_name; checked all the same
        raise UploadError(f"{name!r} is not a valid file name")
    if target.exists() and file_sha256(target) != (digest := file_sha256(Path(src))):  # same name, other file
        target = target.with_name(f"{target.stem}-{digest[:8]}{target.suffix}")
    tmp = target.with_name(f".{target.name}.part")
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, target)  # an ingest never sees a half-copied file
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UploadError(f"{Path(name).name}: could not be stored ({exc.strerror})") from exc
    return target


def ingest_uploads(assistant: Assistant, files: Sequence[tuple[str | Path, str]],
                   on_progress: Callable[[int, int, str], None] | None = None) -> str:
    """Store and ingest uploaded files ((temporary path, original name) pairs); a readable summary.

    Refused or unparsable files are listed with their reason and not kept; the others are ingested.
    """
    max_bytes = assistant.settings.ingest.max_file_bytes
    stored: list[Path] = []
    problems: list[str] = []
    for src, name in files:
        try:
            stored.append(store_upload(src, name, uploads_dir(assistant), max_bytes))
        except UploadError as exc:
            problems.append(str(exc))
    if stored:
        report = assistant.ingest(stored, progress=False, prune=False, on_progress=on_progress)
        problems += [f"{Path(p).name}: {reason}" for p, reason in report.failed.items()]
        for p in map(Path, report.failed):  # a rejected upload is not kept, unless an older version is indexed
            if p in stored and assistant.index.docs.file_sha(str(p.resolve())) is None:
                p.unlink(missing_ok=True)
        done = [f"{Path(p).name}" for p in report.added]
        same = [f"{Path(p).name}" for p in report.unchanged]
        lines = [f"Ingested {len(done)} file(s), {report.chunks} chunks, in {report.seconds:.1f}s"
                 + (f": {', '.join(done)}" if done else "") + "."]
        if same:
            lines.append(f"Already indexed, unchanged: {', '.join(same)}.")
    else:
        lines = ["Nothing was ingested."]
    lines += [f"⚠️ Skipped {p}" for p in problems]
    return "\n\n".join(lines)


def document_rows(docs: Sequence[DocumentInfo]) -> list[list[str | int]]:
    """Rows of the documents table: title, source, date, chunks, file, id (its first 12 characters)."""
    return [[d.title or "Untitled", d.source, d.date, d.n_chunks, Path(d.source_path).name, d.doc_id[:12]]
            for d in docs]


def document_choices(docs: Sequence[DocumentInfo]) -> list[tuple[str, str]]:
    """(label, doc_id) pairs for the delete selector."""
    return [(f"{d.title or 'Untitled'} — {Path(d.source_path).name} ({d.doc_id[:8]})", d.doc_id) for d in docs]


def delete_document(assistant: Assistant, doc_id: str) -> str:
    """Delete a document (and its uploaded file when it came from an upload); a readable summary."""
    before = {d.doc_id: d for d in assistant.documents()}
    files = assistant.delete_document(doc_id)
    after = {d.doc_id for d in assistant.documents()}
    gone = [before[d].title or d for d in before if d not in after]
    uploads = uploads_dir(assistant).resolve()
    for f in files:
        p = Path(f)
        if p.parent == uploads and p.is_file():
            p.unlink()
    return f"Deleted {len(gone)} document(s): {', '.join(gone)}." if gone else "Nothing was deleted."


def example_questions(docs: Sequence[DocumentInfo], n: int = 3) -> list[str]:
    """Questions a new user can click: one about each of the `n` newest titled documents."""
    titles = [d.title.strip() for d in docs if d.title.strip()]
    return [f"What does “{t if len(t) <= 90 else t[:89] + '…'}” report?" for t in titles[:n]]


def saved_chat_choices(chats: Sequence[SavedChat]) -> list[tuple[str, str]]:
    """(label, id) pairs for the saved-chats list: the first question, the turn count and the time."""
    def label(c: SavedChat) -> str:
        title = c.title if len(c.title) <= 70 else c.title[:69] + "…"
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.updated))
        return f"{title} · {c.turns} answer{'s' if c.turns != 1 else ''} · {when}"

    return [(label(c), c.id) for c in chats]
