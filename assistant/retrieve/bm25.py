"""The keyword index: BM25 (bm25s) over every chunk, persisted beside the index in `data_dir/bm25/`.

It is a derived index: built from the chunk texts in the document store and stamped with the
store's `generation`. Whenever the store has changed since (an ingest, a deletion, a crash
recovery), the next search rebuilds it and saves it atomically, so it can never disagree with
Chroma for long and never needs its own crash recovery. Tokens: lower-cased words and numbers,
English stop words removed, lightly stemmed (plurals), so names, numbers and rare words match exactly.
This module ranks by words only; fusion with dense search is `retriever.py`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.store.index import Index
from assistant.text import keyword_tokens


class KeywordIndex:
    def __init__(self, index: Index, folder: Path) -> None:
        self.index = index
        self.folder = folder
        self._lock = threading.Lock()
        self._model: Any = None
        self._ids: list[str] = []
        self._generation = -1
        self.df: dict[str, int] = {}

    def chunk_ids(self) -> list[str]:
        """The chunks the keyword index holds (rebuilt first when the index has changed)."""
        self._ensure_fresh()
        return list(self._ids)

    def document_frequencies(self) -> dict[str, int]:
        """How many chunks contain each token (for weighting rare words)."""
        self._ensure_fresh()
        return self.df

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks for `query`; empty when no word matches."""
        self._ensure_fresh()
        if self._model is None or not self._ids:
            return []
        vocab = self._model.vocab_dict
        terms = [t for t in keyword_tokens(query) if t in vocab]
        if not terms:
            return []
        import numpy as np

        scores = self._model.get_scores(terms)
        k = min(k, len(self._ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def _ensure_fresh(self) -> None:
        generation = self.index.docs.generation()
        if generation == self._generation:
            return
        with self._lock:
            if generation == self._generation:
                return
            if not self._load(generation):
                self._build(generation)

    def _load(self, generation: int) -> bool:
        stamp = self.folder / "stamp.json"
        if not stamp.is_file():
            return False
        try:
            meta = json.loads(stamp.read_text())
            if meta.get("generation") != generation:
                return False
            import bm25s

            self._model = bm25s.BM25.load(str(self.folder / "model")) if meta["ids"] else None
            self._ids = list(meta["ids"])
            self.df = json.loads((self.folder / "df.json").read_text())
            self._generation = generation
            return True
        except (OSError, ValueError, KeyError):
            return False

    def _build(self, generation: int) -> None:
        import bm25s

        ids, texts = self.index.docs.chunk_texts()
        model = None
        df: Counter[str] = Counter()
        if ids:
            corpus = [keyword_tokens(t) or ["<empty>"] for t in texts]
            for tokens in corpus:
                df.update(set(tokens))
            model = bm25s.BM25()
            model.index(corpus, show_progress=False)
        self._model, self._ids, self._generation, self.df = model, ids, generation, dict(df)
        with contextlib.suppress(OSError):  # a full or read-only disk: the index still works, from memory
            self._save(model, ids, df, generation)

    def _save(self, model: Any, ids: list[str], df: Counter[str], generation: int) -> None:
        """Write the cache beside, then swap it in (readers never see half a folder)."""
        tmp = self.folder.with_name(f"{self.folder.name}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            tmp.mkdir(parents=True)
            if model is not None:
                model.save(str(tmp / "model"))
            (tmp / "df.json").write_text(json.dumps(df))
            (tmp / "stamp.json").write_text(json.dumps({"generation": generation, "ids": ids}))
            old = self.folder.with_name(f"{self.folder.name}.old{os.getpid()}")
            if self.folder.exists():
                os.replace(self.folder, old)
            os.replace(tmp, self.folder)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
