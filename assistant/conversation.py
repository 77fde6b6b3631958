"""Answers as JSON, and the last conversation of a data dir (what `assistant ask -c` continues).

`answer_dict` is the one JSON shape of an `Answer` (sentences with their citations and spans, the
decision, the passages it was given); the CLI's `--json` prints it. `Conversation` keeps the turns and
the last answer in `data_dir/conversations/last.json` (written whole, then renamed, so a crash never
leaves half a file); `-c` reads it back so a follow-up question is condensed with the history and
retrieves the passages the last answer cited. It does not summarise or trim history (the condense step
reads the last turns only).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.domain import Answer, Citation, Decision, Sentence


def answer_dict(answer: Answer) -> dict[str, Any]:
    """The JSON shape of an answer: everything in it, plus `citations` (distinct, in order of first use)."""
    data = dataclasses.asdict(answer)
    data["citations"] = [dataclasses.asdict(c) for c in answer.citations]
    return data


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """An `Answer` back from `answer_dict` (passages are not restored: a follow-up needs the citations)."""
    sentences = tuple(Sentence(text=s["text"], citations=tuple(Citation(**c) for c in s.get("citations", ())),
                               support=s.get("support"), label=s.get("label", "unchecked"),
                               verified_by=s.get("verified_by", "checker"))
                      for s in data.get("sentences", ()))
    decision = Decision(**data["decision"]) if data.get("decision") else None
    return Answer(question=data["question"], text=data["text"], refused=data["refused"], sentences=sentences,
                  standalone_query=data.get("standalone_query", ""), decision=decision)


@dataclass
class Conversation:
    """The turns so far ({"role", "content"}) and the last answer."""

    history: list[dict[str, str]] = field(default_factory=list)
    previous: Answer | None = None

    @staticmethod
    def path(data_dir: Path) -> Path:
        return data_dir / "conversations" / "last.json"

    @classmethod
    def load(cls, data_dir: Path) -> Conversation:
        """The last conversation, or an empty one when there is none (or it cannot be read)."""
        try:
            data = json.loads(cls.path(data_dir).read_text(encoding="utf-8"))
            previous = answer_from_dict(data["previous"]) if data.get("previous") else None
            return cls(history=list(data.get("history", [])), previous=previous)
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def add(self, question: str, answer: Answer) -> None:
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        self.previous = answer

    def save(self, data_dir: Path) -> None:
        path = self.path(data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        previous = answer_dict(self.previous) if self.previous else None
        if previous is not None:
            previous.pop("passages", None)
        tmp.write_text(json.dumps({"history": self.history, "previous": previous}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, path)
