"""Does a synthetic evaluation set rank retrievers the way human queries do? The arithmetic.

`personaqa validate` scores the same panel of retrievers with human queries and with
synthetic ones, then compares the two orderings. Everything here is pure: it takes
per-query metric values (retriever -> query id -> value) and returns system scores,
rankings, rank correlations and the human split-half baseline — how well two random
halves of the human queries agree with each other, i.e. how much agreement to expect
from a second, independent set of human queries of half the size.

Rank agreement is Kendall's tau-b and Spearman's rho (scipy.stats) computed on the
system scores; both handle tied scores. A side whose scores are all equal gives no
ordering, and the correlation is undefined (NaN here, `null` in JSON). How much the
agreement owes to which synthetic questions happened to be kept is a percentile bootstrap
over those questions (`bootstrap_agreement`).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

PerQuery = Mapping[str, Mapping[str, float]]  # retriever -> query id -> metric value


@dataclass(frozen=True, slots=True)
class Correlation:
    """A rank correlation and its two-sided p-value (NaN when undefined)."""

    value: float
    p_value: float

    def as_json(self) -> dict[str, float | None]:
        return {"value": nan_to_none(self.value), "p_value": nan_to_none(self.p_value)}


@dataclass(frozen=True, slots=True)
class SplitHalf:
    """Kendall's tau between the system rankings of two disjoint random halves of the queries."""

    median: float
    q1: float
    q3: float
    p5: float
    p95: float
    n_splits: int
    n_defined: int  # splits where both halves gave an ordering (tau not NaN)
    half_size: int
    seed: int

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "median": nan_to_none(self.median),
            "q1": nan_to_none(self.q1),
            "q3": nan_to_none(self.q3),
            "iqr": nan_to_none(self.iqr),
            "p5": nan_to_none(self.p5),
            "p95": nan_to_none(self.p95),
            "n_splits": self.n_splits,
            "n_defined": self.n_defined,
            "half_size": self.half_size,
            "seed": self.seed,
        }


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """Percentile bootstrap intervals of Kendall's tau and Spearman's rho (see `bootstrap_agreement`)."""

    tau_low: float
    tau_high: float
    rho_low: float
    rho_high: float
    confidence: float
    n_resamples: int
    n_defined: int  # resamples where the synthetic side gave an ordering
    seed: int

    def as_json(self) -> dict[str, float | int | str | None]:
        return {
            "kendall_tau": [nan_to_none(self.tau_low), nan_to_none(self.tau_high)],
            "spearman_rho": [nan_to_none(self.rho_low), nan_to_none(self.rho_high)],
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "n_defined": self.n_defined,
            "seed": self.seed,
            "resampled": "synthetic questions, with replacement; human scores fixed",
            "method": "percentile",
        }


def nan_to_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


# ---------------------------------------------------------------- scores and rankings


def score_matrix(
    per_query: PerQuery, systems: Sequence[str] | None = None
) -> tuple[list[str], list[str], np.ndarray]:
    """(systems, query ids, systems x queries array); every system must score the same queries."""
    systems = list(systems if systems is not None else per_query)
    if not systems:
        raise ValueError("no systems")
    query_ids = list(per_query[systems[0]])
    for name in systems[1:]:
        if set(per_query[name]) != set(query_ids):
            raise ValueError(f"system {name!r} scores other queries than {systems[0]!r}")
    matrix = np.array([[per_query[name][qid] for qid in query_ids] for name in systems], dtype=float)
    return systems, query_ids, matrix.reshape(len(systems), len(query_ids))


def system_scores(per_query: PerQuery) -> dict[str, float]:
    """Mean over queries per system (NaN for a system with no queries)."""
    return {
        name: float(np.mean(list(values.values()))) if values else math.nan
        for name, values in per_query.items()
    }


def ranking(scores: Mapping[str, float]) -> list[str]:
    """System names best first; equal scores keep name order so the output is deterministic."""
    return sorted(scores, key=lambda name: (-scores[name], name))


