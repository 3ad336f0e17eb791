"""Where a synthetic query set differs from the human one: the diagnosis `personaqa validate` prints.

Generated questions are known to differ from real users' queries in ways that favour some
retrievers: they copy the source's words (which helps lexical retrievers) and they have one
"easy" relevant document where humans have many. This module measures those differences on
both sides of a validation, over the same corpus:

- query length: words per query (`question_form.word_count`, so CJK and Thai count words too);
- lexical overlap with the relevant documents: the share of a query's distinct terms found in a
  relevant document (terms as the `overlap` retriever counts them: lower-cased words, English
  stop words and question words removed), for the best relevant document and averaged over all;
- BM25 rank of the best relevant document over the whole corpus: competition rank, 1 + the
  number of documents scoring strictly higher than the best-scoring relevant one (so a relevant
  document sharing no term with the query ranks right after every document that shares one;
  how often that happens is reported as `no_shared_term`);
- relevant documents per query, and the question-type mix (synthetic records' `question_type`);
- each retriever's score under both sets, side by side with the difference (synthetic - human).

Everything is a median over queries unless named otherwise; a query with no term (stop words
only) has no overlap and is left out of the overlap medians.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from personaqa.programs.recipe.checks.question_form import word_count
from personaqa.programs.retrieval.beir import CorpusDoc
from personaqa.programs.retrieval.lexical import BM25Retriever, overlap_terms
from rich.console import Console
from rich.table import Table

SIDES = ("human", "synthetic")


@dataclass(frozen=True, slots=True)
class JudgedQuery:
    """A query with the ids of its relevant documents; `question_type` is empty for human queries."""

    id: str
    text: str
    relevant: tuple[str, ...]
    question_type: str = ""


@dataclass(frozen=True, slots=True)
class QuerySetProfile:
    """What one side's queries look like (medians over queries; shares in 0..1; NaN when undefined)."""

    n_queries: int
    words: float  # median words per query
    term_overlap_best: float  # median share of query terms found in the best-matching relevant document
    term_overlap_mean: float  # median of the share averaged over a query's relevant documents
    bm25_rank: float  # median BM25 rank (1 = best) of the best relevant document over the corpus
    bm25_first: float  # share of queries whose best relevant document BM25 ranks first
    no_shared_term: float  # share of queries no relevant document of which shares a term with it
    relevant_median: float  # relevant documents per query
    relevant_mean: float
    question_types: dict[str, int] = field(default_factory=dict)  # type -> questions (unlabelled: empty)


@dataclass(frozen=True, slots=True)
class RetrieverGap:
    """One retriever's score under both query sets on the ranking metric."""

    name: str
    human: float
    synthetic: float

    @property
    def difference(self) -> float:
        return self.synthetic - self.human


