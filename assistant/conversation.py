"""Answers as JSON, and the saved conversations of a data dir (what `assistant ask -c` continues and the
chat UI reopens).

`answer_dict` is the one JSON shape of an `Answer` (sentences with their citations and spans, the
decision, the passages it was given); the CLI's `--json` prints it. A `Conversation` keeps the turns and
their answers in `data_dir/conversations/<id>.json`, written whole, then renamed, so a crash never leaves
half a file and two processes never interleave one. The CLI's is `last`; each UI chat has its own id.
`-c` reads `last` back so a follow-up question is condensed with the history and retrieves the passages
the last answer cited. It does not summarise or trim history (the condense step reads the last turns only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import Answer, Citation, Decision, Passage, Sentence
from assistant.errors import ConfigError

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def answer_dict(answer: Answer) -> dict[str, Any]:
    """The JSON shape of an answer: everything in it, plus `citations` (distinct, in order of first use)."""
    data = dataclasses.asdict(answer)
    data["citations"] = [dataclasses.asdict(c) for c in answer.citations]
    return data


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """An `Answer` back from `answer_dict` (with its passages when they were kept)."""
    sentences = tuple(Sentence(text=s["text"], citations=tuple(Citation(**c) for c in s.get("citations", ())),
                               support=s.get("support"), label=s.get("label", "unchecked"),
                               verified_by=s.get("verified_by", "checker"))
                      for s in data.get("sentences", ()))
    decision = Decision(**data["decision"]) if data.get("decision") else None
    passages = tuple(Passage(**{**p, "sentences": tuple(tuple(x) for x in p.get("sentences", ())),
                                "also_published_by": tuple(p.get("also_published_by", ()))})
                     for p in data.get("passages", ()))
    return Answer(question=data["question"], text=data["text"], refused=data["refused"], sentences=sentences,
                  passages=passages, standalone_query=data.get("standalone_query", ""), decision=decision)


@dataclass(frozen=True)
class SavedChat:
    """A saved conversation as a list shows it: its id, title (the first question) and last change."""

    id: str
    title: str
    updated: float
    turns: int


def new_chat_id() -> str:
    """A fresh conversation id: sortable by time, unique across processes."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class Conversation:
    """The turns so far ({"role", "content"}) and their answers. `id` names its file (`last`: the CLI's);
    `keep_passages` keeps each answer's passages, so a reopened chat shows its sources again."""

    history: list[dict[str, str]] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    id: str = "last"
    keep_passages: bool = False

    @property
    def previous(self) -> Answer | None:
        return self.answers[-1] if self.answers else None

    @property
    def title(self) -> str:
        return next((h["content"] for h in self.history if h["role"] == "user"), "")

    @staticmethod
    def path(data_dir: Path, chat_id: str = "last") -> Path:
        if not _ID.fullmatch(chat_id):
            raise ConfigError(f"{chat_id!r} is not a conversation id (letters, digits, '-' and '_')")
        return data_dir / "conversations" / f"{chat_id}.json"

    @classmethod
    def load(cls, data_dir: Path, chat_id: str = "last") -> Conversation:
        """A saved conversation, or an empty one with that id when there is none (or it cannot be read)."""
        try:
            data = json.loads(cls.path(data_dir, chat_id).read_text(encoding="utf-8"))
            answers = [answer_from_dict(a) for a in data.get("answers", ())]
            if not answers and data.get("previous"):  # written before answers were kept
                answers = [answer_from_dict(data["previous"])]
            return cls(history=list(data.get("history", [])), answers=answers, id=chat_id,
                       keep_passages=bool(data.get("keep_passages")))
        except (OSError, ValueError, KeyError, TypeError):
            return cls(id=chat_id)

    @classmethod
    def saved(cls, data_dir: Path, limit: int = 50) -> list[SavedChat]:
        """The `limit` most recently changed conversations, newest first (unreadable or empty ones left out)."""
        dated = []
        for path in (data_dir / "conversations").glob("*.json"):
            with contextlib.suppress(OSError):
                if _ID.fullmatch(path.stem):
                    dated.append((path.stat().st_mtime, path.stem))
        chats = []
        for updated, chat_id in sorted(dated, key=lambda d: (-d[0], d[1])):
            conversation = cls.load(data_dir, chat_id)
            if conversation.history:
                chats.append(SavedChat(chat_id, conversation.title, updated, len(conversation.answers)))
                if len(chats) == limit:
                    break
        return chats

    def add(self, question: str, answer: Answer) -> None:
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        self.answers.append(answer)

    def truncated(self, turns: int) -> Conversation:
        """The same conversation with only its first `turns` question-answer pairs (retry drops the last)."""
        return dataclasses.replace(self, history=self.history[:2 * turns], answers=self.answers[:turns])

    def save(self, data_dir: Path) -> None:
        path = self.path(data_dir, self.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        answers = [answer_dict(a) for a in self.answers]
        for a in answers:
            a.pop("timings", None)
            if not self.keep_passages:
                a.pop("passages", None)
        tmp.write_text(json.dumps({"history": self.history, "answers": answers, "keep_passages": self.keep_passages},
                                  ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
