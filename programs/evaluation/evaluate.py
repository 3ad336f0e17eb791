"""`personaqa evaluate` as a library function: score retrievers on any BEIR folder and keep the evidence.

Runs each requested retriever over the judged queries, scores the runs with ranx
(overall, per persona / question type / complexity, paired significance tests), prints
tables, writes `results.json`, `per_query.jsonl` and bar charts, and logs an MLflow run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from personaqa.programs.core.atomic import write_json, write_jsonl
from personaqa.programs.core.errors import InputError
from personaqa.programs.corpus.embedding import DEFAULT_EMBEDDER
from personaqa.programs.evaluation.outputs import print_report, shown_metrics, write_charts
from personaqa.programs.evaluation.render import Format, console_for, print_json, wrote_line
from personaqa.programs.evaluation.scoring import EvaluationReport, evaluate_runs, headline_metric
from personaqa.programs.retrieval.beir import QUERIES_FILE, BeirCollection, load_beir
from personaqa.programs.retrieval.panel import build_panel, warn_unsearchable_queries
from personaqa.programs.retrieval.retrievers import Hit, check_spec
from personaqa.programs.run.preflight import check_services
from personaqa.programs.tracking.log import LateLog

DEFAULT_RETRIEVERS = "bm25,dense,hybrid"
DEFAULT_K = "1,5,10,100"
EXPERIMENT = "personaqa"  # one experiment for every command, so a run is found in one place
TOP_IN_PER_QUERY = 10
RESULTS_FILE = "results.json"
PER_QUERY_FILE = "per_query.jsonl"


@dataclass
class EvaluateJob:
    """What `personaqa evaluate` is asked: the BEIR folder, the retriever specs (built-in names,
    `module:factory` plug-ins or comma lists of them) and the cut-offs, where to write, how to break
    down and test."""

    dataset: Path
    retrievers: list[str] = field(default_factory=lambda: [DEFAULT_RETRIEVERS])
    ks: list[int] = field(default_factory=lambda: parse_ks(DEFAULT_K))
    out: Path | None = None  # default: beside the dataset, <dataset>-eval (`default_out`)
    embedder: str | None = None
    split: str = "test"
    by: list[str] | None = None  # query metadata fields (default: the categorical ones)
    stat_test: str = "fisher"
    max_p: float = 0.05
    experiment: str = EXPERIMENT
    mlflow: bool = True
    format: Format = "table"  # how the tables are printed (render.py); json prints results.json's data
    all_metrics: bool = False  # every metric in the overall table, not only those at the headline cut-off


@dataclass
class EvaluateResult:
    report: EvaluationReport
    headline: str
    timing: dict[str, dict[str, float]]
    artifacts: list[Path]


def run_evaluation(job: EvaluateJob) -> EvaluateResult:
    """Score every retriever on the judged queries of `job.dataset`; print the tables, write results.json,
    per_query.jsonl and the charts, and log an MLflow run (a store gone by then is one warning)."""
    ks = sorted(set(job.ks))
    if not ks or ks[0] < 1:
        raise InputError(f"--k must be a comma list of positive integers, got {','.join(map(str, job.ks))!r}")
    specs = parse_specs(job.retrievers)
    out = check_out(job.out or default_out(job.dataset, "eval"))
    collection = load_beir(job.dataset, split=job.split)
    metadata = {q.id: q.metadata for q in collection.judged_queries()}
    by = _check_by(job.by, metadata)
    check_services(mlflow=job.mlflow, out_dir=out)
    rankings, timing = retrieve_all(collection, specs, max(ks), job.embedder)
    report = evaluate_runs(
        collection.qrels, rankings, ks, metadata=metadata, by=by, stat_test=job.stat_test, max_p=job.max_p
    )
    headline = headline_metric(ks)
    header = results_header(job, collection, ks, specs, headline, timing)
    if job.format == "json":
        print_json({**header, **report.summary()})
    else:
        shown = report.metrics if job.all_metrics else shown_metrics(report.metrics, headline)
        print_report(report, headline, timing, console_for(job.format), shown)
    artifacts = write_outputs(out, report, header, rankings)
    status = sys.stderr if job.format == "json" else sys.stdout  # stdout holds only the JSON
    print(wrote_line(artifacts), file=status)
    if job.mlflow:
        late = LateLog(
            f"the evaluate run (outputs in {out} are complete)",
            "rerun the same command once the store is back to log it",
        )
        late(lambda: log_mlflow(job, report, specs, ks, artifacts, status))
    return EvaluateResult(report, headline, timing, artifacts)


# ---------------------------------------------------------------- arguments


def parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise InputError(f"--k must be a comma list of positive integers, got {text!r}") from None
    if not ks or ks[0] < 1:
        raise InputError(f"--k must be a comma list of positive integers, got {text!r}")
    return ks


def parse_specs(values: list[str]) -> list[str]:
    specs = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not specs:
        raise InputError("--retriever is empty")
    for spec in specs:
        check_spec(spec)
    return list(dict.fromkeys(specs))


def default_out(dataset: Path, suffix: str) -> Path:
    """An output folder beside the input folder, never inside it: `data/beir` -> `data/beir-<suffix>`."""
    folder = Path(dataset).resolve()
    return folder.parent / f"{folder.name}-{suffix}"


def check_out(out: Path) -> Path:
    """Refuse an --out that can never be written before any index is built."""
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                raise InputError(f"--out {out}: {path} exists and is not a directory")
            return out
    return out


def parse_by(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def _check_by(fields: list[str] | None, metadata: dict[str, dict[str, str]]) -> list[str] | None:
    if fields is None:
        return None
    present = {name for fields_of in metadata.values() for name in fields_of}
    missing = [name for name in fields if name not in present]
    if missing:
        raise InputError(
            f"--by: no query has field(s) {', '.join(missing)}; "
            f"present: {', '.join(sorted(present)) or 'none'}"
        )
    return fields


# ---------------------------------------------------------------- retrieval


def retrieve_all(
    collection: BeirCollection, specs: list[str], depth: int, embedder: str | None
) -> tuple[dict[str, dict[str, list[Hit]]], dict[str, dict[str, float]]]:
    """Each retriever's top `depth` per judged query, build/search seconds (`programs.retrieval.panel`)."""
    queries = collection.judged_queries()
    panel = build_panel(specs, collection.corpus, collection.root, embedder)
    warn_unsearchable_queries(queries, collection.root / QUERIES_FILE)
    rankings = panel.search({q.id: q.text for q in queries}, depth)
    return rankings, panel.timing


