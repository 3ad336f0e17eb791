"""`personaqa compile`: optimize the program's prompts against a labelled set with LLM-judge metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.optimize.compile_run import CompileJob, run_compile
from personaqa.optimize.compiler import OPTIMIZERS, Budget
from personaqa.optimize.metrics import Weights
from personaqa.optimize.targets import TARGETS
from personaqa.programs.cli.options import add_command, add_lm_arguments, add_output_arguments, lm_overrides
from personaqa.programs.cli.tables import print_agreement, print_reports, wide_console
from personaqa.programs.config import LMConfig, load_config
from personaqa.programs.core.errors import InputError
from pydantic import ValidationError

DESCRIPTION = """\
Optimize the prompts on labelled examples (format: docs/compile.md), score
baseline and compiled on the dev set, save JSON for `generate --program`."""

EXAMPLES = """\
personaqa compile --trainset train.jsonl --devset dev.jsonl --out out.json
personaqa compile --trainset train.jsonl --devset dev.jsonl --out gepa.json \\
    --optimizer gepa --stage writer --lm openai/gpt-4o-mini --threads 8"""

WEIGHTS_HELP = "relevance, generality, persona_fidelity (default: 1)"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_command(
        subparsers,
        "compile",
        summary="optimize prompts against a labelled set",
        description=DESCRIPTION,
        examples=EXAMPLES,
        usage="--trainset JSONL --devset JSONL --out JSON [options]",
    )
    p.add_argument(
        "--trainset", type=Path, required=True, metavar="JSONL", help="labelled examples to optimize on"
    )
    p.add_argument(
        "--devset", type=Path, required=True, metavar="JSONL", help="labelled examples scored before/after"
    )
    p.add_argument(
        "--out", type=Path, required=True, metavar="JSON", help="where to save the compiled program"
    )
    p.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default="bootstrap",
        metavar="NAME",
        help="|".join(name for name in OPTIMIZERS if name != "bootstrap"),
    )
    p.add_argument(
        "--stage",
        choices=sorted(TARGETS),
        default="program",
        metavar="STAGE",
        help="|".join(sorted(TARGETS)),
    )
    p.add_argument("--program", type=Path, metavar="JSON", help="start from this compiled program")
    p.add_argument("--weights", default="", metavar="NAME=W,...", help=WEIGHTS_HELP)
    p.add_argument("--limit-train", type=int, metavar="N", help="use only the first N training examples")
    p.add_argument("--limit-dev", type=int, metavar="N", help="use only the first N dev examples")
    p.add_argument("--no-agreement", action="store_true", help="skip the judges' agreement with the labels")
    p.add_argument(
        "--reflection-lm",
        metavar="MODEL",
        help="GEPA proposer (default: judge LM); --reflection-api-*",
    )
    p.add_argument("--reflection-api-base", help=argparse.SUPPRESS)
    p.add_argument("--reflection-api-key-env", help=argparse.SUPPRESS)
    budget = p  # the optimizer's budget
    budget.add_argument(
        "--max-demos", type=int, default=2, metavar="N", help="bootstrapped demos per predictor"
    )
    budget.add_argument(
        "--max-labeled-demos", type=int, default=2, metavar="N", help="labelled demos (stages)"
    )
    budget.add_argument(
        "--candidates", type=int, default=4, metavar="N", help="candidate programs/instructions"
    )
    budget.add_argument("--trials", type=int, default=6, metavar="N", help="MIPROv2 trials")
    budget.add_argument(
        "--max-metric-calls", type=int, default=60, metavar="N", help="GEPA metric-call budget"
    )
    budget.add_argument("--threads", type=int, default=1, metavar="N", help="examples scored in parallel")
    add_lm_arguments(p)
    add_output_arguments(p, quiet="no progress bars")
    p.set_defaults(func=run)


def parse_weights(text: str) -> Weights:
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, number = part.partition("=")
        try:
            values[name.strip()] = float(number)
        except ValueError:
            raise InputError(f"--weights: '{part}' is not name=number") from None
    try:
        return Weights(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(
            f"--weights: {'.'.join(map(str, error['loc']))}: {error['msg']}; "
            "names: relevance, generality, persona_fidelity"
        ) from None


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, lm_overrides(args))
    reflection = None
    if args.reflection_lm:
        reflection = LMConfig(
            model=args.reflection_lm,
            api_base=args.reflection_api_base,
            api_key_env=args.reflection_api_key_env,
            max_tokens=1024,
        )
    try:
        budget = Budget(
            max_bootstrapped_demos=args.max_demos,
            max_labeled_demos=args.max_labeled_demos,
            candidates=args.candidates,
            trials=args.trials,
            max_metric_calls=args.max_metric_calls,
            threads=args.threads,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "budget"
        flag = "--max-demos" if field == "max_bootstrapped_demos" else f"--{field.replace('_', '-')}"
        raise InputError(f"{flag}: {error['msg']}") from None
    job = CompileJob(
        config=config,
        trainset=args.trainset,
        devset=args.devset,
        optimizer=args.optimizer,
        out=args.out,
        target=args.stage,
        budget=budget,
        weights=parse_weights(args.weights),
        program_path=args.program,
        reflection_lm=reflection,
        limit_train=args.limit_train,
        limit_dev=args.limit_dev,
        mlflow=not args.no_mlflow,
        measure_agreement=not args.no_agreement,
    )
    result = run_compile(job)
    console = wide_console()
    print_reports([result.baseline, result.compiled], console)
    if result.agreement:
        print_agreement(result.agreement, console)
    console.print(f"compiled program → {result.out} ({result.wall_seconds:.0f}s)")
    return 0