def ranks(scores: Mapping[str, float]) -> dict[str, int]:
    """Competition rank per system (1 = best; tied systems share the better rank: 1, 2, 2, 4)."""
    return {name: 1 + sum(other > value for other in scores.values()) for name, value in scores.items()}


# ---------------------------------------------------------------- rank agreement


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> Correlation:
    """Kendall's tau-b between two score vectors over the same systems."""
    from scipy.stats import kendalltau

    return _correlation(kendalltau, a, b)


def spearman_rho(a: Sequence[float], b: Sequence[float]) -> Correlation:
    """Spearman's rank correlation between two score vectors over the same systems."""
    from scipy.stats import spearmanr

    return _correlation(spearmanr, a, b)


def _correlation(test: Callable, a: Sequence[float], b: Sequence[float]) -> Correlation:
    """A scipy rank correlation as (statistic, p); NaN when either side gives no ordering."""
    _check_pair(a, b)
    if _constant(a) or _constant(b):
        return Correlation(math.nan, math.nan)
    result = test(a, b)
    return Correlation(float(result.statistic), float(result.pvalue))


def agreement(first: Mapping[str, float], second: Mapping[str, float]) -> tuple[Correlation, Correlation]:
    """(Kendall's tau, Spearman's rho) between two system -> score mappings over the same systems."""
    if set(first) != set(second):
        raise ValueError("both sides must score the same systems")
    names = list(first)
    a = [first[n] for n in names]
    b = [second[n] for n in names]
    return kendall_tau(a, b), spearman_rho(a, b)


def _check_pair(a: Sequence[float], b: Sequence[float]) -> None:
    if len(a) != len(b):
        raise ValueError("score vectors differ in length")
    if len(a) < 2:
        raise ValueError("need at least two systems to compare rankings")


def _constant(values: Sequence[float]) -> bool:
    return len({float(v) for v in values}) <= 1


# ---------------------------------------------------------------- split-half baseline


def split_half_taus(matrix: np.ndarray, n_splits: int = 1000, seed: int = 0) -> np.ndarray:
    """Kendall's tau between system means over two disjoint random halves of the query columns.

    `matrix` is systems x queries (per-query metric values, computed once). Each split shuffles
    the queries and compares the first floor(n/2) with the next floor(n/2) (one query is left
    out when n is odd, so both halves are the same size). NaN where a half gives no ordering.
    """
    from scipy.stats import kendalltau

    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] < 2:
        raise ValueError("need a systems x queries matrix with at least two systems")
    n_queries = matrix.shape[1]
    if n_queries < 2:
        raise ValueError("need at least two queries to split them in halves")
    if n_splits < 1:
        raise ValueError("n_splits must be positive")
    half = n_queries // 2
    rng = np.random.default_rng(seed)
    taus = np.empty(n_splits)
    for i in range(n_splits):
        order = rng.permutation(n_queries)
        first = matrix[:, order[:half]].mean(axis=1)
        second = matrix[:, order[half : 2 * half]].mean(axis=1)
        if _constant(first) or _constant(second):
            taus[i] = math.nan
        else:
            taus[i] = kendalltau(first, second).statistic
    return taus


def split_half_baseline(matrix: np.ndarray, n_splits: int = 1000, seed: int = 0) -> SplitHalf:
    """Median, quartiles and 5th/95th percentiles of `split_half_taus` over the splits where tau is
    defined (`n_defined`); NaN when none is."""
    taus = split_half_taus(matrix, n_splits, seed)
    defined = taus[~np.isnan(taus)]
    if defined.size:
        p5, q1, median, q3, p95 = (float(v) for v in np.percentile(defined, [5, 25, 50, 75, 95]))
    else:
        p5 = q1 = median = q3 = p95 = math.nan
    return SplitHalf(
        median=median,
        q1=q1,
        q3=q3,
        p5=p5,
        p95=p95,
        n_splits=n_splits,
        n_defined=int(defined.size),
        half_size=np.asarray(matrix).shape[1] // 2,
        seed=seed,
    )


# ---------------------------------------------------------------- bootstrap over synthetic questions


