"""`personaqa validate`: its flags, parsed into a ValidateJob for `programs.evaluation.validate`."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.programs.cli.options import (
    add_alias,
    add_command,
    add_format_argument,
    add_lm_arguments,
    add_output_arguments,
    add_retrievers_argument,
    lm_overrides,
    require,
)
from personaqa.programs.config import RunConfig, load_config
from personaqa.programs.evaluation.evaluate import parse_ks
from personaqa.programs.evaluation.validate import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_METRIC,
    DEFAULT_RESAMPLES,
    DEFAULT_SAMPLE_DOCS,
    DEFAULT_SPLITS,
    ValidateJob,
    check_job,
    run_validation,
)
from personaqa.programs.recipe.program_io import resolve_program
from personaqa.programs.retrieval.retrievers import BUILT_IN

DESCRIPTION = """\
Do synthetic questions rank retrievers as a BEIR folder's human queries do?
Kendall tau and Spearman rho against the humans' split-half agreement."""

EXAMPLES = """\
personaqa validate --dataset scifact/ --personas personas.yaml
personaqa validate --dataset scifact/ --personas personas.yaml \\
    --lm openai/gpt-4o-mini --api-key-env OPENAI_API_KEY --workers 8"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "validate",
        summary="check that a synthetic set ranks retrievers like human queries",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="--dataset DIR --personas FILE [options]",
    )
    p.add_argument("--dataset", type=Path, metavar="DIR", help="human-judged BEIR folder")
    add_alias(p, "--beir", "dataset", type=Path)
    p.add_argument("--personas", required=True, type=Path, metavar="FILE", help="YAML/JSON personas")
    p.add_argument(
        "--sample-docs", type=int, default=DEFAULT_SAMPLE_DOCS, metavar="N", help="documents to generate from"
    )
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: <dataset>-validate)")
    add_retrievers_argument(p, "all; at least 3")
    p.add_argument("--k", default="10", metavar="K,K", help="cut-offs of the reported metrics")
    p.add_argument("--metric", default=DEFAULT_METRIC, help="metric that ranks the retrievers")
    p.add_argument("--splits", type=int, default=DEFAULT_SPLITS, metavar="N", help="human split-half draws")
    p.add_argument(
        "--resamples", type=int, default=DEFAULT_RESAMPLES, metavar="N", help="bootstrap resamples"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of sample, splits and bootstrap")
    p.add_argument("--split", default="test", help="qrels/<split>.tsv of --dataset")
    p.add_argument(
        "--chunk-size",
        type=int,
        metavar="CHARS",
        help=f"characters per chunk (default: {DEFAULT_CHUNK_SIZE})",
    )
    p.add_argument("--program", metavar="JSON", help="compiled program, or `baseline` (default: shipped)")
    p.add_argument(
        "--pool-depth", type=int, default=0, metavar="K", help="also score with pooled qrels (top K)"
    )
    p.add_argument("--workers", type=int, default=1, metavar="N", help="units in flight (endpoint LMs)")
    p.add_argument("--overwrite", action="store_true", help="discard an unfinished generation in --out")
    add_format_argument(p)
    add_lm_arguments(p)
    add_output_arguments(p, quiet="no progress bars or summary")
    p.set_defaults(func=run, parser=p)


def run(args: argparse.Namespace) -> int:
    require(args.parser, args, "dataset", "--dataset")
    ks = parse_ks(args.k)
    job = ValidateJob(
        beir=args.dataset,
        personas=args.personas,
        out=args.out,
        sample_docs=args.sample_docs,
        retrievers=args.retrievers or list(BUILT_IN),
        k=ks[0] if len(ks) == 1 else ks,
        metric=args.metric,
        splits=args.splits,
        resamples=args.resamples,
        seed=args.seed,
        split=args.split,
        workers=args.workers,
        overwrite=args.overwrite,
        quiet=args.quiet or args.format == "json",  # json: stdout holds only validate.json
        mlflow=not args.no_mlflow,
        experiment=args.experiment,
        program_path=resolve_program(args.program),
        pool_depth=args.pool_depth,
        format=args.format,
    )
    check_job(job)  # the flags first, then the configuration
    job.config = _generation_config(args)
    run_validation(job)
    return 0


def _generation_config(args: argparse.Namespace) -> RunConfig:
    overrides = {**lm_overrides(args), "chunk_size": args.chunk_size}
    config = load_config(args.config, overrides)
    if args.chunk_size is None and "chunk_size" not in config.model_fields_set:
        config = load_config(args.config, {**overrides, "chunk_size": DEFAULT_CHUNK_SIZE})
    return config