@dataclass(frozen=True, slots=True)
class Diagnosis:
    metric: str
    human: QuerySetProfile
    synthetic: QuerySetProfile
    retrievers: list[RetrieverGap]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes null; retrievers carry their difference."""
        return {
            "metric": self.metric,
            "human": _json_safe(asdict(self.human)),
            "synthetic": _json_safe(asdict(self.synthetic)),
            "retrievers": [
                _json_safe(
                    {"name": g.name, "human": g.human, "synthetic": g.synthetic, "difference": g.difference}
                )
                for g in self.retrievers
            ],
        }


# ---------------------------------------------------------------- measuring


def diagnose(
    corpus: Mapping[str, CorpusDoc],
    human: Sequence[JudgedQuery],
    synthetic: Sequence[JudgedQuery],
    human_scores: Mapping[str, float],
    synthetic_scores: Mapping[str, float],
    metric: str,
) -> Diagnosis:
    """Profile both query sets over `corpus` and pair the retrievers' scores (retriever -> mean `metric`).

    Retrievers are listed best first under the human queries. Every query needs at least one
    relevant document, each in `corpus` (ValueError otherwise). The BM25 figures are NaN when BM25
    cannot index the corpus (stop words only).
    """
    relevant = {d for q in [*human, *synthetic] for d in q.relevant}
    unknown = sorted(relevant - set(corpus))
    if unknown:
        raise ValueError(f"relevant document {unknown[0]!r} is not in the corpus")
    unjudged = [q.id for q in [*human, *synthetic] if not q.relevant]
    if unjudged:
        raise ValueError(f"query {unjudged[0]!r} has no relevant document")
    ids = sorted(relevant)
    doc_terms = dict(zip(ids, overlap_terms([corpus[d].full_text for d in ids]), strict=True))
    bm25 = _bm25(corpus)
    gaps = [
        RetrieverGap(name, human_scores[name], synthetic_scores[name])
        for name in sorted(human_scores, key=lambda n: (-human_scores[n], n))
    ]
    return Diagnosis(
        metric=metric,
        human=profile(human, corpus, doc_terms, bm25),
        synthetic=profile(synthetic, corpus, doc_terms, bm25),
        retrievers=gaps,
    )


def profile(
    queries: Sequence[JudgedQuery],
    corpus: Mapping[str, CorpusDoc],
    doc_terms: Mapping[str, set[str]],
    bm25: BM25Retriever | None,
) -> QuerySetProfile:
    """The profile of one query set. `doc_terms` maps (at least) every relevant document to its terms;
    `bm25` indexes `corpus` (None: BM25 figures NaN)."""
    position = {doc_id: i for i, doc_id in enumerate(corpus)}
    best, mean, ranks, shared = [], [], [], []
    for query, terms in zip(queries, overlap_terms([q.text for q in queries]), strict=True):
        if terms:
            shares = [len(terms & doc_terms[d]) / len(terms) for d in query.relevant]
            best.append(max(shares))
            mean.append(float(np.mean(shares)))
        if bm25 is not None:
            scores = bm25.scores(query.text)
            top = max(scores[position[d]] for d in query.relevant)
            ranks.append(1 + int(np.sum(scores > top)))
            shared.append(bool(top > 0))
    counts = [len(q.relevant) for q in queries]
    types = Counter(q.question_type for q in queries if q.question_type)
    return QuerySetProfile(
        n_queries=len(queries),
        words=_median([word_count(q.text) for q in queries]),
        term_overlap_best=_median(best),
        term_overlap_mean=_median(mean),
        bm25_rank=_median(ranks),
        bm25_first=_share([rank == 1 for rank in ranks]),
        no_shared_term=_share([not s for s in shared]),
        relevant_median=_median(counts),
        relevant_mean=float(np.mean(counts)) if counts else math.nan,
        question_types=dict(sorted(types.items(), key=lambda item: (-item[1], item[0]))),
    )


def _bm25(corpus: Mapping[str, CorpusDoc]) -> BM25Retriever | None:
    try:
        return BM25Retriever(corpus)
    except ValueError:  # bm25s refuses a vocabulary of stop words only; the panel has warned about it
        return None


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def _share(flags: Sequence[bool]) -> float:
    return sum(flags) / len(flags) if flags else math.nan


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in data.items()}


# ---------------------------------------------------------------- reporting


ROWS = (
    ("n_queries", "queries", "{:.0f}"),
    ("words", "words per query (median)", "{:.1f}"),
    ("term_overlap_best", "share of query terms in the best relevant document (median)", "{:.2f}"),
    ("term_overlap_mean", "... averaged over the relevant documents (median)", "{:.2f}"),
    ("bm25_rank", "BM25 rank of the best relevant document (median)", "{:.1f}"),
    ("bm25_first", "queries whose best relevant document BM25 ranks first", "{:.0%}"),
    ("no_shared_term", "queries no relevant document shares a term with", "{:.0%}"),
    ("relevant_median", "relevant documents per query (median)", "{:.1f}"),
    ("relevant_mean", "relevant documents per query (mean)", "{:.1f}"),
)


def print_diagnosis(diagnosis: Mapping[str, Any], console: Console | None = None) -> None:
    """Print `Diagnosis.as_json()` output: the two profiles, the question types and the retriever gaps."""
    console = console or Console()
    profiles = Table(title="Diagnosis: human queries vs synthetic questions")
    profiles.add_column("", style="bold")
    for side in SIDES:
        profiles.add_column(side, justify="right")
    for key, label, form in ROWS:
        profiles.add_row(label, *(_cell(diagnosis[side][key], form) for side in SIDES))
    console.print(profiles)
    for side in SIDES:
        types = diagnosis[side]["question_types"]
        if types:
            total = sum(types.values())
            mix = ", ".join(f"{name} {n} ({n / total:.0%})" for name, n in types.items())
            console.print(f"{side} question types: {mix}", soft_wrap=True, highlight=False)
    gaps = Table(title=f"Retriever scores ({diagnosis['metric']}) under both sets")
    for column in ("retriever", "human", "synthetic", "synthetic - human"):
        gaps.add_column(column, justify="left" if column == "retriever" else "right")
    for row in diagnosis["retrievers"]:
        gaps.add_row(
            row["name"],
            _cell(row["human"], "{:.3f}"),
            _cell(row["synthetic"], "{:.3f}"),
            _cell(row["difference"], "{:+.3f}"),
        )
    console.print(gaps)


def _cell(value: float | None, form: str) -> str:
    return "n/a" if value is None else form.format(value)


def mlflow_metrics(diagnosis: Mapping[str, Any]) -> dict[str, float]:
    """The diagnosis figures as flat MLflow metric names (`diagnosis.<side>.<figure>`), nulls left out."""
    metrics = {f"diagnosis.{side}.{key}": diagnosis[side][key] for side in SIDES for key, _, _ in ROWS}
    return {name: float(value) for name, value in metrics.items() if value is not None}
