"""`personaqa export-train`: a finished run as leak-free fine-tuning data with judged hard negatives."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from personaqa.programs.cli.options import add_command, add_format_argument, add_lm_arguments, lm_overrides
from personaqa.programs.core.errors import InputError
from personaqa.programs.evaluation.render import console_for, print_json, wrote_line
from personaqa.programs.recipe.program_io import check_program_path, resolve_program
from personaqa.programs.run.splits import DEFAULT_SHARES, SPLITS, parse_shares
from personaqa.programs.run.training_set import (
    DEFAULT_DEPTH,
    DEFAULT_NEGATIVES,
    DOCUMENTS_FILE,
    NEGATIVES_FILE,
    SUMMARY_FILE,
    TEST_BEIR,
    TrainExportJob,
    export_training_set,
)
from rich.table import Table

DESCRIPTION = """\
Train/dev/test data to fine-tune an embedder from a generate run: splits that
no document or copied chunk crosses, (anchor, positive, negative) rows with
hard negatives mined by BM25 and dense retrieval in the same split, each
checked by the run's relevance judge (one LM call; one that answers the
question is dropped). JSONL, a datasets.DatasetDict and test-beir/. The
judge's LM, program and the embedder are the run's (run.json) unless set."""

EXAMPLES = """\
personaqa export-train sample_run --out sample_train --no-judge
personaqa export-train sample_run --out sample_train --split 70/15/15 \\
    --judge-lm openai/gpt-4o-mini --judge-api-key-env OPENAI_API_KEY
personaqa evaluate --dataset sample_train/test-beir"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "export-train",
        summary="fine-tuning data (splits, judged hard negatives) from a run",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="RUN_DIR --out DIR [options]",
    )
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a finished generate run's --out folder")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (replaced whole)")
    p.add_argument("--split", default=DEFAULT_SHARES, metavar="T/D/T", help="train/dev/test document shares")
    p.add_argument("--seed", type=int, default=0, help="seed of the split")
    p.add_argument(
        "--depth", type=int, default=DEFAULT_DEPTH, metavar="K", help="mine each retriever's top K chunks"
    )
    p.add_argument(
        "--negatives", type=int, default=DEFAULT_NEGATIVES, metavar="N", help="kept negatives per question"
    )
    p.add_argument("--no-judge", action="store_true", help="keep negatives unchecked (no LM call)")
    p.add_argument("--program", metavar="JSON", help="judge's program state (default: the run's)")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="judge calls in flight (endpoints)")
    add_format_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    add_lm_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for flag, value in (
        ("--depth", args.depth),
        ("--negatives", args.negatives),
        ("--workers", args.workers),
    ):
        if value < 1:
            raise InputError(f"{flag} {value}: give a whole number of at least 1")
    program: Any = "run"
    if args.program:
        program = resolve_program(args.program)
        if program is not None:
            check_program_path(program)
    job = TrainExportJob(
        run_dir=args.run_dir,
        out=args.out,
        shares=parse_shares(args.split),
        seed=args.seed,
        depth=args.depth,
        negatives=args.negatives,
        judge=not args.no_judge,
        config_path=args.config,
        overrides=lm_overrides(args),
        program_path=program,
        workers=args.workers,
        show_progress=not args.quiet and args.format != "json",
    )
    summary = export_training_set(job)
    if args.format == "json":
        print_json(summary)
    else:
        print_summary(summary, args.format)
    written = [args.out / f"{name}.jsonl" for name in SPLITS]
    written += [args.out / p for p in ("dataset", TEST_BEIR, DOCUMENTS_FILE, NEGATIVES_FILE, SUMMARY_FILE)]
    print(wrote_line(written), file=sys.stderr if args.format == "json" else sys.stdout)
    return 0


def print_summary(summary: dict[str, Any], fmt: str) -> None:
    console = console_for(fmt)
    table = Table(title="export-train: rows per split")
    for column in ("split", "documents", "chunks", "questions", "rows", "no negative"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for name, split in summary["splits"].items():
        table.add_row(
            name,
            *(str(split[k]) for k in ("documents", "chunks", "questions", "rows")),
            str(split["questions_without_negative"]),
        )
    console.print(table)
    n = summary["negatives"]
    console.print(
        f"negatives: {n['mined']} mined (top {summary['depth']} of BM25 and dense, same split), "
        f"{n['kept']} kept, {n['beyond_cap']} beyond --negatives {summary['negatives_per_question']}"
    )
    if summary["judge"].startswith("off"):
        console.print("judge: off (--no-judge): no negative was checked; some may answer their question")
    else:
        console.print(
            f"judge {summary['judge']}: {n['judged']} judged, {n['dropped_by_judge']} dropped as answering "
            f"({n['answers']} fully, {n['answers_partly']} partly), {n['unjudged']} unjudged and dropped"
        )
    console.print(
        f"split seed {summary['seed']}: {summary['joined_groups']} group(s) of documents joined by copies or "
        f"shared labels, {summary['chunks_with_copies']} chunk(s) with copies"
    )
