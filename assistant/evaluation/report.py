"""Summaries and the report: per-dataset metrics from per-item records, plots, Markdown.

Plots (PNG, matplotlib, no display needed): recall@k curves, support-score histograms of kept vs
unsupported sentences, the refusal trade-off as the retrieval threshold moves, latency by stage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import metrics

STAGES = ("condense", "retrieve", "first_token", "generate", "verify", "total")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def summarise_dataset(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in rows if r.get("answered", True)]
    ans = [r for r in answered if r["answerable"]]
    ranks = [r["gold_rank"] for r in rows if r["has_gold"] and r["answerable"]]
    sentences = [s for r in answered for s in r["sentences"]]
    refusal_recall, false_refusal = metrics.refusal_rates([r["answerable"] for r in answered],
                                                          [r["refused"] for r in answered])
    out: dict[str, Any] = {"items": len(rows), "answered": len(answered)}
    if ranks:
        out.update({f"recall@{k}": round(metrics.recall_at_k(ranks, k), 3) for k in (1, 5, 10)})
        out["mrr"] = round(metrics.mrr(ranks), 3)
        out["ndcg@10"] = round(metrics.ndcg_at_k(ranks, 10), 3)
    answered_ok = [r for r in ans if not r["refused"]]
    out.update({
        "exact_match": _mean([r["exact_match"] for r in ans if r["exact_match"] is not None]),
        "f1": _mean([r["f1"] for r in ans if r["f1"] is not None]),
        "contains_answer": _mean([r["contains_answer"] for r in ans if r["contains_answer"] is not None]),
        "citation_recall": _mean([x for r in answered_ok for x in r["citation_recall"]]),
        "citation_precision": _mean([x for r in answered_ok for x in r["citation_precision"]]),
        "unsupported_share": _mean([float(s["label"] == "unsupported") for s in sentences]),
        "miscited_share": _mean([float(s["label"] == "recited") for s in sentences]),
        "supported_share": _mean([float(s["label"] == "supported") for s in sentences]),
        "refusal_recall": round(refusal_recall, 3) if any(not r["answerable"] for r in answered) else None,
        "false_refusal_rate": round(false_refusal, 3) if ans else None,
        "crag_score": round(metrics.crag_score([r["outcome"] for r in answered]), 3) if answered else None,
        "states_other_answer": _mean([float(r["states_other_answer"]) for r in answered_ok
                                      if r["dataset"] == "rgb-counterfactual"]),
    })
    for stage in STAGES:
        values = [r["timings"][stage] for r in answered if stage in r["timings"]]
        if values:
            out[f"latency_{stage}_p50_s"] = round(metrics.percentile(values, 0.5), 3)
            out[f"latency_{stage}_p95_s"] = round(metrics.percentile(values, 0.95), 3)
    return {k: v for k, v in out.items() if v is not None}


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(dict.fromkeys(r["dataset"] for r in records))
    return {"datasets": {n: summarise_dataset([r for r in records if r["dataset"] == n]) for n in names}}


def _plots(records: list[dict[str, Any]], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for name in dict.fromkeys(r["dataset"] for r in records):
        ranks = [r["gold_rank"] for r in records if r["dataset"] == name and r["has_gold"] and r["answerable"]]
        if ranks:
            ax.plot(range(1, 11), [metrics.recall_at_k(ranks, k) for k in range(1, 11)], marker="o", label=name)
    ax.set(xlabel="k", ylabel="recall@k", title="Retrieval: gold passage in top k", ylim=(0, 1.02))
    ax.legend(fontsize=8)
    files.append(_save(fig, out / "recall_at_k.png"))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    kept = [s["support"] for r in records for s in r["sentences"] if s["label"] != "unsupported" and s["support"]]
    bad = [s["support"] for r in records for s in r["sentences"] if s["label"] == "unsupported" and s["support"]]
    ax.hist([kept, bad], bins=20, range=(0, 1), label=["kept (supported / re-cited)", "unsupported"], stacked=True)
    ax.axvline(0.5, color="k", ls="--", lw=1)
    ax.set(xlabel="support score", ylabel="sentences", title="Grounding scores of answer sentences")
    ax.legend(fontsize=8)
    files.append(_save(fig, out / "support_hist.png"))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    answered = [r for r in records if r.get("answered", True)]
    thresholds = [i / 20 for i in range(21)]
    rr, fr = [], []
    for t in thresholds:
        refused = [r["refused"] or r["top_score"] < t for r in answered]
        a, b = metrics.refusal_rates([r["answerable"] for r in answered], refused)
        rr.append(a)
        fr.append(b)
    ax.plot(fr, rr, marker=".")
    for t, x, y in zip(thresholds[::4], fr[::4], rr[::4], strict=True):
        ax.annotate(f"{t:.1f}", (x, y), fontsize=7)
    ax.set(xlabel="false-refusal rate (answerable)", ylabel="refusal recall (unanswerable)",
           title="Refusal trade-off as min_score moves")
    files.append(_save(fig, out / "refusal_tradeoff.png"))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    stages = [s for s in STAGES if s != "total"]
    med = [metrics.percentile([r["timings"][s] for r in answered if s in r["timings"]], 0.5) for s in stages]
    p95 = [metrics.percentile([r["timings"][s] for r in answered if s in r["timings"]], 0.95) for s in stages]
    ax.bar(stages, p95, color="#c8d1dc", label="p95")
    ax.bar(stages, med, color="#0969da", label="p50")
    ax.set(ylabel="seconds", title="Latency by stage")
    ax.legend(fontsize=8)
    files.append(_save(fig, out / "latency.png"))
    return files


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path.name


def write_report(summary: dict[str, Any], records: list[dict[str, Any]], out: Path) -> Path:
    plots = _plots(records, out)
    lines = ["# Grounding evaluation report", ""]
    config = summary.get("config", {})
    if config:
        lines += ["Configuration: " + ", ".join(f"`{k}={v}`" for k, v in config.items()), ""]
    keys = list(dict.fromkeys(k for d in summary["datasets"].values() for k in d))
    names = list(summary["datasets"])
    lines += ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for k in keys:
        cells = [summary["datasets"][n].get(k, "") for n in names]
        lines.append(f"| {k} | " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", *[f"![{p}]({p})" for p in plots], ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), "utf-8")
    return path
