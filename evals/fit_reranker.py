"""Fit the feature reranker on XQuAD-en (with the BBC distractors) and report held-out recall.

For each question, the hybrid retriever's fused pool is scored by `rerank.features`; a passage is
positive when it overlaps a gold answer span of the gold article. Two-fold cross-validation by
article gives the held-out recall@k of the reranked pool (no question is scored by weights that saw
its article); the shipped weights are then fitted on all questions and written to
`assistant/rerank_weights.json`. Needs the index built by `benchmarks/retrieval_quality.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant import Assistant
from assistant.retrieve.rerank import FEATURES, WEIGHTS_FILE, features
from assistant.settings import Settings
from benchmarks.retrieval_quality import CACHE
from evals.datasets import write_xquad
from evals.sources import XQUAD, locator_for, require


def main() -> None:
    questions = write_xquad(CACHE / "xquad", require(XQUAD, locator_for(Settings())))
    a = Assistant(CACHE / "data", llm_backend="extractive", rerank=False)
    r = a.retriever
    doc_ids = {Path(d.source_path).name: d.doc_id for d in a.index.documents()}
    df = r.keyword.document_frequencies()
    rows = []  # (article, question index, X, y, fused-order)
    for i, q in enumerate(questions):
        pool, bm25, fused = r.pool(q.question)
        if not pool:
            continue
        x = features(q.question, pool, bm25, fused, df)
        gold = doc_ids[q.doc_file]
        y = np.asarray([p.doc_id == gold and any(p.char_start < e and s < p.char_end for s, e in q.spans)
                        for p in pool], dtype=int)
        rows.append((q.doc_file, i, x, y))
    articles = sorted({r_[0] for r_ in rows})
    folds = [set(articles[0::2]), set(articles[1::2])]

    def recall(sel: list[tuple], model: LogisticRegression | None, k: int) -> float:
        hits = 0
        for _, _, x, y in sel:
            order = np.argsort(-model.decision_function(x)) if model else np.arange(len(y))
            hits += int(y[order[:k]].any())
        return hits / len(sel)

    print(f"{len(rows)} questions; pool size {r.candidates} per retriever; features {FEATURES}")
    for k in (1, 5, 10):
        fused_r, reranked = [], []
        for f in range(2):
            train = [r_ for r_ in rows if r_[0] not in folds[f]]
            test = [r_ for r_ in rows if r_[0] in folds[f]]
            m = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
            m.fit(np.vstack([x for *_, x, _ in train]), np.concatenate([y for *_, y in train]))
            fused_r.append(recall(test, None, k) * len(test))
            reranked.append(recall(test, m, k) * len(test))
        n = len(rows)
        print(f"recall@{k}: fused {sum(fused_r) / n:.3f} -> reranked (held-out) {sum(reranked) / n:.3f}")
    m = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced")
    m.fit(np.vstack([x for *_, x, _ in rows]), np.concatenate([y for *_, y in rows]))
    WEIGHTS_FILE.write_text(json.dumps({"features": list(FEATURES), "coef": [round(float(c), 4) for c in m.coef_[0]],
                                        "intercept": round(float(m.intercept_[0]), 4),
                                        "fitted_on": f"XQuAD-en, {len(rows)} questions, BBC distractors"}, indent=2))
    print("weights:", dict(zip(FEATURES, np.round(m.coef_[0], 3), strict=True)), "intercept", m.intercept_[0])


if __name__ == "__main__":
    main()
