"""The validation-only loaders (benchmark sets: never train on them); `evals.nli.VALIDATION` registers them.

Each loader reads one dataset's files under the nli root and maps its label column to 1 (the premise
supports the claim) or 0 as the README says; `summac`, `qags` and `anli` build the loaders of several
files of one source (`anli("dev")` is in `NON_COMMERCIAL_TRAINING`, not here). Reading, cleaning,
de-duplication and grouping are `io`'s; the choices per dataset are in the package docstring.

Not done here: no registry (see `evals.nli`), no download, no split.
"""

from __future__ import annotations

import json
import math
import re
import tarfile
from pathlib import Path
from typing import Any

from evals.nli.io import (
    BINARY,
    Collector,
    Loader,
    as_text,
    digest,
    map_label,
    read_csv,
    read_json,
    read_jsonl,
    read_tsv,
)
from evals.pairs import Pair

_SUMMEDITS_DOMAINS = ("ectsum", "news", "qmsumm", "samsum", "scitldr")
_LFQA_FILES = {  # annotation file -> the evidence documents its answer sentences were judged against
    "alpaca": "webgpt",
    "alpaca_wdoc": "webgpt",
    "gpt3": "webgpt",
    "gpt3_wdoc": "webgpt",
    "gpt3_whudoc": "human",
    "webgpt": "webgpt",
}


def summac(name: str) -> Loader:
    """SummaC benchmark export loader for one of its datasets (factcc, xsumfaith, summeval)."""

    def load(root: Path, dedupe: bool = True) -> list[Pair]:
        c = Collector(name)
        for key, r in read_json(root / "summac_benchmark_casszhao" / f"{name}.json").items():
            doc_id = r.get("cnndm_id") or r.get("bbcid") or r.get("id") or r.get("filepath") or key
            c.add(r.get("document"), r.get("claim"), map_label(r.get("label"), BINARY), doc_id)
        return c.pairs(dedupe)

    load.__doc__ = f"SummaC benchmark export, {name}: document -> summary, `label` 1 = consistent."
    return load


