"""ranx-backed scoring: metric values checked against hand computation, breakdowns, significance."""

from __future__ import annotations

import json
import math
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
from personaqa.programs.evaluation.scoring import (
    breakdown_fields,
    evaluate_runs,
    headline_metric,
    metric_names,
)

QRELS = {"q1": {"d1": 1, "d2": 1}, "q2": {"d3": 1}, "q3": {"d1": 0}}  # q3: no relevant doc, not scored
RUNS = {
    "a": {"q1": [("d1", 3.0), ("d5", 2.0), ("d2", 1.0)], "q2": [("d4", 2.0), ("d3", 1.0)]},
    "b": {"q1": [("d5", 3.0), ("d1", 2.0)], "q2": [("d3", 2.0), ("d4", 1.0)]},
}
METADATA = {"q1": {"persona": "alice"}, "q2": {"persona": "bob"}}
LOG2_3 = math.log2(3)

# Hand computation (binary gains, nDCG = DCG / ideal DCG, DCG = sum rel / log2(rank + 1)):
# a/q1 ranks d1 1st, d2 3rd of 2 relevant:
#   R@1 = 1/2, R@3 = 2/2, MRR@3 = 1, nDCG@3 = (1 + 1/log2 4) / (1 + 1/log2 3) = 1.5 / 1.63093 = 0.91972
# a/q2 ranks d3 2nd of 1 relevant: R@1 = 0, R@3 = 1, MRR@3 = 1/2, nDCG@3 = (1/log2 3) / 1 = 0.63093
# b/q1 ranks d1 2nd, misses d2: R@1 = 0, R@3 = 1/2, MRR@3 = 1/2, nDCG@3 = (1/log2 3) / 1.63093 = 0.38685
# b/q2 ranks d3 1st: R@1 = 1, R@3 = 1, MRR@3 = 1, nDCG@3 = 1
A_Q1_NDCG = 1.5 / (1 + 1 / LOG2_3)
A_Q2_NDCG = 1 / LOG2_3
B_Q1_NDCG = (1 / LOG2_3) / (1 + 1 / LOG2_3)


@pytest.fixture(scope="module")
def report():
    return evaluate_runs(QRELS, RUNS, [1, 3], metadata=METADATA)


def test_metric_names_and_headline() -> None:
    assert metric_names([1, 3]) == ["recall@1", "recall@3", "mrr@1", "mrr@3", "ndcg@1", "ndcg@3"]
    assert headline_metric([1, 5, 10, 100]) == "ndcg@10"
    assert headline_metric([3, 100]) == "ndcg@3"
    assert headline_metric([20, 100]) == "ndcg@20"


def test_overall_values_match_hand_computation(report) -> None:
    a, b = report.scores_of("a").overall, report.scores_of("b").overall
    assert report.n_queries == 2
    assert a["recall@1"] == pytest.approx((0.5 + 0) / 2)
    assert a["recall@3"] == pytest.approx((1 + 1) / 2)
    assert a["mrr@3"] == pytest.approx((1 + 0.5) / 2)
    assert a["ndcg@3"] == pytest.approx((A_Q1_NDCG + A_Q2_NDCG) / 2)  # 0.77533
    assert b["recall@1"] == pytest.approx((0 + 1) / 2)
    assert b["recall@3"] == pytest.approx((0.5 + 1) / 2)
    assert b["mrr@3"] == pytest.approx((0.5 + 1) / 2)
    assert b["ndcg@3"] == pytest.approx((B_Q1_NDCG + 1) / 2)  # 0.69343


def test_per_query_rows(report) -> None:
    rows = {(r.retriever, r.query_id): r for r in report.per_query}
    assert len(rows) == 4  # 2 retrievers x 2 judged queries; q3 has no relevant doc
    assert rows["a", "q1"].scores["ndcg@3"] == pytest.approx(A_Q1_NDCG)
    assert rows["b", "q2"].scores["mrr@1"] == pytest.approx(1.0)
    assert rows["a", "q2"].metadata == {"persona": "bob"}


def test_breakdown_by_persona(report) -> None:
    assert report.group_sizes == {"persona": {"alice": 1, "bob": 1}}
    by_persona = report.scores_of("a").breakdowns["persona"]
    assert by_persona["alice"]["ndcg@3"] == pytest.approx(A_Q1_NDCG)
    assert by_persona["bob"]["mrr@3"] == pytest.approx(0.5)
    assert report.scores_of("b").breakdowns["persona"]["alice"]["recall@3"] == pytest.approx(0.5)


def test_significance_output_shape(report) -> None:
    assert report.stat_test == "fisher"
    assert len(report.comparisons) == len(report.metrics)  # one pair, every metric
    by_metric = {c.metric: c for c in report.comparisons}
    r1 = by_metric["recall@1"]
    assert (r1.a, r1.b) == ("a", "b")
    assert (r1.wins, r1.ties, r1.losses) == (1, 0, 1)  # q1: 0.5 vs 0; q2: 0 vs 1
    assert r1.score_a == pytest.approx(0.25) and r1.score_b == pytest.approx(0.5)
    for comparison in report.comparisons:
        assert 0.0 <= comparison.p_value <= 1.0
        assert comparison.significant is False  # two queries cannot show anything
        assert comparison.wins + comparison.ties + comparison.losses == 2


def test_summary_is_json_ready(report) -> None:
    data = json.loads(json.dumps(report.summary()))
    assert "per_query" not in data
    assert data["retrievers"][0]["overall"]["recall@3"] == pytest.approx(1.0)
    assert data["comparisons"][0]["metric"] == "recall@1"


def test_student_test_and_identical_runs() -> None:
    report = evaluate_runs(QRELS, {"a": RUNS["a"], "same": RUNS["a"]}, [3], stat_test="student")
    assert {c.p_value for c in report.comparisons} == {1.0}  # no difference at all, not NaN
    assert not any(c.significant for c in report.comparisons)


def test_missing_query_counts_as_zero_and_order_is_kept() -> None:
    # Equal scores: the order given is the ranking (ranx alone would re-sort ties arbitrarily).
    runs = {"tied": {"q2": [("d4", 1.0), ("d3", 1.0)]}}
    overall = evaluate_runs(QRELS, runs, [3]).scores_of("tied").overall
    assert overall["mrr@3"] == pytest.approx((0 + 0.5) / 2)  # q1 has no results at all


def test_single_run_has_no_comparisons() -> None:
    assert evaluate_runs(QRELS, {"a": RUNS["a"]}, [3]).comparisons == []


def test_breakdown_fields_skips_free_text_fields() -> None:
    metadata = {f"q{i}": {"persona": "p" + str(i % 2), "source": f"doc-{i}"} for i in range(10)}
    assert breakdown_fields(metadata) == ["persona"]


def test_runs_without_any_hit_score_zero_and_negative_judgements_keep_metrics_in_range() -> None:
    qrels = {"q1": {"d1": 1, "d2": -1}, "q2": {"d2": 2}}
    report = evaluate_runs(qrels, {"none": {}, "some": {"q1": [("d2", 1.0), ("d1", 0.5)]}}, [1, 5])
    none, some = report.scores_of("none"), report.scores_of("some")
    assert set(none.overall.values()) == {0.0}
    assert all(0.0 <= value <= 1.0 for value in some.overall.values()) and some.overall["recall@5"] == 0.5
    assert report.n_queries == 2 and all(0.0 <= c.p_value <= 1.0 for c in report.comparisons)
