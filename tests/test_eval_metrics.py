"""The eval metrics against hand-computed values, and the runner's scoring of one real answer."""

from __future__ import annotations

import math
from pathlib import Path

from assistant.verify import grounding
from evals import metrics


def test_squad_em_and_f1() -> None:
    assert metrics.exact_match("The Eiffel Tower!", ["eiffel tower"]) == 1.0
    assert metrics.exact_match("Eiffel", ["eiffel tower"]) == 0.0
    assert math.isclose(metrics.token_f1("the big red barn", ["red barn door"]), 2 * (2 / 3 * 2 / 3) / (4 / 3))
    assert metrics.contains_answer("Ambassadors from 50 countries signed.", ["50"]) == 1.0
    assert metrics.contains_answer("Ambassadors from 500 countries signed.", ["50"]) == 0.0  # a short one: a word


def test_contains_answer_reads_a_country_by_either_name() -> None:
    assert metrics.contains_answer("The United States won the most medals.", ["U.S."]) == 1.0
    assert metrics.contains_answer("The U.S. won the most medals.", ["United States"]) == 1.0
    assert metrics.contains_answer("Britain's team won.", ["U.K."]) == 1.0
    assert metrics.contains_answer("The business won the most medals.", ["U.S."]) == 0.0
    assert metrics.contains_answer("Norway won the most medals.", ["U.S."]) == 0.0


def test_ranking_metrics() -> None:
    ranks = [1, 3, None, 10]
    assert metrics.recall_at_k(ranks, 1) == 0.25 and metrics.recall_at_k(ranks, 5) == 0.5
    assert math.isclose(metrics.mrr(ranks), (1 + 1 / 3 + 0 + 0.1) / 4)
    assert math.isclose(metrics.ndcg_at_k([1, 3], 5), (1 + 1 / math.log2(4)) / 2)


def test_alce_citation_recall_and_precision() -> None:
    # a toy judge: the premise entails the claim when it contains every word of it
    def judge(premise: str, claim: str) -> bool:
        return set(claim.lower().split()) <= set(premise.lower().split())

    claim = "alpha beta"
    assert metrics.citation_recall(claim, ["alpha beta gamma"], judge) == 1.0
    assert metrics.citation_recall(claim, ["alpha"], judge) == 0.0
    assert metrics.citation_recall(claim, [], judge) == 0.0
    # "delta" is irrelevant: alone it does not entail, and the rest still does
    assert metrics.citation_precision(claim, ["alpha beta", "delta"], judge) == [1.0, 0.0]
    # both needed together: each is relevant
    assert metrics.citation_precision(claim, ["alpha", "beta"], judge) == [1.0, 1.0]
    assert metrics.citation_precision(claim, ["gamma"], judge) == [0.0]


def test_refusal_and_crag() -> None:
    assert metrics.refusal_rates([True, True, False, False], [False, True, True, False]) == (0.5, 0.5)
    assert metrics.crag_score(["right", "abstain", "wrong", "right"]) == 0.25


def test_classifier_metrics() -> None:
    assert metrics.balanced_accuracy([1, 1, 0, 0], [0.9, 0.4, 0.1, 0.6]) == 0.5
    assert metrics.auroc([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2]) == 1.0
    assert metrics.auroc([1, 0], [0.5, 0.5]) == 0.5


def test_checker_pair_metrics() -> None:
    scores, labels = [0.9, 0.6, 0.4, 0.6, 0.1], [1, 1, 1, 0, 0]
    # positives beat negatives: 0.9 > both (2), 0.6 ties 0.6 and beats 0.1 (1.5), 0.4 beats 0.1 (1) -> 4.5 / 6
    assert math.isclose(metrics.auroc(labels, scores), 4.5 / 6)
    # TPR 2/3 at 0.5, TNR 1/2 -> 7/12
    assert math.isclose(metrics.balanced_accuracy(labels, scores), (2 / 3 + 1 / 2) / 2)

    class P:
        def __init__(self, label: int, kind: str) -> None:
            self.label, self.kind, self.family, self.pair_type = label, kind, "f", f"f:{kind}"

    pairs = [P(1, "support"), P(1, "support"), P(0, "swap"), P(0, "other")]
    rows = {r["pair_type"]: r for r in metrics.pair_report(pairs, [0.8, 0.3, 0.2, 0.9])}
    assert set(rows) == {"f:other", "f:swap", "f:all", "all"}
    assert rows["f:swap"]["n_pos"] == 2 and rows["f:swap"]["n_neg"] == 1 and rows["f:swap"]["auroc"] == 1.0
    assert rows["f:other"]["auroc"] == 0.0 and rows["all"]["balanced_accuracy"] == 0.5


