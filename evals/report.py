"""Summaries and the report: per-dataset metrics from per-item records, plots, Markdown.

Plots (PNG, matplotlib, no display needed): recall@k curves, support-score histograms of kept vs
unsupported sentences, the refusal trade-off as each of the gate's two lines and the checker's line moves
(`refused_at`, `refused_at_support`: each exact on one side of this run's value, a bound on the other),
latency by stage, and the checker's held-out scores per pair family.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.verify import grounding

from . import metrics

STAGES = ("condense", "retrieve", "first_token", "generate", "verify", "total")
NOISE = ("rgb-noise", "rgb-rejection")  # the RGB questions whose corpus holds only "irrelevant" snippets
# Metrics scored by the answer path's own checker (`assistant.verify`): they show what the product did with
# its verdicts, not whether the verdicts are right; the report marks them "(self-judged)".
SELF_JUDGED = frozenset({"citation_recall", "citation_precision", "unsupported_share", "miscited_share",
                         "supported_share", "judge_checker_agreement"})


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _interval(flags: list[bool]) -> str | None:
    """The Wilson 95% interval of the share of True in `flags`, as "lo-hi" (None for no items)."""
    if not flags:
        return None
    lo, hi = metrics.wilson(sum(flags), len(flags))
    return f"{lo:.2f}-{hi:.2f}"


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
        # Judged by gold labels: a cited span overlaps the gold evidence; a false premise refused or corrected.
        "citation_correct": _mean([float(r["citation_correct"]) for r in answered_ok
                                   if r.get("citation_correct") is not None]),
        "false_premise_handled": _mean([float(r["premise_handled"]) for r in answered
                                        if r.get("premise_handled") is not None]),
        # several-part questions: parts answered (gold answer in the answer), and answered or named as not
        "parts_answered": _mean([r["parts_answered"] for r in answered if r.get("parts_answered") is not None]),
        "parts_handled": _mean([r["parts_handled"] for r in answered if r.get("parts_handled") is not None]),
        # multi-hop questions: right (gold answer, not the other side), each needed passage retrieved / cited
        "multihop_right": _mean([float(r["outcome"] == "right") for r in ans if r.get("hops_retrieved") is not None]),
        "hops_retrieved@10": _mean([r["hops_retrieved"] for r in ans if r.get("hops_retrieved") is not None]),
        "hops_cited": _mean([r["hops_cited"] for r in answered_ok if r.get("hops_cited") is not None]),
        "all_hops_cited": _mean([float(r["hops_cited"] == 1.0) for r in answered_ok
                                 if r.get("hops_cited") is not None]),
        # Self-judged (SELF_JUDGED): scored by the answer path's own checker.
        "citation_recall": _mean([x for r in answered_ok for x in r["citation_recall"]]),
        "citation_precision": _mean([x for r in answered_ok for x in r["citation_precision"]]),
        "unsupported_share": _mean([float(s["label"] == "unsupported") for s in sentences]),
        "miscited_share": _mean([float(s["label"] == "recited") for s in sentences]),
        "supported_share": _mean([float(s["label"] == "supported") for s in sentences]),
        "refusal_recall": round(refusal_recall, 3) if any(not r["answerable"] for r in answered) else None,
        # RGB noise items whose own snippets do not state the gold answer (`metrics.states_answer`): on the
        # others, answering from the snippets is right, and refusal recall counts it against the system.
        "leaked_items": sum(bool(r.get("leaked")) for r in answered) or None,
        "refusal_recall_clean": _mean([float(r["refused"]) for r in answered
                                       if not r["answerable"] and r["dataset"] in NOISE
                                       and not r.get("leaked")]),
        "false_refusal_rate": round(false_refusal, 3) if ans else None,
        # how far the item counts let these rates be trusted: the Wilson 95% interval of each
        "contains_answer_ci95": _interval([r["contains_answer"] == 1.0 for r in ans
                                           if r["contains_answer"] is not None]),
        "refusal_recall_ci95": _interval([bool(r["refused"]) for r in answered if not r["answerable"]]),
        "false_refusal_rate_ci95": _interval([bool(r["refused"]) for r in ans]),
        "crag_score": round(metrics.crag_score([r["outcome"] for r in answered]), 3) if answered else None,
        "states_other_answer": _mean([float(r["states_other_answer"]) for r in answered_ok
                                      if r["dataset"] == "rgb-counterfactual"]),
        # RGB noise questions answered without RGB's real answer (gold-judged): the wrong answers among
        # the questions refusal recall counts as not refused (the shared index, or RGB's own "negative"
        # snippets, may hold the real one).
        "wrong_answers": _mean([float(not r["refused"] and not r["states_other_answer"]) for r in answered
                                if r["dataset"] in NOISE]),
        # Optional LLM judge (assistant eval --judge): RAGAS-style faithfulness, and agreement with our checker.
        "judge_faithfulness": _mean([r["judge"]["faithfulness"] for r in answered_ok
                                     if "judge" in r and r["judge"]["faithfulness"] is not None]),
        "judge_checker_agreement": _mean([float(x) for r in answered_ok if "judge" in r
                                          for x in r["judge"]["checker_agrees"]]),
    })
    for stage in STAGES:
        values = [r["timings"][stage] for r in answered if stage in r["timings"]]
        if values:
            out[f"latency_{stage}_p50_s"] = round(metrics.percentile(values, 0.5), 3)
            out[f"latency_{stage}_p95_s"] = round(metrics.percentile(values, 0.95), 3)
    reasons = Counter(r.get("decision") or "unknown" for r in answered if r["refused"])
    if reasons:  # why questions were refused: the gate, the model itself, or the checker (answer/policy.py)
        out["refusals_by_reason"] = dict(sorted(reasons.items()))
    return {k: v for k, v in out.items() if v is not None}


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    names = list(dict.fromkeys(r["dataset"] for r in records))
    return {"datasets": {n: summarise_dataset([r for r in records if r["dataset"] == n]) for n in names}}


def refused_at(record: dict[str, Any], min_score: float, min_relevance: float) -> bool:
    """Whether the item would be refused with these lines at the gate (`policy.gate`): it was refused, or no
    passage reaches `min_score` cosine or `min_relevance` reranker probability and none passes on the acronyms
    it names. Records without `best_score` (older runs) read the first passage's score and no relevance."""
    best, relevance = record.get("best_score", record["top_score"]), record.get("best_relevance", 0.0)
    passes = best >= min_score or relevance >= min_relevance or record.get("passes_named", False)
    return bool(record["refused"] or not passes)


