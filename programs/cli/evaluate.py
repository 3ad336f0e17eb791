"""`personaqa evaluate`: score retrievers on any BEIR folder and keep the evidence.

Runs each requested retriever over the judged queries, scores the runs with ranx
(overall, per persona / question type / complexity, paired significance tests), prints
tables, writes `results.json`, `per_query.jsonl` and bar charts, and logs an MLflow run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from personaqa.programs.core.atomic import write_json, write_jsonl
from personaqa.programs.core.errors import InputError
from personaqa.programs.corpus.embedding import DEFAULT_EMBEDDER
from personaqa.programs.evaluation.beir import QUERIES_FILE, BeirCollection, load_beir
from personaqa.programs.evaluation.outputs import print_report, write_charts
from personaqa.programs.evaluation.panel import build_panel, warn_unsearchable_queries
from personaqa.programs.evaluation.retrievers import BUILT_IN, Hit, check_spec
from personaqa.programs.evaluation.scoring import STAT_TESTS, EvaluationReport, evaluate_runs, headline_metric
from personaqa.programs.run.preflight import check_services
from personaqa.programs.tracking.log import LateLog

DEFAULT_RETRIEVERS = "bm25,dense,hybrid"
DEFAULT_K = "1,5,10,100"
EXPERIMENT = "personaqa"  # one experiment for every command, so a run is found in one place
TOP_IN_PER_QUERY = 10
RESULTS_FILE = "results.json"
PER_QUERY_FILE = "per_query.jsonl"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("evaluate", help="score retrievers on a BEIR folder", description=__doc__)
    parser.add_argument(
        "--dataset", required=True, type=Path, help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/)"
    )
    parser.add_argument(
        "--retriever",
        action="append",
        metavar="SPEC",
        help=f"repeatable or comma list: {', '.join(BUILT_IN)} or module:factory "
        f"(factory(corpus) -> callable(queries, k)); default {DEFAULT_RETRIEVERS}",
    )
    parser.add_argument("--k", default=DEFAULT_K, help=f"cut-offs, comma list (default {DEFAULT_K})")
    parser.add_argument("--out", type=Path, help="output folder (default <dataset>/eval)")
    parser.add_argument(
        "--embedder", help="sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2)"
    )
    parser.add_argument("--split", default="test", help="qrels split: qrels/<split>.tsv (default test)")
    parser.add_argument(
        "--by", help="query metadata fields to break down by, comma list (default: categorical fields)"
    )
    parser.add_argument(
        "--stat-test",
        choices=STAT_TESTS,
        default="fisher",
        help="paired test between retrievers: Fisher randomisation or Student t (default fisher)",
    )
    parser.add_argument("--max-p", type=float, default=0.05, help="significance threshold (default 0.05)")
    parser.add_argument(
        "--experiment", default=EXPERIMENT, help=f"MLflow experiment name (default {EXPERIMENT})"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="do not log an MLflow run")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    ks = parse_ks(args.k)
    specs = parse_specs(args.retriever or [DEFAULT_RETRIEVERS])
    out = check_out(args.out or args.dataset / "eval")
    collection = load_beir(args.dataset, split=args.split)
    metadata = {q.id: q.metadata for q in collection.judged_queries()}
    by = _parse_by(args.by, metadata)
    check_services(mlflow=not args.no_mlflow, out_dir=args.out or args.dataset / "eval")
    rankings, timing = retrieve_all(collection, specs, max(ks), args.embedder)
    report = evaluate_runs(
        collection.qrels, rankings, ks, metadata=metadata, by=by, stat_test=args.stat_test, max_p=args.max_p
    )
    headline = headline_metric(ks)
    print_report(report, headline, timing)
    artifacts = write_outputs(
        out, report, results_header(args, collection, ks, specs, headline, timing), rankings
    )
    print(f"wrote {', '.join(str(p) for p in artifacts)}")
    if not args.no_mlflow:
        late = LateLog(f"the evaluate run (outputs in {out} are complete)", "rerun the same command once the "
                       "store is back to log it")
        late(lambda: log_mlflow(args, report, specs, ks, artifacts))
    return 0


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


def check_out(out: Path) -> Path:
    """Refuse an --out that can never be written before any index is built."""
    for path in (out, *out.parents):
        if path.exists():
            if not path.is_dir():
                raise InputError(f"--out {out}: {path} exists and is not a directory")
            return out
    return out


def _parse_by(text: str | None, metadata: dict[str, dict[str, str]]) -> list[str] | None:
    if text is None:
        return None
    fields = [part.strip() for part in text.split(",") if part.strip()]
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
    """Each retriever's top `depth` per judged query, plus build/search seconds (policy: `programs.evaluation.panel`)."""
    queries = collection.judged_queries()
    panel = build_panel(specs, collection.corpus, collection.root, embedder)
    warn_unsearchable_queries(queries, collection.root / QUERIES_FILE)
    rankings = panel.search({q.id: q.text for q in queries}, depth)
    return rankings, panel.timing


# ---------------------------------------------------------------- outputs


def results_header(
    args: argparse.Namespace,
    collection: BeirCollection,
    ks: list[int],
    specs: list[str],
    headline: str,
    timing: dict[str, dict[str, float]],
) -> dict[str, Any]:
    return {
        "dataset": str(Path(args.dataset).resolve()),
        "split": args.split,
        "retriever_specs": specs,
        "retrievers_skipped": [spec for spec in specs if spec not in timing],  # see the warnings printed
        "k": ks,
        "embedder": args.embedder or DEFAULT_EMBEDDER,
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
    args: argparse.Namespace, report: EvaluationReport, specs: list[str], ks: list[int], artifacts: list[Path]
) -> str:
    import mlflow

    from personaqa.programs.tracking.store import experiment_id, tracking_uri

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    params = {
        "dataset": str(Path(args.dataset).resolve()),
        "split": args.split,
        "retrievers": ",".join(specs),
        "k": ",".join(map(str, ks)),
        "embedder": args.embedder or DEFAULT_EMBEDDER,
        "stat_test": args.stat_test,
        "n_queries": report.n_queries,
    }
    with mlflow.start_run(
        experiment_id=experiment_id(args.experiment, uri), run_name=f"evaluate {Path(args.dataset).name}"
    ) as active:
        mlflow.log_params(params)
        mlflow.log_metrics(mlflow_metrics(report))
        for path in artifacts:
            mlflow.log_artifact(str(path))
    print(f"MLflow run {active.info.run_id} logged to {uri}")
    return active.info.run_id


def mlflow_metrics(report: EvaluationReport) -> dict[str, float]:
    """`<retriever>.<metric>` keys, e.g. `bm25.ndcg_at_10`, using only characters MLflow accepts."""
    import re

    def safe(text: str) -> str:
        return re.sub(r"[^\w\-. /]", "_", text.replace("@", "_at_"))

    return {f"{safe(r.name)}.{safe(m)}": value for r in report.retrievers for m, value in r.overall.items()}
