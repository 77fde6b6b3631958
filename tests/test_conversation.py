"""Saved conversations (`assistant.conversation`): what the chat UI lists and reopens and `ask -c` continues."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.conversation import Conversation, answer_dict, new_chat_id
from assistant.errors import ConfigError
from assistant.ui.corpus import example_questions, saved_chat_choices


def test_a_saved_chat_comes_back_whole_with_its_passages(seeded_copy: Path) -> None:
    a = Assistant(seeded_copy, llm_backend="extractive")
    chat = Conversation(id=new_chat_id(), keep_passages=True)
    for q in ("Who is Chen Xu?", "How many countries co-signed the letter?"):
        chat.add(q, a.ask(q, chat.history, chat.previous))
    chat.save(seeded_copy)
    back = Conversation.load(seeded_copy, chat.id)
    assert back.history == chat.history and back.title == "Who is Chen Xu?"
    for before, after in zip(chat.answers, back.answers, strict=True):
        assert answer_dict(after) | {"timings": {}} == answer_dict(before) | {"timings": {}}
    assert back.previous is not None and back.previous.passages == chat.answers[-1].passages
    assert not list((seeded_copy / "conversations").glob("*.tmp"))  # written whole, then renamed

    # The CLI's conversation keeps no passages; both are listed, the most recently changed first.
    cli = Conversation()
    cli.add("Who is Chen Xu?", chat.answers[0])
    cli.save(seeded_copy)
    os.utime(Conversation.path(seeded_copy, chat.id), (1, 1))
    assert [(c.id, c.turns) for c in Conversation.saved(seeded_copy)] == [("last", 1), (chat.id, 2)]
    assert Conversation.load(seeded_copy).previous.passages == ()  # type: ignore[union-attr]
    label, value = saved_chat_choices(Conversation.saved(seeded_copy))[1]
    assert value == chat.id and label.startswith("Who is Chen Xu? · 2 answers · ")

    # Retry drops the last turn (question and answer) and nothing else.
    once = chat.truncated(1)
    assert once.history == chat.history[:2] and once.answers == chat.answers[:1] and len(chat.answers) == 2


def test_unreadable_or_foreign_files_are_skipped_and_ids_cannot_leave_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "conversations"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json")
    (folder / "empty.json").write_text(json.dumps({"history": []}))
    (folder / "not an id.json").write_text(json.dumps({"history": [{"role": "user", "content": "x"}]}))
    assert Conversation.saved(tmp_path) == []
    assert Conversation.load(tmp_path, "broken").history == []
    for bad in ("../evil", "a/b", "", "x" * 65):
        with pytest.raises(ConfigError, match="not a conversation id"):
            Conversation.path(tmp_path, bad)


def test_a_conversation_saved_before_answers_were_kept_still_loads(tmp_path: Path) -> None:
    path = Conversation.path(tmp_path)
    path.parent.mkdir()
    previous = {"question": "q", "text": "t [1]", "refused": False, "sentences": [], "decision": None}
    path.write_text(json.dumps({"history": [{"role": "user", "content": "q"}], "previous": previous}))
    loaded = Conversation.load(tmp_path)
    assert loaded.previous is not None and loaded.previous.text == "t [1]"


def test_example_questions_come_from_the_newest_titled_documents(seeded_copy: Path) -> None:
    docs = Assistant(seeded_copy, llm_backend="extractive").documents()
    questions = example_questions(docs)
    assert questions == [f"What does “{docs[0].title}” report?"]
    assert example_questions([]) == []