def test_citation_correctness_is_judged_by_gold_spans() -> None:
    gold = [(100, 140)]
    assert metrics.cites_gold([("d", 90, 120)], "d", gold)  # overlaps
    assert not metrics.cites_gold([("d", 140, 200)], "d", gold)  # touches only
    assert not metrics.cites_gold([("other", 90, 120)], "d", gold)  # right span, wrong document
    assert not metrics.cites_gold([], "d", gold)


def test_false_premise_questions_are_scored_by_their_gold_corrections(seeded_copy: Path) -> None:
    """A false premise must be refused or corrected; restating it is wrong (no checker involved)."""
    from assistant import Answer, Assistant
    from assistant.domain import Sentence
    from evals.datasets import seed_items
    from evals.runner import score, seed_paths

    items = seed_items(seed_paths()[0])
    fp = [i for i in items if i.dataset == "seed-false-premise"]
    assert len(fp) >= 6 and all(not i.answerable and i.corrections for i in fp)
    assert sum(i.dataset == "seed" for i in items) == 30  # the original seed set is unchanged
    item = next(i for i in fp if "criticise" in i.question)
    a = Assistant(seeded_copy, llm_backend="extractive")

    def outcome(text: str, refused: bool = False) -> tuple[str, bool]:
        shown = () if refused else (Sentence(text, label="supported"),)  # what the user sees
        rec = score(item, Answer(item.question, text, refused=refused, sentences=shown), {}, [], a.similarity)
        return rec["outcome"], rec["premise_handled"]

    assert outcome("", refused=True) == ("right", True)
    assert outcome("They did not: 50 countries co-signed a letter in support of China.") == ("right", True)
    assert outcome("They criticised its camps.") == ("wrong", False)
    # a correction word does not excuse restating the premise (a real answer of the local model)
    assert outcome("50 countries criticized China's policies because they support China's position.") == \
        ("wrong", False)


def test_several_part_questions_are_scored_part_by_part(seeded_copy: Path) -> None:
    """Right when each part is answered (gold answer present) or named as not answered; a refusal abstains."""
    from assistant import Answer, Assistant
    from assistant.domain import Sentence
    from evals.datasets import seed_items
    from evals.runner import score, seed_paths

    multi = [i for i in seed_items(seed_paths()[0]) if i.dataset == "seed-multipart"]
    assert len(multi) >= 6 and all(i.answerable and len(i.parts) >= 2 for i in multi)
    item = next(i for i in multi if "news agency" in i.question)
    a = Assistant(seeded_copy, llm_backend="extractive")

    def scored(sentences: tuple[str, ...], note: str = "", refused: bool = False) -> tuple[str, float, float]:
        shown = tuple(Sentence(s, label="supported") for s in sentences)
        text = " ".join(sentences) + (f" (Not answered: {note})" if note else "")
        rec = score(item, Answer(item.question, text, refused=refused, sentences=shown), {}, [], a.similarity)
        return rec["outcome"], rec["parts_answered"], rec["parts_handled"]

    both = ("Xinhua reported the letter.", "Chen Xu rejected the groundless accusations.")
    assert scored(both) == ("right", 1.0, 1.0)
    assert scored(both[1:]) == ("wrong", 0.5, 0.5)  # the agency part silently left out
    assert scored(both[1:], "Which news agency reported the letter?") == ("right", 0.5, 1.0)
    assert scored(both[1:], "Who wrote it?") == ("wrong", 0.5, 0.5)  # naming some other part does not count
    assert scored((), refused=True)[0] == "abstain"


