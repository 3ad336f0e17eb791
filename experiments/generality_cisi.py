"""Does the compiled default beat the uncompiled prompts outside the sample's domain? The only compiled
part of `programs/compiled/default.json` is the generality filter (6 human keep/drop demos from the
sample's domain, `experiments/build_default_program.sh`), so this runs that filter twice, as written
(`--program baseline`) and compiled, on the same question texts from a CISI run, and prints: how many
each keeps, how often they agree, prompt tokens per call, seconds, and every question they disagree on
(to be read: which verdict is right is a person's call).

    python experiments/generality_cisi.py RUN_DIR [RUN_DIR ...] [--lm embedded] [--limit N]

RUN_DIR is a `generate` output folder (e.g. the `synthetic/` folder of `experiments/validate_cisi.sh`):
the texts are the kept questions and those rejected at `generality`, i.e. every text a generality
verdict was given in that run. One LM (in-process models: one process at a time on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _sections import add_write_argument, writes_section

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.lm.build import adapter_for, build_lm
from personaqa.programs.lm.usage import Ledger, collecting
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.filters import GeneralityJudge
from personaqa.programs.recipe.program_io import default_program


def judged_texts(run_dir: Path) -> list[str]:
    """The texts a generality verdict was given in the run: kept questions, then generality rejections."""
    kept = [json.loads(line)["question"] for line in (run_dir / "questions.jsonl").open(encoding="utf-8")]
    rejected = [
        row["question"]
        for row in map(json.loads, (run_dir / "rejected.jsonl").open(encoding="utf-8"))
        if row.get("stage") == "generality" and row.get("generality")
    ]
    return kept + rejected


def verdicts(judge: GeneralityJudge, lm: dspy.LM, texts: list[str]) -> tuple[list[str], Ledger, float]:
    """The judge's label for each text, the LM usage and the seconds it took."""
    ledger, started, labels = Ledger(), time.monotonic(), []
    with collecting(ledger), dspy.context(lm=lm, adapter=adapter_for(lm)):
        for text in texts:
            labels.append(judge(text).label)
    return labels, ledger, time.monotonic() - started


@writes_section("generality_cisi")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--lm", default="embedded")
    parser.add_argument("--limit", type=int, help="first N texts only")
    add_write_argument(parser, "generality_cisi")
    args = parser.parse_args()
    texts = list(dict.fromkeys(t for run in args.runs for t in judged_texts(run)))[: args.limit]
    config = RunConfig(lm=LMConfig(model=args.lm))
    lm = build_lm(config.lm)
    variants = {
        "baseline": build_program(config, None).generality,
        "compiled": build_program(config, default_program()).generality,
    }
    labels = {}
    print(f"{len(texts)} distinct question texts from {', '.join(map(str, args.runs))}")
    print(f"{'variant':<10} {'kept':>5} {'share':>6} {'prompt tok/call':>16} {'s/call':>7}")
    for name, judge in variants.items():
        labels[name], ledger, seconds = verdicts(judge, lm, texts)
        total = ledger.total()
        kept = sum(label == GeneralityJudge.passing for label in labels[name])
        print(
            f"{name:<10} {kept:>5} {kept / len(texts):>6.0%} "
            f"{total.input_tokens / max(total.calls, 1):>16.0f} {seconds / len(texts):>7.1f}"
        )
    same = sum(b == c for b, c in zip(labels["baseline"], labels["compiled"]))
    print(f"same label: {same}/{len(texts)}")
    for text, base, compiled in zip(texts, labels["baseline"], labels["compiled"]):
        if (base == GeneralityJudge.passing) != (compiled == GeneralityJudge.passing):
            print(f"  baseline {base:<20} compiled {compiled:<20} {text}")


if __name__ == "__main__":
    main()
