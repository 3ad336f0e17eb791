"""`personaqa evaluate`: score retrievers on any BEIR folder and keep the evidence."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.programs.cli.options import (
    add_command,
    add_format_argument,
    add_output_arguments,
    add_retrievers_argument,
)
from personaqa.programs.evaluation.evaluate import (
    DEFAULT_K,
    DEFAULT_RETRIEVERS,
    EvaluateJob,
    parse_by,
    parse_ks,
    run_evaluation,
)
from personaqa.programs.evaluation.scoring import STAT_TESTS
from personaqa.programs.retrieval.retrievers import BUILT_IN

DESCRIPTION = """\
Score retrievers on the judged queries of a BEIR folder (a generate run's beir/
or any other): ranx scores overall and per persona / question type, paired
tests, tables, results.json, per_query.jsonl and charts in --out."""

EXAMPLES = f"""\
personaqa evaluate --dataset sample_run/beir    # writes sample_run/beir-eval
personaqa evaluate --dataset sample_run/beir --retrievers bm25 dense \\
    my_search:build --k 1,10 --format markdown --no-mlflow

built-in retrievers: {", ".join(BUILT_IN[:5])},
{", ".join(BUILT_IN[5:])}; module:factory is your factory(corpus) returning
search(queries, k) (see README, "Score retrievers")"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "evaluate",
        summary="score retrievers on a BEIR folder",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="--dataset DIR [--retrievers SPEC ...] [options]",
    )
    p.add_argument(
        "--dataset", required=True, type=Path, metavar="DIR", help="BEIR folder (corpus, queries, qrels/)"
    )
    add_retrievers_argument(p, DEFAULT_RETRIEVERS.replace(",", " "), alias="--retriever")
    p.add_argument("--k", default=DEFAULT_K, metavar="K,K", help="cut-offs, comma list")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: <dataset>-eval)")
    p.add_argument("--split", default="test", help="qrels/<split>.tsv to score against")
    p.add_argument("--by", metavar="FIELD,FIELD", help="query fields to break down by (default: categorical)")
    p.add_argument(
        "--stat-test",
        choices=STAT_TESTS,
        default="fisher",
        metavar="TEST",
        help="fisher (randomisation) or student (paired t)",
    )
    p.add_argument("--max-p", type=float, default=0.05, metavar="P", help="significance threshold")
    p.add_argument("--embedder", metavar="MODEL", help="model for dense retrievers (default: MiniLM)")
    add_format_argument(p)
    p.add_argument("--all-metrics", action="store_true", help="every metric at every cut-off (wide table)")
    add_output_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job = EvaluateJob(
        dataset=args.dataset,
        retrievers=args.retrievers or [DEFAULT_RETRIEVERS],
        ks=parse_ks(args.k),
        out=args.out,
        embedder=args.embedder,
        split=args.split,
        by=parse_by(args.by),
        stat_test=args.stat_test,
        max_p=args.max_p,
        experiment=args.experiment,
        mlflow=not args.no_mlflow,
        format=args.format,
        all_metrics=args.all_metrics,
    )
    run_evaluation(job)
    return 0