def test_multihop_items_locate_each_hop_and_score_comparisons_by_both_facts(seeded_copy: Path,
                                                                            tmp_path: Path) -> None:
    """The hand-written multi-hop questions: each hop's quote is found once in its XQuAD article (never a
    held-out one); a comparison is right with both compared facts and the gold side, wrong when it picks
    the other side; each hop is cited when a shown citation overlaps its gold span."""
    from assistant import Answer, Assistant
    from assistant.domain import Citation, Passage, Sentence
    from evals import sources
    from evals.datasets import held_out_articles, multihop_items, write_xquad
    from evals.runner import MULTIHOP, MULTIHOP_BLIND, MULTIHOP_FRESH, MULTIHOP_HELDOUT, score
    from tests.conftest import dataset

    questions = write_xquad(tmp_path / "xq", dataset(sources.XQUAD))
    held = held_out_articles(questions)
    items = multihop_items(MULTIHOP, tmp_path / "xq", held)
    assert len(items) >= 12 and all(len(i.hops) == 2 and i.answers for i in items)
    later = multihop_items(MULTIHOP_HELDOUT, tmp_path / "xq", held, dataset="multihop-heldout")
    assert len(later) == 24 and all(len(i.hops) == 2 and i.answers and i.dataset == "multihop-heldout" for i in later)
    assert not {i.question for i in items} & {i.question for i in later}
    blind = multihop_items(MULTIHOP_BLIND, tmp_path / "xq", held, dataset="multihop-blind")
    assert len(blind) == 16 and all(len(i.hops) == 2 and i.answers and i.dataset == "multihop-blind" for i in blind)
    fresh = multihop_items(MULTIHOP_FRESH, tmp_path / "xq", held, dataset="multihop-fresh")
    assert len(fresh) == 24 and sum(bool(i.wrong) for i in fresh) == 8  # each comparison: what picks the other side
    assert not {i.question for i in items + later} & {i.question for i in blind + fresh}
    item = next(i for i in items if "Grainger Market or the Tyne and Wear Metro" in i.question)
    a = Assistant(seeded_copy, llm_backend="extractive")
    doc = "doc-newcastle"

    def scored(text: str, cite: tuple[int, ...] = (0, 1)) -> tuple[str, float | None]:
        cites = tuple(Citation(1, doc, "c", item.hops[h].span[0], item.hops[h].span[1], "q") for h in cite)
        passage = Passage("c", doc, "The Grainger Market itself, was opened in 1835.", 0, 47, 1.0)
        answer = Answer(item.question, text, refused=False, sentences=(Sentence(text, cites, label="supported"),),
                        passages=(passage,))
        rec = score(item, answer, {"Newcastle_upon_Tyne.md": doc}, [], a.similarity)
        return rec["outcome"], rec["hops_cited"]

    right = "The Grainger Market opened in 1835 and the Metro in 1980, so the Grainger Market came first."
    assert scored(right) == ("right", 1.0)
    assert scored(right, (0,)) == ("right", 0.5)  # one hop cited
    assert scored("The Grainger Market came first.")[0] == "wrong"  # no compared facts
    assert scored("The Grainger Market opened in 1835; the Metro opened first, in 1980.")[0] == "wrong"


def test_news_reported_items_name_their_publisher_in_the_header_and_locate_their_evidence(tmp_path: Path) -> None:
    """The "which outlet reported ...?" questions over BBC News articles: each article is written with its
    headline as title and "BBC News" as source (the header a news corpus gives its passages), each item's
    evidence sentence is found once in the stored text, and no gold answer is the publisher."""
    from assistant.ingest.parse import parse_file
    from evals import sources
    from evals.datasets import news_items, write_bbc
    from evals.runner import NEWS_REPORTED
    from tests.conftest import dataset

    bbc = write_bbc(dataset(sources.BBC), tmp_path / "bbc")
    items = news_items(NEWS_REPORTED, bbc, tmp_path / "news")
    assert len(items) == 20 and len({i.question for i in items}) == 20
    for item in items:
        doc = parse_file(tmp_path / "news" / item.doc_file)[0]
        assert doc.source == "BBC News" and doc.title and doc.text.startswith(doc.title)
        (start, end), = item.spans
        assert any(a.lower() in doc.text[start:end].lower() for a in item.answers), item.qid
        assert not any("bbc" in a.lower() for a in item.answers)
    assert news_items(NEWS_REPORTED, bbc, tmp_path / "news") == items  # written once, read the same again


def test_rgb_noise_wrong_answers_leave_out_the_real_answer() -> None:
    """An RGB noise question answered with RGB's real answer (another query's snippet in the shared index held
    it) is not counted as a wrong answer; refusal recall still counts it as not refused."""
    from evals.report import summarise_dataset

    def row(refused: bool, real: bool) -> dict[str, object]:
        return {"dataset": "rgb-noise", "answerable": False, "refused": refused, "has_gold": False,
                "gold_rank": None, "sentences": [], "citation_recall": [], "citation_precision": [],
                "exact_match": None, "f1": None, "contains_answer": None, "outcome": "abstain" if refused else "wrong",
                "states_other_answer": real, "timings": {}}

    summary = summarise_dataset([row(True, False), row(False, True), row(False, False), row(True, False)])
    assert summary["refusal_recall"] == 0.5 and summary["wrong_answers"] == 0.25
    assert summary["refusal_recall_ci95"] == "0.15-0.85"  # 2 of 4: hardly measured
    assert "false_refusal_rate_ci95" not in summary  # no answerable item, no interval


