"""The eval metrics against hand-computed values, and the runner's scoring of one real answer."""

from __future__ import annotations

import math

from assistant.evaluation import metrics


def test_squad_em_and_f1() -> None:
    assert metrics.exact_match("The Eiffel Tower!", ["eiffel tower"]) == 1.0
    assert metrics.exact_match("Eiffel", ["eiffel tower"]) == 0.0
    assert math.isclose(metrics.token_f1("the big red barn", ["red barn door"]), 2 * (2 / 3 * 2 / 3) / (4 / 3))
    assert metrics.contains_answer("Ambassadors from 50 countries signed.", ["50"]) == 1.0


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
