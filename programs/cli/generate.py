"""`personaqa generate`: documents + personas → a labelled, persona-styled evaluation set."""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path

from personaqa.programs.cli.options import add_lm_arguments, lm_overrides
from personaqa.programs.config import load_config
from personaqa.programs.core.errors import NothingKeptError
from personaqa.programs.corpus.personas import load_personas
from personaqa.programs.recipe.program_io import resolve_program
from personaqa.programs.run import GenerationJob, run_generation
from personaqa.programs.run.summary import why_nothing_kept


def sample_dir() -> Path:
    """The sample documents and personas shipped with personaqa."""
    return Path(str(files("personaqa.programs") / "sample"))


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("generate", help="generate an evaluation set from documents and personas",
                              description=__doc__)
    p.add_argument("--docs", nargs="+", type=Path, help="files or folders (.txt .md .jsonl); default: the sample")
    p.add_argument("--personas", type=Path, help="YAML/JSON list of {name, description} (optionally own_wording_share, style, examples); "
                   "default: the sample")
    p.add_argument("--out", type=Path, required=True, help="output folder (an unfinished run there resumes)")
    p.add_argument("--program", help="compiled program state (.json) from `personaqa compile`; default: the shipped "
                   "program compiled for the embedded LM; `baseline`: the prompts as written, no demos")
    add_lm_arguments(p)
    p.add_argument("--limit-chunks", type=int, help="stop after this many chunks")
    p.add_argument("--complex-ratio", type=float,
                   help="share of units asking multi-chunk questions over overlapping chunks (default 0: off)")
    p.add_argument("--pool-depth", type=int, metavar="K",
                   help="pooled judging: judge the top K chunks of BM25 and of dense retrieval for every "
                        "kept question and add the relevant ones to the qrels, graded (default 0: off)")
    p.add_argument("--workers", type=int, default=1, help="units of work in flight at once (endpoint LMs)")
    p.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="local threads, or Ray Data over (chunk, persona) units")
    p.add_argument("--ray-address", help="Ray cluster address (default: start a local Ray instance)")
    p.add_argument("--overwrite", action="store_true", help="discard an unfinished run in --out instead of resuming")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, {**lm_overrides(args), "limit_chunks": args.limit_chunks,
                                       "complex_ratio": args.complex_ratio, "pool_depth": args.pool_depth})
    sample = sample_dir()
    personas = load_personas(args.personas or sample / "personas.yaml")
    docs = args.docs or [sample / "docs"]
    job = GenerationJob(config=config, doc_paths=docs, personas=personas, out_dir=args.out,
                        program_path=resolve_program(args.program), workers=max(1, args.workers), overwrite=args.overwrite,
                        show_progress=not args.quiet, mlflow=not args.no_mlflow, engine=args.engine,
                        ray_address=args.ray_address)
    report = run_generation(job)
    counts = report.counts
    print(f"personaqa: {counts.get('kept', 0)} questions from {counts.get('chunks', 0)} chunks "
          f"({report.usage_this_session.total().calls} LM calls this session, {report.wall_seconds:.0f}s) "
          f"→ {args.out}")
    if pooled := counts.get("pooled"):
        print(f"personaqa: pooled judging (top {pooled['depth']} of BM25 and dense): {pooled['judged']} "
              f"chunks judged for {pooled['questions']} questions, {pooled['grade_2']} answer fully, "
              f"{pooled['grade_1']} partially ({pooled['extra_relevant_per_question']} extra relevant chunks "
              "per question)")
    if counts.get("kept", 0) == 0:
        raise NothingKeptError(f"no question was kept; {why_nothing_kept(args.out / 'rejected.jsonl')}; "
                               f"every candidate is in {args.out / 'rejected.jsonl'}")
    return 0