def test_rates_come_with_their_wilson_interval() -> None:
    """3 of 22 is 0.136, but a true rate anywhere from 0.05 to 0.33 gives that count often enough: the interval
    (Wilson's score interval, 95%) is checked against the textbook formula's values."""
    lo, hi = metrics.wilson(3, 22)
    assert math.isclose(lo, 0.0475, abs_tol=5e-4) and math.isclose(hi, 0.3334, abs_tol=5e-4)
    assert metrics.wilson(0, 12)[0] == 0.0 and metrics.wilson(12, 12)[1] == 1.0
    assert metrics.wilson(0, 12)[1] > 0.2  # none of 12 refused still leaves a quarter possible
    assert metrics.wilson(0, 0) == (0.0, 1.0)
    wide, narrow = metrics.wilson(5, 50), metrics.wilson(50, 500)
    assert wide[1] - wide[0] > 2 * (narrow[1] - narrow[0])


def test_rgb_noise_items_carry_the_real_answer(tmp_path: Path) -> None:
    import json

    from evals.datasets import write_rgb

    source = tmp_path / "en_fact.json"
    source.write_text(json.dumps({"query": "Who won?", "answer": ["Ann"], "fakeanswer": "Bob",
                                  "positive_wrong": ["Bob won."], "negative": ["Rain fell."]}) + "\n", "utf-8")
    counterfactual, noise = write_rgb(tmp_path / "rgb", source)
    assert counterfactual.answers == ("Bob",) and counterfactual.fake_answers == ("Ann",)
    assert not noise.answerable and noise.answers == () and noise.fake_answers == ("Ann",)


def test_a_snippet_states_an_answer_by_its_date_without_the_year() -> None:
    """RGB's "irrelevant" snippets sometimes state the gold answer (9 of the first 50 queries): a full-date
    answer counts when its month and day are there, but not in the snippet's own leading date, and
    "November 1" is not "November 12"."""
    refs = ["November 12 2020", "Nov 12, 2020"]
    assert metrics.states_answer("Dec 14, 2020 ... kicked off season 17 on Thursday, November 12. Going", refs)
    assert metrics.states_answer("The Season 11 premiere lands on AMC on Sunday August 22nd.", ["Aug 22, 2021"])
    assert not metrics.states_answer("Nov 12, 2020 ... the premiere date is not known yet.", refs)
    assert metrics.states_answer("Nov 12, 2020 is the premiere date.", refs, skip_dateline=False)  # an answer
    assert not metrics.states_answer("It returns on November 1 with two episodes.", refs)
    assert not metrics.states_answer("The premiere date is November 12, 2010.", refs)  # another year
    assert metrics.states_answer("It was released on November 12th, 2020.", refs)
    assert metrics.states_answer("Google bought YouTube for $1.65 billion in 2006.", ["$1.65 billion"])
    assert not metrics.states_answer("Google bought YouTube in 2006.", ["$1.65 billion"])


def test_rgb_noise_items_whose_snippets_state_the_answer_are_reported_apart(tmp_path: Path) -> None:
    import json

    from evals.datasets import write_rgb
    from evals.report import summarise_dataset

    source = tmp_path / "en_fact.json"
    lines = [{"query": "When was X released?", "answer": [["May 29 2020", "May 29, 2020"]], "fakeanswer": "May 1",
              "positive_wrong": ["X came out May 1."], "negative": ["Mar 26, 2020 ... X will arrive on May 29."]},
             {"query": "Who won?", "answer": ["Ann"], "fakeanswer": "Bob", "positive_wrong": ["Bob won."],
              "negative": ["May 29, 2020 ... Rain fell."]}]
    source.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    noise = [i for i in write_rgb(tmp_path / "rgb", source) if i.dataset == "rgb-noise"]
    assert [i.leaked for i in noise] == [True, False]

    def row(refused: bool, leaked: bool) -> dict[str, object]:
        return {"dataset": "rgb-noise", "answerable": False, "refused": refused, "has_gold": False, "leaked": leaked,
                "gold_rank": None, "sentences": [], "citation_recall": [], "citation_precision": [],
                "exact_match": None, "f1": None, "contains_answer": None, "outcome": "abstain" if refused else "wrong",
                "states_other_answer": False, "timings": {}}

    summary = summarise_dataset([row(False, True), row(True, False), row(False, False)])
    assert summary["refusal_recall"] == round(1 / 3, 3) and summary["refusal_recall_clean"] == 0.5
    assert summary["leaked_items"] == 1


