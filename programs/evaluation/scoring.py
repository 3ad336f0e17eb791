"""Score retriever runs against qrels with ranx: overall, per query-metadata group, pairwise tests.

The point of a persona-styled evaluation set is to see *where* retrievers differ — which
persona, question type or complexity — and whether the differences are more than noise.
All metric values come from ranx (Recall@k, MRR@k, nDCG@k); this module only groups them
and returns plain dataclasses that `dataclasses.asdict` turns into JSON.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

METRIC_FAMILIES = ("recall", "mrr", "ndcg")
STAT_TESTS = ("fisher", "student")
MISSING_VALUE = "(none)"
MAX_GROUPS = 30
# Stands in for an empty result list: ranx fails on a run in which no query has a hit. It is never
# relevant, so every metric of such a query is 0 (precision counts it, like any miss, against k).
NO_HIT = "\x00no hit"

Ranking = Mapping[str, Sequence[tuple[str, float]]]  # query id -> [(doc id, score)] best first


@dataclass(slots=True)
class RetrieverScores:
    """Mean metric values of one retriever: overall and per metadata group."""

    name: str
    overall: dict[str, float]
    # field -> value -> metric -> mean over that group's queries
    breakdowns: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass(slots=True)
class Comparison:
    """Paired significance test of retriever `a` against `b` on one metric."""

    metric: str
    a: str
    b: str
    score_a: float
    score_b: float
    p_value: float
    significant: bool
    wins: int  # queries where a beats b
    ties: int
    losses: int


@dataclass(slots=True)
class QueryScores:
    query_id: str
    retriever: str
    scores: dict[str, float]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class EvaluationReport:
    metrics: list[str]
    n_queries: int
    stat_test: str
    max_p: float
    retrievers: list[RetrieverScores]
    # field -> value -> number of queries in that group
    group_sizes: dict[str, dict[str, int]]
    comparisons: list[Comparison]
    per_query: list[QueryScores]

    def summary(self) -> dict[str, Any]:
        """Everything except the per-query rows, as JSON-ready data."""
        data = asdict(self)
        data.pop("per_query")
        return data

    def scores_of(self, name: str) -> RetrieverScores:
        return next(r for r in self.retrievers if r.name == name)


def metric_names(ks: Sequence[int], families: Sequence[str] = METRIC_FAMILIES) -> list[str]:
    """ranx metric ids, e.g. ['recall@10', 'mrr@10', 'ndcg@10']."""
    return [f"{family}@{k}" for family in families for k in ks]


def headline_metric(ks: Sequence[int]) -> str:
    """nDCG@10 when asked for, else nDCG at the deepest cut-off up to 10 (or the smallest)."""
    shallow = [k for k in ks if k <= 10]
    return f"ndcg@{max(shallow) if shallow else min(ks)}"


def evaluate_runs(
    qrels: Mapping[str, Mapping[str, int]],
    runs: Mapping[str, Ranking],
    ks: Sequence[int],
    metadata: Mapping[str, Mapping[str, str]] | None = None,
    by: Sequence[str] | None = None,
    stat_test: str = "fisher",
    max_p: float = 0.05,
) -> EvaluationReport:
    """Score every run on the queries that have a relevant document in `qrels`.

    `metadata` maps query id -> fields; `by` names the fields to break down by
    (default: every field with a small number of distinct values, see `breakdown_fields`).
    Rankings are scored in the order given; scores only need to be descending.
    """
    if not runs:
        raise ValueError("no runs to evaluate")
    if stat_test not in STAT_TESTS:
        raise ValueError(f"stat_test must be one of {STAT_TESTS}")
    metrics = metric_names(ks)
    judged = relevant_only(qrels)
    ranx_qrels = _ranx_qrels(judged)
    ranx_runs = [_ranx_run(name, ranking, judged) for name, ranking in runs.items()]
    per_query = {run.name: _per_query_scores(ranx_qrels, run, metrics) for run in ranx_runs}
    metadata = (
        {qid: dict(metadata.get(qid, {})) for qid in judged} if metadata else {qid: {} for qid in judged}
    )
    fields = list(by) if by is not None else breakdown_fields(metadata)
    groups = {f: _groups(metadata, f) for f in fields}
    retrievers = [_retriever_scores(name, scores, metrics, groups) for name, scores in per_query.items()]
    return EvaluationReport(
        metrics=metrics,
        n_queries=len(judged),
        stat_test=stat_test,
        max_p=max_p,
        retrievers=retrievers,
        group_sizes={f: {value: len(qids) for value, qids in g.items()} for f, g in groups.items()},
        comparisons=_compare(ranx_qrels, ranx_runs, retrievers, stat_test, max_p),
        per_query=[
            QueryScores(qid, name, {m: scores[m][qid] for m in metrics}, metadata[qid])
            for name, scores in per_query.items()
            for qid in judged
        ],
    )


def breakdown_fields(metadata: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Metadata fields worth grouping by: categorical, not one value per query."""
    names = sorted({name for fields in metadata.values() for name in fields})
    limit = min(MAX_GROUPS, max(2, len(metadata) // 2))
    return [
        name
        for name in names
        if len({fields.get(name, MISSING_VALUE) for fields in metadata.values()}) <= limit
    ]


def relevant_only(qrels: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """The judged queries with their relevant (score > 0) documents only.

    Zero and negative judgements add nothing to Recall, MRR or nDCG; left out, a negative one cannot
    push nDCG outside [0, 1]. A query without a relevant document has no defined metric and is dropped.
    """
    judged = {qid: {d: s for d, s in docs.items() if s > 0} for qid, docs in qrels.items()}
    judged = {qid: docs for qid, docs in judged.items() if docs}
    if not judged:
        raise ValueError("qrels hold no relevant document")
    return judged


def per_query_values(
    qrels: Mapping[str, Mapping[str, int]], runs: Mapping[str, Ranking], metrics: list[str]
) -> dict[str, dict[str, dict[str, float]]]:
    """metric -> run name -> query id -> value, by ranx, for every query with a relevant document."""
    judged = relevant_only(qrels)
    ranx_qrels = _ranx_qrels(judged)
    out: dict[str, dict[str, dict[str, float]]] = {m: {} for m in metrics}
    for name, ranking in runs.items():
        run = _ranx_run(name, ranking, judged)
        for metric, values in _per_query_scores(ranx_qrels, run, metrics).items():
            out[metric][name] = values
    return out


def _ranx_qrels(judged: Mapping[str, Mapping[str, int]]):  # -> ranx.Qrels
    from ranx import Qrels

    return Qrels({qid: dict(docs) for qid, docs in judged.items()})


def _ranx_run(name: str, ranking: Ranking, judged: Mapping[str, Any]):  # -> ranx.Run
    """A ranx Run whose scores strictly follow the given order (ranx re-sorts by score).

    A query without results gets the `NO_HIT` placeholder, so every judged query counts (as zero).
    """
    from ranx import Run

    run_dict = {}
    for qid in judged:
        hits = ranking.get(qid, [])
        ranked = {doc_id: float(len(hits) - rank) for rank, (doc_id, _) in enumerate(hits)}
        run_dict[qid] = ranked or {NO_HIT: 0.0}
    return Run(run_dict, name=name)


@contextlib.contextmanager
def quiet_ranx() -> Iterator[None]:
    """Hide warnings that tell the user nothing: numba's about an unsafe cast in ranx's own metric code,
    and scipy's division by zero in a paired test over one query or identical scores (its NaN p-value
    is reported as 1.0)."""
    from numba.core.errors import NumbaTypeSafetyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NumbaTypeSafetyWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _per_query_scores(ranx_qrels, run, metrics: list[str]) -> dict[str, dict[str, float]]:
    """metric -> query id -> value, computed by ranx."""
    from ranx import evaluate

    with quiet_ranx():
        values = evaluate(ranx_qrels, run, metrics, return_mean=False, make_comparable=True)
    if len(metrics) == 1:
        values = {metrics[0]: values}
    qids = list(ranx_qrels.keys())
    return {metric: dict(zip(qids, map(float, values[metric]), strict=True)) for metric in metrics}


def _groups(metadata: Mapping[str, Mapping[str, str]], name: str) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for qid, fields in metadata.items():
        groups.setdefault(fields.get(name, MISSING_VALUE), []).append(qid)
    return dict(sorted(groups.items()))


def _retriever_scores(
    name: str,
    scores: dict[str, dict[str, float]],
    metrics: list[str],
    groups: dict[str, dict[str, list[str]]],
) -> RetrieverScores:
    def mean(metric: str, qids: Sequence[str]) -> float:
        return float(np.mean([scores[metric][qid] for qid in qids]))

    all_qids = list(next(iter(scores.values())))
    return RetrieverScores(
        name=name,
        overall={m: mean(m, all_qids) for m in metrics},
        breakdowns={
            f: {value: {m: mean(m, qids) for m in metrics} for value, qids in g.items()}
            for f, g in groups.items()
        },
    )


def _compare(
    ranx_qrels, ranx_runs: list, retrievers: list[RetrieverScores], stat_test: str, max_p: float
) -> list[Comparison]:
    """All pairs, via ranx `compare` (Fisher randomisation or paired Student t-test); p uncorrected."""
    from ranx import compare

    if len(ranx_runs) < 2:
        return []
    overall = {r.name: r.overall for r in retrievers}
    metrics = list(retrievers[0].overall)
    with quiet_ranx():
        report = compare(
            ranx_qrels, ranx_runs, metrics, stat_test=stat_test, max_p=max_p, make_comparable=True
        )
    win_tie_loss = report.to_dict()
    comparisons = []
    for a, b in combinations(list(overall), 2):
        for metric in metrics:
            test = report.comparisons[a, b][metric]
            p_value = float(test["p_value"])
            record = win_tie_loss[a]["win_tie_loss"][b][metric]
            comparisons.append(
                Comparison(
                    metric=metric,
                    a=a,
                    b=b,
                    score_a=overall[a][metric],
                    score_b=overall[b][metric],
                    p_value=1.0 if math.isnan(p_value) else p_value,  # NaN: no per-query difference at all
                    significant=bool(test["significant"]),
                    wins=int(record["W"]),
                    ties=int(record["T"]),
                    losses=int(record["L"]),
                )
            )
    return comparisons