def refused_at_support(record: dict[str, Any], threshold: float) -> bool:
    """Whether the item would be refused with `threshold` as the checker's line (`grounding.THRESHOLD` in the
    run): none of its sentences would be kept. Above the run's line a kept sentence stays only when its score
    reaches the new line (a quote or computed comparison, with no score, always stays); below it, what the run
    kept stays (rescues and cuts stand) and a sentence it dropped comes back when its score reaches the line
    (the eval keeps them, `show_unsupported`; a sentence the premise veto dropped, scored just under the line,
    comes back too, so the lowest part of the curve overstates answers). An item with no sentence keeps its
    outcome (refused at the gate, or the model said it does not know)."""
    sentences = record["sentences"]
    if not sentences:
        return bool(record["refused"])

    def kept(s: dict[str, Any]) -> bool:
        if s["label"] != "unsupported":
            return s["support"] is None or s["support"] >= threshold or threshold <= grounding.THRESHOLD
        return s["support"] is not None and threshold < grounding.THRESHOLD and s["support"] >= threshold

    return not any(kept(s) for s in sentences)


def _plots(records: list[dict[str, Any]], out: Path, chosen: float | None = None,
           relevance: float | None = None) -> list[str]:
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
    answerable = [r["answerable"] for r in answered]
    thresholds = [i / 20 for i in range(21)]

    def curve(refused: Callable[[dict[str, Any], float], bool], color: str, label: str) -> None:
        rates = [metrics.refusal_rates(answerable, [refused(r, t) for r in answered]) for t in thresholds]
        rr, fr = [a for a, _ in rates], [b for _, b in rates]
        ax.plot(fr, rr, marker=".", color=color, label=label)
        for t, x, y in zip(thresholds[::4], fr[::4], rr[::4], strict=True):
            ax.annotate(f"{t:.1f}", (x, y), fontsize=7, color=color)

    # Each of the gate's two lines moved with the other at this run's value. Above this run's value a curve
    # is exact (answers whose passages would fail the gate become refusals); below it a question the gate
    # refused still counts as refused (what it would answer is not known), so that part bounds from above.
    if chosen is not None and relevance is not None:
        curve(lambda r, t: refused_at(r, t, relevance), "tab:blue", "moving min_score")
        curve(lambda r, t: refused_at(r, chosen, t), "tab:green", "moving min_relevance")
    curve(refused_at_support, "tab:orange", f"moving the checker's line ({grounding.THRESHOLD})")
    rr_now, fr_now = metrics.refusal_rates(answerable, [r["refused"] for r in answered])
    ax.plot([fr_now], [rr_now], "o", color="crimson", ms=8,
            label=f"this run (min_score {chosen}, min_relevance {relevance})")
    ax.legend(fontsize=7, loc="lower right")
    ax.set(xlabel="false-refusal rate (answerable)", ylabel="refusal recall (unanswerable)",
           title="Refusal trade-off: the gate's and the checker's lines")
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


