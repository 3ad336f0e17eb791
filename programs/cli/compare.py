"""`personaqa compare`: the baseline and compiled variants on the same dev set, with confidence intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.optimize.compare_run import BASELINE, CompareJob, run_compare
from personaqa.optimize.targets import TARGETS
from personaqa.programs.cli.compile import parse_weights
from personaqa.programs.cli.options import add_lm_arguments, lm_overrides
from personaqa.programs.cli.tables import print_reports, wide_console
from personaqa.programs.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compare", help="compare program variants on a labelled dev set", description=__doc__)
    p.add_argument("--devset", type=Path, required=True, help="labelled JSONL")
    p.add_argument("--program", action="append", default=[],
                   help=f"'{BASELINE}' or a compiled .json; repeat for each variant (default: baseline only)")
    p.add_argument("--stage", choices=sorted(TARGETS), default="program")
    p.add_argument("--out", type=Path, required=True, help="folder for compare.json, compare.csv, compare.png")
    p.add_argument("--limit-dev", type=int)
    p.add_argument("--weights", default="")
    add_lm_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, lm_overrides(args))
    job = CompareJob(config=config, devset=args.devset, programs=args.program or [BASELINE], out_dir=args.out,
                     target=args.stage, weights=parse_weights(args.weights), limit_dev=args.limit_dev,
                     mlflow=not args.no_mlflow)
    reports = run_compare(job)
    console = wide_console()
    print_reports(reports, console)
    console.print(f"comparison → {args.out}/compare.json, compare.csv, compare.png")
    return 0
