"""`personaqa compare`: the baseline and compiled variants on the same dev set, with confidence intervals."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.optimize.compare_run import BASELINE, CompareJob, run_compare
from personaqa.optimize.targets import TARGETS
from personaqa.programs.cli.compile import WEIGHTS_HELP, parse_weights
from personaqa.programs.cli.options import add_command, add_lm_arguments, add_output_arguments, lm_overrides
from personaqa.programs.cli.tables import print_reports, wide_console
from personaqa.programs.config import load_config

DESCRIPTION = """\
Score program variants (the prompts as written, compiled JSON states) on one
labelled dev set with the LLM judges: a table with 95 % bootstrap intervals,
and compare.json, compare.csv and compare.png in --out."""

EXAMPLES = """\
personaqa compare --devset dev.jsonl --program baseline \\
    --program compiled.json --out cmp/"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "compare",
        summary="compare program variants on a labelled dev set",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="--devset JSONL --out DIR [--program JSON ...] [options]",
    )
    p.add_argument(
        "--devset", type=Path, required=True, metavar="JSONL", help="labelled examples (docs/compile.md)"
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder for compare.json, .csv, .png"
    )
    p.add_argument(
        "--program",
        action="append",
        default=[],
        metavar="JSON",
        help=f"'{BASELINE}' or a compiled .json; repeat (default: {BASELINE})",
    )
    p.add_argument(
        "--stage",
        choices=sorted(TARGETS),
        default="program",
        metavar="STAGE",
        help=f"{', '.join(sorted(TARGETS))} (as compiled)",
    )
    p.add_argument("--limit-dev", type=int, metavar="N", help="use only the first N dev examples")
    p.add_argument("--weights", default="", metavar="NAME=W,...", help=WEIGHTS_HELP)
    add_lm_arguments(p)
    add_output_arguments(p, quiet="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, lm_overrides(args))
    job = CompareJob(
        config=config,
        devset=args.devset,
        programs=args.program or [BASELINE],
        out_dir=args.out,
        target=args.stage,
        weights=parse_weights(args.weights),
        limit_dev=args.limit_dev,
        mlflow=not args.no_mlflow,
    )
    reports = run_compare(job)
    console = wide_console()
    print_reports(reports, console)
    console.print(f"comparison → {args.out}/compare.json, compare.csv, compare.png")
    return 0
