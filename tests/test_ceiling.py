"""The single-qrel ceiling: how far one relevant passage per question can agree with full human qrels."""

from __future__ import annotations

import numpy as np
import pytest
from personaqa.programs.evaluation.ceiling import single_qrel_ceiling, single_qrels

QUERIES = [f"q{i}" for i in range(12)]
JUNK = [(f"junk{j}", 0.0) for j in range(20)]


def ranked(*docs: str) -> list[tuple[str, float]]:
    """A ranking of `docs` then junk, scores descending."""
    ids = [*docs, *(d for d, _ in JUNK)][:20]
    return [(d, float(20 - rank)) for rank, d in enumerate(ids)]


def test_single_qrels_keep_one_best_graded_document_per_query():
    qrels = {"q1": {"a": 1, "b": 2, "c": 2, "z": 0}, "q2": {"d": 1}, "q3": {"e": 0}}
    rng = np.random.default_rng(0)
    drawn = [single_qrels(qrels, rng) for _ in range(30)]
    assert {frozenset(d) for d in drawn} == {frozenset({"q1", "q2"})}  # q3 has no relevant document
    assert {next(iter(d["q1"])) for d in drawn} == {"b", "c"}  # both best-graded, never "a"
    assert all(d["q1"][next(iter(d["q1"]))] == 2 and d["q2"] == {"d": 1} for d in drawn)


def test_one_relevant_document_per_query_puts_no_ceiling():
    qrels = {q: {f"{q}-rel": 1} for q in QUERIES}
    runs = {
        "first": {q: ranked(f"{q}-rel") for q in QUERIES},
        "third": {q: ranked("junk90", "junk91", f"{q}-rel") for q in QUERIES},
        "missing": {q: ranked() for q in QUERIES},
    }
    ceiling = single_qrel_ceiling(qrels, runs, "ndcg@10", draws=5)
    assert (ceiling.median, ceiling.p5, ceiling.p95, ceiling.relevant_per_query) == (1.0, 1.0, 1.0, 1.0)


def test_many_relevant_documents_per_query_cap_the_agreement():
    """Full qrels rank the retriever that finds three of four relevant documents first; with one drawn
    document for each of two queries, the one that finds only the first may win: the rankings disagree
    (over many queries the draws average out, and the ceiling rises towards 1)."""
    rel = ["r1", "r2", "r3", "r4"]
    queries = QUERIES[:2]
    qrels = {q: {f"{q}-{r}": 1 for r in rel} for q in queries}
    runs = {
        "three_of_four": {q: ranked(f"{q}-r2", f"{q}-r3", f"{q}-r4") for q in queries},
        "first_only": {q: ranked(f"{q}-r1") for q in queries},
        "late_all": {
            q: ranked(*(f"junk{j}" for j in range(50, 56)), *(f"{q}-{r}" for r in rel)) for q in queries
        },
    }
    ceiling = single_qrel_ceiling(qrels, runs, "ndcg@10", draws=20, seed=3)
    assert ceiling.relevant_per_query == 4.0
    assert ceiling.p5 <= ceiling.median <= ceiling.p95
    assert ceiling.p5 < 1.0  # some draws rank the panel otherwise than the full qrels


def test_the_ceiling_needs_two_retrievers():
    with pytest.raises(ValueError, match="two retrievers"):
        single_qrel_ceiling({"q": {"d": 1}}, {"only": {"q": ranked("d")}}, "ndcg@10")
