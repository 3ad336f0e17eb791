"""How far a set with one relevant passage per question can agree with human queries: the single-qrel ceiling.

A synthetic set labels one passage per question. On a collection whose human queries have many relevant
documents each (CISI: 41 on average), that alone caps agreement: score the panel with the human queries and
their full qrels, then again with the same queries and one relevant document each, and the two rankings
disagree already. Kendall's tau between them is the most a one-passage set can reach there, whatever its
questions (the computation of issue #27; on CISI its median was 0.47 with a 5-95 % range of 0.11-0.69, on a
collection with 7 relevant documents per query 0.87).

Each draw keeps, per query, one of its best-graded relevant documents, chosen at random among equals (numpy
generator seeded with `seed`); the panel's runs are scored again with those qrels (no new search)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from personaqa.programs.evaluation.scoring import Ranking, per_query_values, relevant_only
from personaqa.programs.evaluation.validation import agreement, nan_to_none, system_scores

Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> grade


@dataclass(frozen=True, slots=True)
class Ceiling:
    """Kendall's tau between the panel's ranking under full and under single-document qrels, over `draws`."""

    median: float
    p5: float
    p95: float
    draws: int
    relevant_per_query: float  # mean number of relevant documents per judged query, full qrels

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "median": nan_to_none(self.median),
            "p5": nan_to_none(self.p5),
            "p95": nan_to_none(self.p95),
            "draws": self.draws,
            "relevant_per_query": round(self.relevant_per_query, 2),
        }


def single_qrels(qrels: Qrels, rng: np.random.Generator) -> dict[str, dict[str, int]]:
    """Per query, one of its best-graded relevant documents (random among equals), as a one-entry qrels.
    Raises ValueError when no query has a relevant document."""
    single = {}
    for qid, docs in sorted(relevant_only(qrels).items()):
        top = max(docs.values())
        best = sorted(d for d, grade in docs.items() if grade == top)
        single[qid] = {best[int(rng.integers(len(best)))]: top}
    return single


def single_qrel_ceiling(
    qrels: Qrels, runs: Mapping[str, Ranking], metric: str, draws: int = 20, seed: int = 0
) -> Ceiling:
    """The single-qrel ceiling of a collection for a panel: `qrels` the human queries' full judgements,
    `runs` the panel's rankings of those queries (retriever -> query id -> ranking), `metric` a ranx
    metric name ("ndcg@10"). Median and 5th/95th percentiles of tau over `draws` draws of `single_qrels`;
    NaN when no draw gives an ordering on both sides (e.g. all retrievers score alike). Raises ValueError
    for fewer than two retrievers or qrels without a relevant document."""
    if len(runs) < 2:
        raise ValueError("the ceiling needs at least two retrievers")
    judged = relevant_only(qrels)
    full = system_scores(per_query_values(judged, runs, [metric])[metric])
    rng = np.random.default_rng(seed)
    taus = []
    for _ in range(draws):
        single = system_scores(per_query_values(single_qrels(judged, rng), runs, [metric])[metric])
        taus.append(agreement(full, single)[0].value)
    defined = np.array([t for t in taus if not math.isnan(t)])
    p5, median, p95 = (
        (float(v) for v in np.percentile(defined, [5, 50, 95])) if defined.size else (math.nan,) * 3
    )
    mean_relevant = float(np.mean([len(docs) for docs in judged.values()]))
    return Ceiling(median=median, p5=p5, p95=p95, draws=draws, relevant_per_query=mean_relevant)
