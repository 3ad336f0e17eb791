"""`personaqa validate`: its flags, parsed into a ValidateJob for `programs.evaluation.validate`."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.programs.cli.options import add_lm_arguments, lm_overrides
from personaqa.programs.config import RunConfig, load_config
from personaqa.programs.evaluation import validate as validation
from personaqa.programs.evaluation.validate import (
    DEFAULT_CHUNK_SIZE, DEFAULT_METRIC, DEFAULT_RESAMPLES, DEFAULT_SAMPLE_DOCS, DEFAULT_SPLITS, EXPERIMENT,
    ValidateJob, check_job, run_validation,
)
from personaqa.programs.recipe.program_io import resolve_program
from personaqa.programs.retrieval.retrievers import BUILT_IN


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="check that a synthetic set ranks retrievers like human queries",
                              description=validation.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--beir", required=True, type=Path, help="human-judged BEIR folder (corpus, queries, qrels/)")
    p.add_argument("--personas", required=True, type=Path, help="YAML/JSON list of {name, description} (optionally "
                   "own_wording_share, style, examples)")
    p.add_argument("--sample-docs", type=int, default=DEFAULT_SAMPLE_DOCS,
                   help=f"documents to generate questions from (default {DEFAULT_SAMPLE_DOCS})")
    p.add_argument("--out", type=Path, help="output folder (default ./validate_<beir folder name>); "
                   "an unfinished generation there resumes")
    p.add_argument("--retrievers", nargs="+", metavar="SPEC", default=list(BUILT_IN),
                   help=f"retriever panel, space or comma separated (default: {' '.join(BUILT_IN)})")
    p.add_argument("--k", type=int, default=10, help="cut-off for the reported Recall/MRR/nDCG (default 10)")
    p.add_argument("--metric", default=DEFAULT_METRIC,
                   help=f"metric that ranks the retrievers, family@k (default {DEFAULT_METRIC})")
    p.add_argument("--splits", type=int, default=DEFAULT_SPLITS,
                   help=f"random halvings of the human queries for the split-half baseline (default {DEFAULT_SPLITS})")
    p.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES,
                   help=f"bootstrap resamples of the synthetic questions for the tau and rho intervals "
                        f"(default {DEFAULT_RESAMPLES})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed for the document sample, the splits and the bootstrap (default 0)")
    p.add_argument("--split", default="test", help="qrels split of --beir: qrels/<split>.tsv (default test)")
    p.add_argument("--chunk-size", type=int, help=f"characters per chunk (default {DEFAULT_CHUNK_SIZE} unless "
                   "--config sets chunk_size): large, so a short document is one chunk")
    add_lm_arguments(p)
    p.add_argument("--program", help="compiled program state (.json) to generate with; default: the shipped program "
                   "compiled for the embedded LM, as `generate`; `baseline`: the prompts as written, no demos")
    p.add_argument("--pool-depth", type=int, default=0, metavar="K",
                   help="also score the synthetic side with pooled qrels: the relevance judge grades the top K "
                   "documents of BM25 and of dense retrieval for every synthetic question (up to 2K judge calls "
                   "each; checkpointed in OUT/pool.jsonl)")
    p.add_argument("--workers", type=int, default=1, help="units of work in flight at once (endpoint LMs)")
    p.add_argument("--overwrite", action="store_true", help="discard an unfinished generation in --out")
    p.add_argument("--quiet", action="store_true", help="no generation progress bars or summary table")
    p.add_argument("--experiment", default=EXPERIMENT, help=f"MLflow experiment name (default {EXPERIMENT})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job = ValidateJob(beir=args.beir, personas=args.personas, out=args.out, sample_docs=args.sample_docs,
                      retrievers=args.retrievers, k=args.k, metric=args.metric, splits=args.splits,
                      resamples=args.resamples, seed=args.seed, split=args.split, workers=args.workers,
                      overwrite=args.overwrite, quiet=args.quiet, mlflow=not args.no_mlflow,
                      experiment=args.experiment, program_path=resolve_program(args.program),
                      pool_depth=args.pool_depth)
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
