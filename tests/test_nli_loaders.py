"""The nli/ pair loaders (evals/nli/) against the real files and the counts their README and counts.json state.

The data is found as the eval finds it (ASSISTANT_EVAL_DATA, then the cache); without it these tests skip.
Every file is parsed once per module (records kept as published, `dedupe=False`, which is what counts.json
counts); the de-duplicated default is checked against a set computed here from those records.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from evals import nli
from evals.pairs import Pair
from evals.sources import NLI
from tests.conftest import dataset

ALL = {**nli.VALIDATION, **nli.TRAINING, **nli.NON_COMMERCIAL_TRAINING}

# loader -> (counts.json dataset, files of it; None = all files)
SOURCES: dict[str, tuple[str, list[str] | None]] = {
    "factcc": ("summac_benchmark_casszhao", ["factcc.json"]),
    "xsumfaith": ("summac_benchmark_casszhao", ["xsumfaith.json"]),
    "summeval": ("summac_benchmark_casszhao", ["summeval.json"]),
    "frank": ("frank", None),
    "qags_cnndm": ("qags", ["mturk_cnndm.jsonl"]),
    "qags_xsum": ("qags", ["mturk_xsum.jsonl"]),
    "cliff": ("aggrefact_error_types", None),
    "summedits": ("summedits", None),
    "tofueval": ("tofueval_with_docs", None),
    "wice": ("wice", None),
    "lfqa": ("lfqa_verification", None),
    "factcheck_gpt": ("factcheck_gpt_stance", None),
    "begin": ("begin", None),
    "q2": ("q2", None),
    "falke": ("falke_correctness", None),
    "gofigure": ("gofigure_human_eval", None),
    "anli_test": ("anli_v1", ["R1_test.jsonl", "R2_test.jsonl", "R3_test.jsonl"]),
    "factcg_cg2c": ("factcg_cg2c", None),
    "fever_nli": ("docnli_binary_fever_nli", None),
    "mnli": ("docnli_binary_mnli", None),
    "snli": ("snli_esnli_tok", None),
    "rte": ("rte_resplit", None),
    "vitaminc": ("vitaminc_icl_sample", None),
    "paws": ("paws_true_dev", None),
    "mrpc": ("mrpc", None),
    "anli_dev": ("anli_v1", ["R1_dev.jsonl", "R2_dev.jsonl", "R3_dev.jsonl"]),
    "sick": ("sick", None),
}


@pytest.fixture(scope="module")
def root() -> Path:
    return dataset(NLI).parent


@pytest.fixture(scope="module")
def counts(root: Path) -> dict:
    return json.loads((root / "counts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw(root: Path) -> dict[str, list[Pair]]:
    return {name: loader(root, dedupe=False) for name, loader in ALL.items()}


def _binary(pairs: list[Pair]) -> tuple[int, int]:
    pos = sum(p.label for p in pairs)
    return pos, len(pairs) - pos


def _expected(counts: dict, name: str) -> tuple[int, int]:
    folder, files = SOURCES[name]
    entries = [v for k, v in counts[folder].items() if files is None or k in files]
    assert entries and (files is None or len(entries) == len(files))
    if name.startswith("qags_"):
        # Our unit is the summary sentence (majority of 3 votes); counts.json's "binary" is summary-level,
        # its raw_labels count the sentences. (No sentence has a tied vote: every one has 3 yes/no votes.)
        yes = sum(e["raw_labels"]["sentences_majority_yes"] for e in entries)
        return yes, sum(e["raw_labels"]["sentences_majority_no"] for e in entries)
    pos = sum(e["binary"]["1"] for e in entries)
    neg = sum(e["binary"]["0"] for e in entries)
    if name == "mrpc":
        return pos, 0  # positives only, per the README's caveat (0 = not a paraphrase, not "unsupported")
    # lfqa (no-majority sentences) and gofigure ('too incoherent') exclusions are already out of "binary";
    # falke counts each triple as one positive and one negative pair, as the loader does without dedupe.
    return pos, neg


def test_registries_and_licences() -> None:
    assert set(ALL) == set(SOURCES)
    assert not set(nli.TRAINING) & nli.NON_COMMERCIAL
    assert set(nli.NON_COMMERCIAL_TRAINING) <= nli.NON_COMMERCIAL
    assert "anli_test" in nli.VALIDATION and "anli_test" in nli.NON_COMMERCIAL
    assert not set(nli.TRAINING) & set(nli.VALIDATION)
    assert not set(nli.NON_COMMERCIAL_TRAINING) & (set(nli.TRAINING) | set(nli.VALIDATION))


@pytest.mark.parametrize("name", list(SOURCES))
def test_counts_match_counts_json(name: str, raw: dict[str, list[Pair]], counts: dict) -> None:
    assert _binary(raw[name]) == _expected(counts, name)


def test_counts_match_readme_table(root: Path, raw: dict[str, list[Pair]]) -> None:
    """A second oracle: the README table's "N (supported / not)" per dataset folder."""
    table = {}
    for line in (root / "README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| \*\*(\w+)\*\* .*?\| [^|]+ \| [^|]+ \| [^|]*?\((\d+) / (\d+)\) \|", line)
        if m:
            table[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, (folder, _) in SOURCES.items():
        pos, neg = _binary(raw[name])
        totals[folder][0] += pos
        totals[folder][1] += neg
    totals["mrpc"][1] = table["mrpc"][1]  # positives only: the 0s are not loaded
    # QAGS: the table counts summaries (supported = every sentence majority-yes); rebuild that from the
    # sentence pairs, whose group is the article (one summary per article in QAGS).
    by_article: dict[str, list[int]] = defaultdict(list)
    for p in raw["qags_cnndm"] + raw["qags_xsum"]:
        by_article[p.group].append(p.label)
    summaries = sum(all(v) for v in by_article.values())
    totals["qags"] = [summaries, len(by_article) - summaries]
    assert len(table) == 23
    assert {k: tuple(v) for k, v in totals.items()} == {k: table[k] for k in totals}


@pytest.mark.parametrize("name", list(SOURCES))
def test_pairs_are_well_formed(name: str, raw: dict[str, list[Pair]]) -> None:
    pairs = raw[name]
    assert pairs
    for p in pairs:
        assert p.premise.strip() == p.premise and p.premise
        assert p.claim.strip() == p.claim and p.claim
        assert p.label in (0, 1)
        assert p.pair_type == f"{name}:{'supported' if p.label else 'unsupported'}"
        assert p.family == name and p.group.startswith(f"{name}:") and len(p.group) > len(name) + 1


@pytest.mark.parametrize("name", list(SOURCES))
def test_one_premise_one_group(name: str, raw: dict[str, list[Pair]]) -> None:
    groups: dict[str, set[str]] = defaultdict(set)
    for p in raw[name]:
        groups[" ".join(p.premise.split())].add(p.group)
    assert all(len(g) == 1 for g in groups.values())
    if name in ("snli", "mnli", "summedits", "lfqa", "factcheck_gpt"):
        assert len({p.group for p in raw[name]}) < len(raw[name])  # premises are shared: groups do gather


@pytest.mark.parametrize("name", list(SOURCES))
def test_dedupe_keeps_each_pair_once(name: str, raw: dict[str, list[Pair]]) -> None:
    labels: dict[tuple[str, str], set[int]] = defaultdict(set)
    for p in raw[name]:
        labels[(" ".join(p.premise.split()), " ".join(p.claim.split()))].add(p.label)
    kept = {k: next(iter(v)) for k, v in labels.items() if len(v) == 1}  # conflicting copies are dropped
    deduped = nli.dedupe(raw[name])
    keys = [(" ".join(p.premise.split()), " ".join(p.claim.split())) for p in deduped]
    assert len(keys) == len(set(keys)) == len(kept)
    assert {k: p.label for k, p in zip(keys, deduped, strict=True)} == kept


@pytest.mark.parametrize("name", ["frank", "falke", "q2", "factcheck_gpt"])
def test_default_loader_dedupes(name: str, root: Path, raw: dict[str, list[Pair]]) -> None:
    """The default (de-duplicated) loader is `dedupe` of the raw records; these sets do have duplicates."""
    pairs = ALL[name](root)
    assert len(pairs) < len(raw[name])
    assert [(p.premise, p.claim, p.label) for p in pairs] == [
        (p.premise, p.claim, p.label) for p in nli.dedupe(raw[name])]
    groups: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        groups[p.premise].add(p.group)
    assert all(len(g) == 1 for g in groups.values())


def test_text_is_cleaned(raw: dict[str, list[Pair]]) -> None:
    assert not any("<br" in p.claim for p in raw["gofigure"])
    assert not any("</s>" in p.premise for p in raw["gofigure"])
    snli = raw["snli"]
    assert not any(re.search(r" [.,!?]|``|''| n't\b", p.premise + " " + p.claim) for p in snli)
    assert any(p.claim == 'The man is reading a spoon with the words "HELP ME" on it.' for p in snli)
    # the MRPC BOM is gone: the first train row (quality "\ufeff1") is loaded
    assert raw["mrpc"][0].premise.startswith("Amrozi accused his brother")


def test_load(root: Path) -> None:
    got = nli.load(root, ["q2", "falke"])
    assert list(got) == ["q2", "falke"] and all(got.values())
    assert list(nli.load(root, ["mrpc"], which="training")) == ["mrpc"]
    with pytest.raises(KeyError):
        nli.load(root, ["sick"], which="training")
    with pytest.raises(ValueError):
        nli.load(root, which="everything")


def test_detokenize() -> None:
    assert nli.detokenize("He does n't like `` Camden '' ( the band ) , ok ? ") == \
        'He doesn\'t like "Camden" (the band), ok?'
    assert nli.detokenize("the woman 's son paid $ 5 ; 10 % off !") == "the woman's son paid $5; 10% off!"


def test_messy_records(tmp_path: Path) -> None:
    """Empty premises or claims are skipped, stray whitespace stripped, a duplicate kept once, and a
    pair whose copies disagree dropped; the loader reads only the root it is given."""
    folder = tmp_path / "vitaminc_icl_sample"
    folder.mkdir()
    rows = [
        {"claim": "  A is B. ", "evidence": "A is B.\r\n", "label": "SUPPORTS", "id": "x_1"},
        {"claim": "A  is B.", "evidence": " A is B.", "label": "supports", "id": "x_2"},  # duplicate
        {"claim": "", "evidence": "A is B.", "label": "refutes", "id": "x_3"},
        {"claim": "C is D.", "evidence": "   ", "label": "refutes", "id": "x_4"},
        {"claim": "C is E.", "evidence": None, "label": "refutes", "id": "x_5"},
        {"claim": "E is F.", "evidence": "E is G.", "label": "refutes", "id": "x_6"},
        {"claim": "E is F.", "evidence": "E is G.", "label": "supports", "id": "x_7"},  # conflict
        {"claim": "A is not C.", "evidence": "A is B.", "label": "not enough info", "id": "x_8"},
    ]
    (folder / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    for i in range(5):
        (folder / f"train_{i}.jsonl").write_text("\n", encoding="utf-8")
    pairs = nli.TRAINING["vitaminc"](tmp_path)
    assert [(p.premise, p.claim, p.label) for p in pairs] == [("A is B.", "A is B.", 1), ("A is B.", "A is not C.", 0)]
    assert len({p.group for p in pairs}) == 1  # one premise, one group
    assert Counter(p.label for p in nli.TRAINING["vitaminc"](tmp_path, dedupe=False)) == {1: 3, 0: 2}
