"""A first evaluation run: answer each question of a JSONL dataset and score retrieval, citations, refusals.

Dataset lines: `question`, `answerable`, and for answerable items `reference` (short answer), `doc`
(file name of the gold article) and `evidence` (gold character spans in that article's stored text).
Metrics are plain functions over per-item records. Writes `items.jsonl`, `summary.json`, `report.md`.
The full suite (XQuAD, RGB, plots, thresholds) is its own piece of work; this is the seed slice.
"""

from __future__ import annotations

import json
import re
import statistics
import string
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .pipeline import Assistant
from .types import Answer


def normalise(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower().replace("’", "'") if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_item(item: dict[str, Any], answer: Answer, doc_id: str | None) -> dict[str, Any]:
    gold = [(e["char_start"], e["char_end"]) for e in item.get("evidence", [])]
    rank = next((i + 1 for i, p in enumerate(answer.passages)
                 if p.doc_id == doc_id and any(overlaps((p.char_start, p.char_end), g) for g in gold)), None)
    cited = [c for c in answer.citations if c.doc_id == doc_id and any(overlaps((c.char_start, c.char_end), g)
                                                                       for g in gold)]
    return {
        "question": item["question"], "answerable": item["answerable"], "refused": answer.refused,
        "answer": answer.text, "reference": item.get("reference"), "gold_rank": rank,
        "answer_match": bool(item.get("reference")) and normalise(item["reference"]) in normalise(answer.text),
        "citation_hit": bool(cited), "n_citations": len(answer.citations),
        "latency_s": round(answer.timings.get("total", 0.0), 3),
    }


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in records if r["answerable"]]
    una = [r for r in records if not r["answerable"]]

    def share(rows: list[dict[str, Any]], pred: Any) -> float:
        return round(sum(1 for r in rows if pred(r)) / len(rows), 3) if rows else 0.0

    return {
        "items": len(records),
        "retrieval_recall@k": share(ans, lambda r: r["gold_rank"] is not None),
        "mrr": round(sum(1 / r["gold_rank"] for r in ans if r["gold_rank"]) / len(ans), 3) if ans else 0.0,
        "answer_match": share(ans, lambda r: r["answer_match"]),
        "citation_hit": share(ans, lambda r: r["citation_hit"]),
        "refusal_recall": share(una, lambda r: r["refused"]),
        "false_refusal_rate": share(ans, lambda r: r["refused"]),
        "latency_p50_s": round(statistics.median(r["latency_s"] for r in records), 3) if records else 0.0,
    }


def run_eval(assistant: Assistant, dataset: str | Path, out: str | Path, quick: bool = False,
             corpus: str | Path = "corpus") -> dict[str, Any]:
    items = [json.loads(x) for x in Path(dataset).read_text(encoding="utf-8").splitlines() if x.strip()]
    if quick:
        items = items[:10] + [i for i in items[10:] if not i["answerable"]][:4]
    assistant.ingest([corpus], progress=False)
    docs = {Path(d.source_path).name: d.doc_id for d in assistant.index.documents()}
    records = []
    for item in tqdm(items, desc="Evaluating", unit="q"):
        started = time.perf_counter()
        answer = assistant.ask(item["question"])
        record = score_item(item, answer, docs.get(item.get("doc", "")))
        record["latency_s"] = round(time.perf_counter() - started, 3)
        records.append(record)
    summary = summarise(records)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "items.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    (out / "summary.json").write_text(json.dumps(summary, indent=2), "utf-8")
    lines = ["# Evaluation report", "", f"Dataset: `{dataset}` ({len(records)} items)", "",
             "| metric | value |", "|---|---|", *[f"| {k} | {v} |" for k, v in summary.items()], ""]
    (out / "report.md").write_text("\n".join(lines), "utf-8")
    return summary
