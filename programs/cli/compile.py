"""`personaqa compile`: optimize the program's prompts against a labelled set with LLM-judge metrics."""

from __future__ import annotations

import argparse
from pathlib import Path

from personaqa.optimize.compile_run import CompileJob, run_compile
from personaqa.optimize.compiler import OPTIMIZERS, Budget
from personaqa.optimize.metrics import Weights
from personaqa.optimize.targets import TARGETS
from personaqa.programs.cli.options import add_lm_arguments, lm_overrides
from personaqa.programs.cli.tables import print_agreement, print_reports, wide_console
from personaqa.programs.config import LMConfig, load_config
from personaqa.programs.core.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compile", help="optimize prompts against a labelled set", description=__doc__)
    p.add_argument("--trainset", type=Path, required=True, help="labelled JSONL (see optimize/labels.py)")
    p.add_argument("--devset", type=Path, required=True, help="labelled JSONL used to score before and after")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="bootstrap")
    p.add_argument("--stage", choices=sorted(TARGETS), default="program", help="compile the whole program or one stage")
    p.add_argument("--out", type=Path, required=True, help="where to save the compiled program (.json)")
    p.add_argument("--program", type=Path, help="start from this compiled program state")
    add_lm_arguments(p)
    p.add_argument("--reflection-lm", help="LM that proposes instructions for GEPA (default: the judge LM)")
    p.add_argument("--reflection-api-base")
    p.add_argument("--reflection-api-key-env")
    p.add_argument("--max-demos", type=int, default=2, help="bootstrapped demos per predictor")
    p.add_argument("--max-labeled-demos", type=int, default=2)
    p.add_argument("--candidates", type=int, default=4, help="candidate programs or instructions")
    p.add_argument("--trials", type=int, default=6, help="MIPROv2 trials")
    p.add_argument("--max-metric-calls", type=int, default=60, help="GEPA budget of metric calls")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit-train", type=int)
    p.add_argument("--limit-dev", type=int)
    p.add_argument("--weights", default="", help="e.g. relevance=2,generality=1,persona_fidelity=1")
    p.add_argument("--no-agreement", action="store_true", help="skip measuring judge agreement with human labels")
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
    except Exception as exc:
        raise InputError(f"--weights: {str(exc).splitlines()[0]}; names: relevance, generality, persona_fidelity") from None


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, lm_overrides(args))
    reflection = None
    if args.reflection_lm:
        reflection = LMConfig(model=args.reflection_lm, api_base=args.reflection_api_base,
                              api_key_env=args.reflection_api_key_env, max_tokens=1024)
    try:
        budget = Budget(max_bootstrapped_demos=args.max_demos, max_labeled_demos=args.max_labeled_demos,
                        candidates=args.candidates, trials=args.trials, max_metric_calls=args.max_metric_calls,
                        threads=args.threads)
    except Exception as exc:
        raise InputError(f"budget: {str(exc).splitlines()[1] if len(str(exc).splitlines()) > 1 else exc}") from None
    job = CompileJob(config=config, trainset=args.trainset, devset=args.devset, optimizer=args.optimizer,
                     out=args.out, target=args.stage, budget=budget, weights=parse_weights(args.weights),
                     program_path=args.program, reflection_lm=reflection, limit_train=args.limit_train,
                     limit_dev=args.limit_dev, mlflow=not args.no_mlflow, measure_agreement=not args.no_agreement)
    result = run_compile(job)
    console = wide_console()
    print_reports([result.baseline, result.compiled], console)
    if result.agreement:
        print_agreement(result.agreement, console)
    console.print(f"compiled program → {result.out} ({result.wall_seconds:.0f}s)")
    return 0
