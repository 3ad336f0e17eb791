"""`personaqa generate`: documents + personas → a labelled, persona-styled evaluation set."""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path

from personaqa.programs.cli.options import add_command, add_lm_arguments, add_output_arguments, lm_overrides
from personaqa.programs.config import load_config
from personaqa.programs.core.errors import InputError, NothingKeptError
from personaqa.programs.corpus.personas import load_personas
from personaqa.programs.recipe.program_io import resolve_program
from personaqa.programs.run import GenerationJob, run_generation
from personaqa.programs.run.summary import why_nothing_kept

DESCRIPTION = """\
Persona-written questions, qrels and answers from documents: questions.jsonl,
rejected.jsonl, beir/, dataset/, ragas.jsonl and run.json in --out (--out is
required unless --dry-run). An unfinished run in --out resumes."""

EXAMPLES = """\
personaqa generate --out sample_run          # the shipped sample, embedded LM
personaqa generate --docs handbook/ --personas personas.yaml --dry-run
personaqa generate --docs handbook/ --personas personas.yaml --out hb \\
    --lm openai/gpt-4o-mini --api-key-env OPENAI_API_KEY --workers 8"""


def sample_dir() -> Path:
    """The sample documents and personas shipped with personaqa."""
    return Path(str(files("personaqa.programs") / "sample"))


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "generate",
        summary="generate an evaluation set from documents and personas",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="--out DIR [--docs PATH ...] [options]",
    )
    p.add_argument(
        "--docs",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="files or folders of .txt .md .jsonl (default: sample)",
    )
    p.add_argument("--personas", type=Path, metavar="FILE", help="YAML/JSON personas (default: the sample's)")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder; an unfinished run there resumes")
    p.add_argument("--program", metavar="JSON", help="compiled program, or `baseline` (default: shipped)")
    p.add_argument("--dry-run", action="store_true", help="estimate LM calls, tokens and cost; call no LM")
    p.add_argument(
        "--max-calls", type=int, metavar="N", help="stop after N LM calls; rerun to resume (exit 5)"
    )
    p.add_argument("--limit-chunks", type=int, metavar="N", help="use only the first N chunks")
    p.add_argument("--complex-ratio", type=float, metavar="R", help="share of multi-chunk units (default: 0)")
    p.add_argument(
        "--pool-depth",
        type=int,
        metavar="K",
        help="judge top K of BM25 and dense into qrels (default: 0)",
    )
    p.add_argument("--workers", type=int, default=1, metavar="N", help="units in flight (endpoint LMs)")
    p.add_argument("--engine", choices=("local", "ray"), default="local", help="local threads or Ray Data")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster (default: start one)")
    p.add_argument("--overwrite", action="store_true", help="discard an unfinished run in --out")
    add_lm_arguments(p)
    add_output_arguments(p, quiet="no progress bars or summary")
    p.set_defaults(func=run, parser=p)


def make_job(args: argparse.Namespace) -> GenerationJob:
    """The GenerationJob the flags ask for; bad flags and settings raise InputError."""
    if args.out is None and not args.dry_run:
        args.parser.error("the following arguments are required: --out (or --dry-run)")
    if args.max_calls is not None and args.max_calls < 1:
        raise InputError(f"--max-calls must be at least 1, got {args.max_calls}")
    if args.max_calls is not None and args.engine == "ray":
        raise InputError("--max-calls works with --engine local only")
    config = load_config(
        args.config,
        {
            **lm_overrides(args),
            "limit_chunks": args.limit_chunks,
            "complex_ratio": args.complex_ratio,
            "pool_depth": args.pool_depth,
        },
    )
    sample = sample_dir()
    personas = load_personas(args.personas or sample / "personas.yaml")
    docs = args.docs or [sample / "docs"]
    return GenerationJob(
        config=config,
        doc_paths=docs,
        personas=personas,
        out_dir=args.out or Path("."),
        program_path=resolve_program(args.program),
        workers=max(1, args.workers),
        overwrite=args.overwrite,
        show_progress=not args.quiet,
        mlflow=not args.no_mlflow,
        engine=args.engine,
        ray_address=args.ray_address,
        max_calls=args.max_calls,
    )


def run(args: argparse.Namespace) -> int:
    job = make_job(args)
    if args.dry_run:
        return dry_run(job)
    report = run_generation(job)
    counts = report.counts
    print(
        f"personaqa: {counts.get('kept', 0)} questions from {counts.get('chunks', 0)} chunks "
        f"({report.usage_this_session.total().calls} LM calls this session, {report.wall_seconds:.0f}s) "
        f"→ {args.out}"
    )
    if pooled := counts.get("pooled"):
        print(
            f"personaqa: pooled judging (top {pooled['depth']} of BM25 and dense): {pooled['judged']} "
            f"chunks judged for {pooled['questions']} questions, {pooled['grade_2']} answer fully, "
            f"{pooled['grade_1']} partially ({pooled['extra_relevant_per_question']} extra relevant chunks "
            "per question)"
        )
    if counts.get("kept", 0) == 0:
        raise NothingKeptError(
            f"no question was kept; {why_nothing_kept(args.out / 'rejected.jsonl')}; "
            f"every candidate is in {args.out / 'rejected.jsonl'}"
        )
    return 0


def dry_run(job: GenerationJob) -> int:
    """Print what the run would do and cost; nothing is written and no LM is built."""
    from personaqa.programs.run.estimate import describe, estimate_run

    for line in describe(estimate_run(job), job.config):
        print(f"personaqa: dry run: {line}")
    return 0
