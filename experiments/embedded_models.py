"""Which embedded model gives the best set per minute? Runs `personaqa generate` on the same documents
with each model (one after the other: two llama.cpp processes on 2 cores slow each other many-fold)
and prints, per model: questions kept and distinct, instruction echoes and persona leaks among them,
share of styled questions that differ from the original, seconds per unit, LM calls, prompt tokens
per call, kept questions per minute, and kept questions per persona.

    python experiments/embedded_models.py                         # the three models, the whole sample
    python experiments/embedded_models.py --models qwen2.5-coder-1.5b --prompt-form full lean
    python experiments/embedded_models.py --docs ../shared/data/cisi/some.jsonl --limit-chunks 4

Each run's folder (questions.jsonl, rejected.jsonl, run.json) stays under --out for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _sections import add_write_argument, writes_section

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from personaqa.programs.cli.generate import sample_dir
from personaqa.programs.corpus.personas import load_personas
from personaqa.programs.lm.embedded_models import EMBEDDED_MODELS
from personaqa.programs.recipe.checks.persona_leak import leak_problem
from personaqa.programs.recipe.checks.question_form import form_problem


def run_one(model: str, form: str, args: argparse.Namespace, out: Path) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    config = out.parent / f"{out.name}.yaml"
    config.write_text(f"lm:\n  prompt_form: {form}\n" + (args.config.read_text() if args.config else ""))
    command = [
        sys.executable,
        "-m",
        "personaqa.programs.cli",
        "generate",
        "--out",
        str(out),
        "--overwrite",
        "--lm",
        f"embedded:{model}",
        "--config",
        str(config),
        "--quiet",
        "--no-mlflow",
    ]
    if args.docs:
        command += ["--docs", *map(str, args.docs)]
    if args.personas:
        command += ["--personas", str(args.personas)]
    if args.limit_chunks:
        command += ["--limit-chunks", str(args.limit_chunks)]
    started = time.monotonic()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode not in (0, 4):  # 4: the run kept nothing, which is a result here
        return {"failed": f"generate exited {done.returncode}: {done.stderr.strip()[-300:]}"}
    return summarise(out, wall, args.personas or sample_dir() / "personas.yaml")


def summarise(out: Path, wall: float, personas_file: Path) -> dict:
    run = json.loads((out / "run.json").read_text())
    rows = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines() if line.strip()]
    personas = {p.name: p for p in load_personas(personas_file)}
    total = run["lm_usage_total"]
    return {
        "kept": len(rows),
        "distinct": len({r["question"].strip().lower() for r in rows}),
        "echoes": sum(1 for r in rows if form_problem(r["question"], rewrite=True)),
        "leaks": sum(
            1
            for r in rows
            if r["persona"] in personas and leak_problem(r["question"], personas[r["persona"]])
        ),
        # differs in more than letter case: lowercasing alone is not a style
        "styled_differs": sum(
            1 for r in rows if r["question"].strip().lower() != r["original_question"].strip().lower()
        ),
        "units": run["counts"]["units"],
        "calls": total["calls"],
        "prompt_tokens_per_call": total["input_tokens"] / max(total["calls"], 1),
        "wall": wall,
        "per_persona": Counter(r["persona"] for r in rows),
        "rejected_by_stage": run["counts"]["rejected_by_stage"],
    }


@writes_section("embedded_models")
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=list(EMBEDDED_MODELS), choices=list(EMBEDDED_MODELS))
    parser.add_argument("--prompt-form", nargs="+", default=["auto"], choices=["auto", "lean", "full"])
    parser.add_argument("--docs", nargs="+", type=Path)
    parser.add_argument("--personas", type=Path)
    parser.add_argument("--config", type=Path, help="extra run settings (YAML) for every run")
    parser.add_argument("--limit-chunks", type=int)
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="personaqa-models-")))
    add_write_argument(parser, "embedded_models")
    args = parser.parse_args()
    print(f"runs in {args.out}")
    header = (
        f"{'model':<20} {'form':<5} {'kept':>4} {'distinct':>8} {'echo':>4} {'leak':>4} {'restyled':>11} "
        f"{'units':>5} {'s/unit':>6} {'calls':>5} {'prompt tok/call':>15} {'kept/min':>8}  per persona"
    )
    print(header)
    for model in args.models:
        for form in args.prompt_form:
            r = run_one(model, form, args, args.out / f"{model}-{form}")
            if "failed" in r:
                print(f"{model:<20} {form:<5} {r['failed']}", flush=True)
                continue
            differs = f"{r['styled_differs']}/{r['kept']}"
            print(
                f"{model:<20} {form:<5} {r['kept']:>4} {r['distinct']:>8} {r['echoes']:>4} {r['leaks']:>4} "
                f"{differs:>11} {r['units']:>5} {r['wall'] / max(r['units'], 1):>6.1f} {r['calls']:>5} "
                f"{r['prompt_tokens_per_call']:>15.0f} {r['kept'] / (r['wall'] / 60):>8.2f}  "
                f"{dict(r['per_persona'])}  rejected: {r['rejected_by_stage']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