def test_rgb_folders_hold_only_the_queries_of_this_run(tmp_path: Path) -> None:
    """A quick run after a longer one indexes the quick run's snippets only (not the cache's history)."""
    import json

    from evals.datasets import write_rgb

    source = tmp_path / "en_fact.json"
    rows = [{"query": f"Q{i}?", "answer": "A", "fakeanswer": "B", "positive_wrong": [f"B{i}."], "negative": [f"N{i}."]}
            for i in range(3)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    assert len(write_rgb(tmp_path / "rgb", source)) == 6
    assert len(write_rgb(tmp_path / "rgb", source, limit=2)) == 4
    for kind in ("counterfactual", "noise"):
        assert sorted(p.name for p in (tmp_path / "rgb" / kind).iterdir()) == ["q000-00.md", "q001-00.md"]


def test_rgb_rejection_asks_each_question_against_its_own_snippets_only(tmp_path: Path) -> None:
    """RGB's negative rejection: question n's index holds question n's noise snippets and nothing else (in the
    shared rgb-noise index another question's snippet may answer it)."""
    import json

    from evals.datasets import write_rgb
    from evals.runner import _rejection

    source = tmp_path / "en_fact.json"
    rows = [{"query": f"Q{i}?", "answer": "A", "fakeanswer": "B", "positive_wrong": ["B."],
             "negative": [f"N{i}-{j}." for j in range(i + 1)]} for i in range(12)]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    noise = [i for i in write_rgb(tmp_path / "rgb", source) if i.dataset == "rgb-noise"]
    plan = _rejection(tmp_path / "rgb" / "noise", noise)
    assert [name for name, _, _ in plan][:2] == ["rgb-rejection/rgb-0", "rgb-rejection/rgb-1"]
    _, files, items = plan[11]
    assert [f.name for f in files] == [f"q011-{j:02d}.md" for j in range(12)]  # not q001-*: q011's alone
    assert len(items) == 1 and items[0].dataset == "rgb-rejection" and items[0].question == "Q11?"
    assert not items[0].answerable and items[0].fake_answers == ("A",)


def test_the_refusal_tradeoff_moves_the_gates_lines_as_the_gate_reads_them() -> None:
    """The trade-off plot's curves pass through this run: an answer whose best passage is under the cosine line
    but over the reranker's stays an answer at the run's lines (it used to count as refused, which put the
    curve's min_score 0.4 at twice the run's false refusals); past either line alone, answers whose passages
    would fail the gate become refusals; a passage naming the question's acronyms passes at any line; a
    refusal stays one."""
    from evals.report import refused_at

    on_relevance = {"refused": False, "top_score": 0.2, "best_score": 0.3, "best_relevance": 0.9}
    on_score = {"refused": False, "top_score": 0.3, "best_score": 0.45, "best_relevance": 0.1}
    named = {"refused": False, "top_score": 0.1, "best_score": 0.1, "best_relevance": 0.6, "passes_named": True}
    refused = {"refused": True, "top_score": 0.9, "best_score": 0.9, "best_relevance": 0.9}
    assert not refused_at(on_relevance, 0.4, 0.8) and refused_at(on_relevance, 0.4, 0.95)
    assert not refused_at(on_score, 0.4, 0.8) and refused_at(on_score, 0.5, 0.8)
    assert not refused_at(named, 1.0, 1.0) and refused_at(refused, 0.0, 0.0)
    old = {"refused": False, "top_score": 0.3}  # a record from before best_score was kept
    assert refused_at(old, 0.4, 0.8) and not refused_at(old, 0.25, 0.8)


def test_the_checkers_line_moves_the_refusals_as_the_run_kept_and_dropped_them() -> None:
    """At the run's own line every item keeps its outcome; above it a kept sentence under the new line is
    lost, a quote (no score) is not; below it a dropped sentence over the new line comes back, and what the
    run kept (a borderline sentence the judge rescued) stays. An item without sentences keeps its outcome."""
    from evals.report import refused_at_support

    line = grounding.THRESHOLD
    kept = {"refused": False, "sentences": [{"label": "supported", "support": line + 0.05}]}
    rescued = {"refused": False, "sentences": [{"label": "supported", "support": line - 0.2}]}
    quoted = {"refused": False, "sentences": [{"label": "supported", "support": None}]}
    dropped = {"refused": True, "sentences": [{"label": "unsupported", "support": line - 0.1}]}
    declined = {"refused": True, "sentences": []}
    for r in (kept, rescued, quoted, dropped, declined):
        assert refused_at_support(r, line) == r["refused"]
    assert refused_at_support(kept, line + 0.1) and not refused_at_support(quoted, 0.99)
    assert not refused_at_support(dropped, line - 0.15) and refused_at_support(dropped, line - 0.05)
    assert not refused_at_support(rescued, 0.0) and refused_at_support(declined, 0.0)