# ---------------------------------------------------------------- outputs


def results_header(
    job: EvaluateJob,
    collection: BeirCollection,
    ks: list[int],
    specs: list[str],
    headline: str,
    timing: dict[str, dict[str, float]],
) -> dict[str, Any]:
    return {
        "dataset": str(Path(job.dataset).resolve()),
        "split": job.split,
        "retriever_specs": specs,
        "retrievers_skipped": [spec for spec in specs if spec not in timing],  # see the warnings printed
        "k": ks,
        "embedder": job.embedder or DEFAULT_EMBEDDER,
        "n_docs": len(collection.corpus),
        "n_queries_total": len(collection.queries),
        "headline_metric": headline,
        "timing": timing,
    }


def write_outputs(
    out: Path, report: EvaluationReport, header: dict[str, Any], rankings: dict[str, dict[str, list[Hit]]]
) -> list[Path]:
    write_json(out / RESULTS_FILE, {**header, **report.summary()})
    rows = (
        {
            "query_id": row.query_id,
            "retriever": row.retriever,
            "metadata": row.metadata,
            "scores": row.scores,
            "retrieved": [
                [doc_id, round(score, 6)]
                for doc_id, score in rankings[row.retriever][row.query_id][:TOP_IN_PER_QUERY]
            ],
        }
        for row in report.per_query
    )
    write_jsonl(out / PER_QUERY_FILE, rows)
    charts = write_charts(report, header["headline_metric"], out)
    return [out / RESULTS_FILE, out / PER_QUERY_FILE, *charts]


def log_mlflow(
    job: EvaluateJob,
    report: EvaluationReport,
    specs: list[str],
    ks: list[int],
    artifacts: list[Path],
    status: TextIO | None = None,
) -> str:
    import mlflow
    from personaqa.programs.tracking.store import experiment_id, tracking_uri

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    params = {
        "dataset": str(Path(job.dataset).resolve()),
        "split": job.split,
        "retrievers": ",".join(specs),
        "k": ",".join(map(str, ks)),
        "embedder": job.embedder or DEFAULT_EMBEDDER,
        "stat_test": job.stat_test,
        "n_queries": report.n_queries,
    }
    with mlflow.start_run(
        experiment_id=experiment_id(job.experiment, uri), run_name=f"evaluate {Path(job.dataset).name}"
    ) as active:
        mlflow.log_params(params)
        mlflow.log_metrics(mlflow_metrics(report))
        for path in artifacts:
            mlflow.log_artifact(str(path))
    print(f"MLflow run {active.info.run_id} logged to {uri}", file=status or sys.stdout)
    return active.info.run_id


def mlflow_metrics(report: EvaluationReport) -> dict[str, float]:
    """`<retriever>.<metric>` keys, e.g. `bm25.ndcg_at_10`, using only characters MLflow accepts."""
    import re

    def safe(text: str) -> str:
        return re.sub(r"[^\w\-. /]", "_", text.replace("@", "_at_"))

    return {f"{safe(r.name)}.{safe(m)}": value for r in report.retrievers for m, value in r.overall.items()}