def bootstrap_agreement(
    human: Mapping[str, float],
    synthetic: Mapping[str, Mapping[str, float]],
    n_resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> Bootstrap:
    """Percentile bootstrap interval of Kendall's tau and Spearman's rho between human and synthetic scores.

    `human` is retriever -> system score (held fixed); `synthetic` is retriever -> question id ->
    metric value, over the same retrievers. Each of `n_resamples` resamples (numpy generator seeded
    with `seed`) draws as many synthetic questions as there are, with replacement, recomputes every
    retriever's mean over them and both correlations against `human`. The interval is the
    (1 - confidence)/2 and (1 + confidence)/2 percentiles over the resamples where the synthetic
    means are not all equal (`n_defined`; Efron & Tibshirani 1993, ch. 13). NaN when none is, or
    when the human scores are all equal. Raises ValueError for fewer than two retrievers, no
    questions, or retrievers missing from either side.
    """
    from scipy.stats import kendalltau, spearmanr

    if set(human) != set(synthetic):
        raise ValueError("both sides must score the same systems")
    if n_resamples < 1:
        raise ValueError("n_resamples must be positive")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    systems, _, matrix = score_matrix(synthetic, list(human))
    n_questions = matrix.shape[1]
    if len(systems) < 2:
        raise ValueError("need at least two systems to compare rankings")
    if n_questions == 0:
        raise ValueError("no synthetic questions to resample")
    fixed = np.array([human[name] for name in systems], dtype=float)
    rng = np.random.default_rng(seed)
    taus, rhos = np.full(n_resamples, math.nan), np.full(n_resamples, math.nan)
    for i in range(n_resamples):
        means = matrix[:, rng.integers(0, n_questions, n_questions)].mean(axis=1)
        if not (_constant(fixed) or _constant(means)):
            taus[i] = kendalltau(fixed, means).statistic
            rhos[i] = spearmanr(fixed, means).statistic
    defined = ~np.isnan(taus)
    tails = [50 * (1 - confidence), 50 * (1 + confidence)]
    tau_low, tau_high = np.percentile(taus[defined], tails) if defined.any() else (math.nan, math.nan)
    rho_low, rho_high = np.percentile(rhos[defined], tails) if defined.any() else (math.nan, math.nan)
    return Bootstrap(
        tau_low=float(tau_low),
        tau_high=float(tau_high),
        rho_low=float(rho_low),
        rho_high=float(rho_high),
        confidence=confidence,
        n_resamples=n_resamples,
        n_defined=int(defined.sum()),
        seed=seed,
    )


# ---------------------------------------------------------------- sampling


def sample_documents(
    doc_ids: Sequence[str], preferred: set[str], n: int, seed: int = 0
) -> tuple[list[str], int]:
    """`n` document ids drawn (seeded) from `preferred` first, topped up from the rest.

    Returns (the ids in their corpus order, how many came from `preferred`).
    """
    if n < 1:
        raise ValueError("n must be positive")
    rng = random.Random(seed)
    first = [d for d in doc_ids if d in preferred]
    rest = [d for d in doc_ids if d not in preferred]
    chosen = rng.sample(first, min(n, len(first)))
    from_preferred = len(chosen)
    if len(chosen) < n:
        chosen += rng.sample(rest, min(n - len(chosen), len(rest)))
    picked = set(chosen)
    return [d for d in doc_ids if d in picked], from_preferred


# ---------------------------------------------------------------- synthetic set sanity

_PLACEHOLDER = re.compile(r"\{\s*\w+\s*\}")


def text_checks(texts: Sequence[str]) -> dict[str, int]:
    """Counts that flag a degenerate query set: repeated texts and unfilled `{field}` template placeholders.

    Informational only: nothing is dropped, so the reported agreement is for the set as generated.
    """
    normalised = [" ".join(t.lower().split()) for t in texts]
    return {
        "n": len(texts),
        "n_distinct": len(set(normalised)),
        "n_with_placeholder": sum(1 for t in texts if _PLACEHOLDER.search(t)),
        "n_without_question_mark": sum(1 for t in texts if "?" not in t),
    }