def _checker_plot(scored: list[dict[str, Any]], out: Path) -> str:
    """Held-out support scores per pair family: supported pairs against unsupported ones."""
    import matplotlib.pyplot as plt

    families = sorted({s["pair_type"].split(":")[0] for s in scored})
    fig, axes = plt.subplots(1, len(families), figsize=(3.2 * len(families), 3), sharey=False, squeeze=False)
    for ax, fam in zip(axes[0], families, strict=True):
        pos = [s["score"] for s in scored if s["pair_type"].startswith(fam + ":") and s["label"]]
        neg = [s["score"] for s in scored if s["pair_type"].startswith(fam + ":") and not s["label"]]
        ax.hist([pos, neg], bins=20, range=(0, 1), label=["supported", "not supported"], color=["#1a7f37", "#cf222e"])
        ax.axvline(0.5, color="k", ls="--", lw=1)
        ax.set(title=fam, xlabel="support()")
    axes[0][0].set_ylabel("held-out pairs")
    axes[0][0].legend(fontsize=7)
    return _save(fig, out / "checker_scores.png")


def _accuracy_table(title: str, intro: str, rows: list[dict[str, Any]], name: str) -> list[str]:
    head = f"| {name.replace('_', ' ')} | supported / not | balanced accuracy | AUROC |"
    lines = [f"## {title}", "", intro, "", head, "|---|---|---|---|"]
    lines += [f"| {r[name]} | {r['n_pos']} / {r['n_neg']} | {r['balanced_accuracy']} | {r['auroc']} |" for r in rows]
    return [*lines, ""]


def _checker_section(checker: dict[str, Any]) -> list[str]:
    return _accuracy_table("The checker on held-out labelled pairs",
                           f"{checker['n_pairs']} pairs the weights were not fitted on; time per pair p50 "
                           f"{checker['ms_per_pair_p50']} ms, p95 {checker['ms_per_pair_p95']} ms.",
                           checker["rows"], "pair_type")


def _validation_section(v: dict[str, Any]) -> list[str]:
    return _accuracy_table("The checker on public validation sets it was never fitted on",
                           f"Balanced samples of up to {v['per_dataset']} pairs per dataset (shared `nli/` folder; "
                           f"gold labels from each dataset's annotators). Mean balanced accuracy "
                           f"**{v['mean_balanced_accuracy']}**; time per pair p50 {v['ms_per_pair_p50']} ms, "
                           f"p95 {v['ms_per_pair_p95']} ms.", v["rows"], "dataset")


def write_report(summary: dict[str, Any], records: list[dict[str, Any]], out: Path,
                 checker_scored: list[dict[str, Any]] | None = None) -> Path:
    config = summary.get("config", {})
    plots = _plots(records, out, config.get("min_score"), config.get("min_relevance"))
    if checker_scored:
        plots.append(_checker_plot(checker_scored, out))
    lines = ["# Grounding evaluation report", ""]
    if config:
        lines += ["Configuration: " + ", ".join(f"`{k}={v}`" for k, v in config.items()), ""]
    if summary.get("data"):
        lines += ["Data: " + ", ".join(f"{k} ({v})" for k, v in summary["data"].items()), ""]
    lines += [f"- {line}" for line in summary.get("skipped", [])] + ([""] if summary.get("skipped") else [])
    keys = list(dict.fromkeys(k for d in summary["datasets"].values() for k in d))
    names = list(summary["datasets"])
    lines += ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for k in keys:
        cells = [summary["datasets"][n].get(k, "") for n in names]
        label = f"{k} (self-judged)" if k in SELF_JUDGED else k
        lines.append(f"| {label} | " + " | ".join(str(c) for c in cells) + " |")
    lines.append("")
    if "checker" in summary:
        lines += _checker_section(summary["checker"])
    if "checker_validation" in summary:
        lines += _validation_section(summary["checker_validation"])
    lines += [*[f"![{p}]({p})" for p in plots], ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), "utf-8")
    return path