def frank(root: Path, dedupe: bool = True) -> list[Pair]:
    """FRANK: annotations joined to the tar's <hash>.json[model_name]; Factuality == 1.0 -> 1, else 0."""
    folder = root / "frank"
    articles: dict[str, dict[str, Any]] = {}
    with tarfile.open(folder / "articles-wbertscore-json.tar.gz", "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".json"):
                f = tar.extractfile(member)
                if f is not None:
                    articles[Path(member.name).stem] = json.load(f)
    c = Collector("frank")
    for r in read_json(folder / "human_annotations.json"):
        article = articles.get(str(r.get("hash")), {})
        factuality = r.get("Factuality")
        label = int(math.isclose(float(factuality), 1.0)) if isinstance(factuality, int | float) else None
        c.add(article.get("article"), article.get(str(r.get("model_name"))), label, r.get("hash"))
    return c.pairs(dedupe)


def qags(name: str) -> Loader:
    """QAGS loader at sentence level for one of its sources (cnndm, xsum)."""

    def load(root: Path, dedupe: bool = True) -> list[Pair]:
        c = Collector(f"qags_{name}")
        for r in read_jsonl(root / "qags" / f"mturk_{name}.jsonl"):
            article = as_text(r.get("article"))
            for s in r.get("summary_sentences", []):
                votes = [str(x.get("response", "")).strip().lower() for x in s.get("responses", [])]
                yes, no = votes.count("yes"), votes.count("no")
                c.add(article, s.get("sentence"), None if yes == no else int(yes > no), digest(article))
        return c.pairs(dedupe)

    load.__doc__ = f"QAGS {name}, sentence level: article -> summary sentence, majority of the yes/no votes."
    return load


def cliff(root: Path, dedupe: bool = True) -> list[Pair]:
    """AggreFact error types for CLIFF: `error_type == 'correct'` -> 1, any error list -> 0."""
    c = Collector("cliff")
    for r in read_csv(root / "aggrefact_error_types" / "CLIFF_error_types.csv"):
        label = int(r["error_type"].strip() == "correct") if r.get("error_type", "").strip() else None
        c.add(r.get("doc"), r.get("summ"), label, f"{r.get('origin', '')}-{r.get('id', '')}")
    return c.pairs(dedupe)


def summedits(root: Path, dedupe: bool = True) -> list[Pair]:
    """SummEdits, the five domains here as one dataset; group "<domain>-<seed id>" keeps a document's edits together."""
    c = Collector("summedits")
    for domain in _SUMMEDITS_DOMAINS:
        for r in read_json(root / "summedits" / f"summedits_{domain}.json"):
            seed = str(r.get("id", "")).rsplit("_", 1)[0] or digest(as_text(r.get("doc")))
            c.add(r.get("doc"), r.get("summary"), map_label(r.get("label"), BINARY), f"{domain}-{seed}")
    return c.pairs(dedupe)


def tofueval(root: Path, dedupe: bool = True) -> list[Pair]:
    """TofuEval with transcripts: grounding -> summary, `label` 1 = consistent; group = the transcript id."""
    c = Collector("tofueval")
    for r in read_csv(root / "tofueval_with_docs" / "tofueval_download.csv"):
        c.add(r.get("grounding"), r.get("generated_text"), map_label(r.get("label"), BINARY),
              str(r.get("id", "")).split("_")[0])
    return c.pairs(dedupe)


def wice(root: Path, dedupe: bool = True) -> list[Pair]:
    """WiCE test claims: evidence sentences (one a line) -> claim; supported -> 1, partially/not supported -> 0."""
    mapping = {"supported": 1, "partially_supported": 0, "not_supported": 0}
    c = Collector("wice")
    for r in read_jsonl(root / "wice" / "claim_test.jsonl"):
        evidence = "\n".join(as_text(s).strip() for s in r.get("evidence", []) if as_text(s).strip())
        c.add(evidence, r.get("claim"), map_label(r.get("label"), mapping), r.get("meta", {}).get("id"))
    return c.pairs(dedupe)


def lfqa(root: Path, dedupe: bool = True) -> list[Pair]:
    """LFQA verification: evidence documents -> answer sentence; majority of three labels, ties excluded."""
    folder = root / "lfqa_verification"
    mapping = {"supported": 1, "not_supported": 0, "partially": 0}
    docs: dict[str, dict[int, str]] = {}
    for name in sorted(set(_LFQA_FILES.values())):
        docs[name] = {}
        for q in read_json(folder / f"docs-{name}.json"):
            parts = [f"{as_text(d.get('title')).strip()}\n{as_text(d.get('text')).strip()}".strip() for d in q["docs"]]
            docs[name][int(q["question_id"])] = "\n\n".join(p for p in parts if p)
    c = Collector("lfqa")
    for name, doc_set in _LFQA_FILES.items():
        for q in read_json(folder / f"annotations-{name}.json"):
            qid = int(q["question_id"])
            for a in q.get("annotations", []):
                votes = [str(v).strip().lower() for v in a.get("labels", [])]
                top = max(set(votes), key=votes.count) if votes else ""
                majority = votes.count(top) * 2 > len(votes)
                c.add(docs[doc_set].get(qid), a.get("answer"), map_label(top, mapping) if majority else None, f"q{qid}")
    return c.pairs(dedupe)


def factcheck_gpt(root: Path, dedupe: bool = True) -> list[Pair]:
    """Factcheck-Bench stance: web evidence -> claim; completely-support -> 1, partial/refute/irrelevant -> 0."""
    mapping = {"completely-support": 1, "partially-support": 0, "refute": 0, "irrelevant": 0}
    c = Collector("factcheck_gpt")
    for r in read_jsonl(root / "factcheck_gpt_stance" / "subtask3_claim_evidence_stance.jsonl"):
        c.add(r.get("evidence"), r.get("claim"), map_label(r.get("stance"), mapping), digest(as_text(r.get("claim"))))
    return c.pairs(dedupe)


def begin(root: Path, dedupe: bool = True) -> list[Pair]:
    """BEGIN: knowledge -> response (dialogue history not used); Fully attributable -> 1, else (Generic too) 0."""
    mapping = {"fully attributable": 1, "not fully attributable": 0, "generic": 0}
    c = Collector("begin")
    for name in ("begin_dev_cmu", "begin_dev_tc", "begin_dev_wow", "begin_test_wow"):
        for row in read_tsv(root / "begin" / f"{name}.tsv", header=True):
            if len(row) >= 6:
                c.add(row[2], row[4], map_label(row[5], mapping), f"{row[1].strip()}-{digest(row[2])}")
    return c.pairs(dedupe)


def q2(root: Path, dedupe: bool = True) -> list[Pair]:
    """Q2 (WoW): knowledge -> response; the file name gives the label (*_consistent 1, *_inconsistent 0)."""
    c = Collector("q2")
    for system in ("dodeca", "memnet"):
        for kind, label in (("consistent", 1), ("inconsistent", 0)):
            for r in read_csv(root / "q2" / f"{system}_{kind}.csv"):
                c.add(r.get("knowledge"), r.get("response"), label, digest(as_text(r.get("knowledge"))))
    return c.pairs(dedupe)


def falke(root: Path, dedupe: bool = True) -> list[Pair]:
    """Falke et al. triples: article sentence -> correct summary sentence (1) and -> incorrect one (0)."""
    c = Collector("falke")
    for r in read_json(root / "falke_correctness" / "val_sentence_pairs.json"):
        c.add(r.get("article_sent"), r.get("correct_sent"), 1, r.get("article_id"))
        c.add(r.get("article_sent"), r.get("incorrect_sent"), 0, r.get("article_id"))
    return c.pairs(dedupe)


def gofigure(root: Path, dedupe: bool = True) -> list[Pair]:
    """GO FIGURE human eval (SAMSum, XSum): factual -> 1, factually incorrect -> 0, too incoherent excluded."""
    mapping = {"factual": 1, "factually incorrect": 0}
    c = Collector("gofigure")
    for domain in ("samsum", "xsum"):
        for r in read_jsonl(root / "gofigure_human_eval" / f"{domain}.jsonl"):
            article = re.sub(r"\s*</s>\s*", "\n", as_text(r.get("article")))
            summary = re.sub(r"<br\s*/?>", " ", as_text(r.get("summary")))
            c.add(article, summary, map_label(r.get("label"), mapping), f"{domain}-{digest(article)}")
    return c.pairs(dedupe)


def anli(split: str) -> Loader:
    """ANLI v1.0 R1-R3 loader for one split (test: validation; dev: non-commercial training)."""

    def load(root: Path, dedupe: bool = True) -> list[Pair]:
        c = Collector(f"anli_{split}")
        for rnd in (1, 2, 3):
            for r in read_jsonl(root / "anli_v1" / f"R{rnd}_{split}.jsonl"):
                context = as_text(r.get("context"))
                label = map_label(r.get("label"), {"e": 1, "n": 0, "c": 0})
                c.add(context, r.get("hypothesis"), label, f"R{rnd}-{digest(context)}")
        return c.pairs(dedupe)

    load.__doc__ = f"ANLI v1.0 R1-R3 {split} (CC BY-NC 4.0): context -> hypothesis; e -> 1, n and c -> 0."
    return load
