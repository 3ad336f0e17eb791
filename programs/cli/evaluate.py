"""`personaqa evaluate`: score retrievers on any BEIR folder and keep the evidence.

Runs each requested retriever over the judged queries, scores the runs with ranx
(overall, per persona / question type / complexity, paired significance tests), prints
tables, writes `results.json`, `per_query.jsonl` and bar charts, and logs an MLflow run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.programs.evaluation.evaluate import (
    DEFAULT_K, DEFAULT_RETRIEVERS, EXPERIMENT, EvaluateJob, parse_by, parse_ks, run_evaluation,
)
from personaqa.programs.evaluation.scoring import STAT_TESTS
from personaqa.programs.retrieval.retrievers import BUILT_IN


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
    job = EvaluateJob(dataset=args.dataset, retrievers=args.retriever or [DEFAULT_RETRIEVERS], ks=parse_ks(args.k),
                      out=args.out, embedder=args.embedder, split=args.split, by=parse_by(args.by),
                      stat_test=args.stat_test, max_p=args.max_p, experiment=args.experiment,
                      mlflow=not args.no_mlflow)
    run_evaluation(job)
    return 0
