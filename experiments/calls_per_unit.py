"""LM calls, tokens and kept questions per asked unit of a finished generate run: the figures
`generate --dry-run` scales (`MEASURED` in programs/run/estimate.py).

    python experiments/calls_per_unit.py RUN_DIR [--write docs/BENCHMARKS.md]

Prints the `MeasuredRun` entry to paste into estimate.py, and with --write replaces the section between
`<!-- calls_per_unit -->` and `<!-- /calls_per_unit -->` of that file with the figures, the run's
settings, the date and the command (experiments/_sections.py). An asked unit is one the persona stake
gate let through (units - units_passed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from _sections import add_write_argument, command_line, replace_section


def per_unit(run: dict[str, Any]) -> dict[str, Any]:
    """Asked units, calls per stage, tokens and kept questions of a run.json, and calls per asked unit."""
    counts = run["counts"]
    asked = counts["units"] - counts.get("units_passed", 0)
    if asked < 1:
        raise SystemExit("the run asked no unit: nothing to scale")
    calls = {stage: usage["calls"] for stage, usage in run["lm_usage"].items() if stage != "pool"}
    total = run["lm_usage_total"]
    return {
        "asked_units": asked,
        "units": counts["units"],
        "calls": calls,
        "input_tokens": total["input_tokens"],
        "output_tokens": total["output_tokens"],
        "kept": counts.get("kept", 0),
        "per_unit": {stage: round(n / asked, 2) for stage, n in calls.items()},
    }


def run_settings(run: dict[str, Any]) -> dict[str, object]:
    """The measured run's settings that the figures depend on."""
    return {
        "program": Path(str(run.get("program"))).name,
        "LM": run.get("lm"),
        "persona_stake_threshold": run["config"].get("persona_stake_threshold"),
        "run wall seconds": round(run.get("wall_seconds_this_session") or 0),
    }


def section(run: dict[str, Any], figures: dict[str, Any], run_dir: Path) -> str:
    asked = figures["asked_units"]
    stages = ", ".join(f"{stage} {ratio:.2f}" for stage, ratio in figures["per_unit"].items())
    return (
        f"From `{run_dir}/run.json`: {figures['units']} units, "
        f"{asked} asked; per asked unit: {stages} LM calls "
        f"({sum(figures['calls'].values()) / asked:.2f} in all); {figures['input_tokens'] / asked:.0f} input "
        f"and {figures['output_tokens'] / asked:.0f} output tokens; {figures['kept'] / asked:.2f} questions "
        "kept. Paste the printed entry into `MEASURED` in `programs/run/estimate.py`.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    add_write_argument(parser, "calls_per_unit")
    args = parser.parse_args()
    run = json.loads((args.run_dir / "run.json").read_text(encoding="utf-8"))
    figures = per_unit(run)
    print(
        f'"default": MeasuredRun(\n    source="...", asked_units={figures["asked_units"]},\n'
        f"    calls={figures['calls']},\n    input_tokens={figures['input_tokens']}, "
        f"output_tokens={figures['output_tokens']}, kept={figures['kept']}),"
    )
    if args.write:
        replace_section(
            args.write,
            "calls_per_unit",
            section(run, figures, args.run_dir),
            command_line(),
            run_settings(run),
        )


if __name__ == "__main__":
    main()
