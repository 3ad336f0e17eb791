"""The README's figures of the main job, from a finished run: counts, time, LM calls, example questions and,
when a blind rating of the run is given, its tally.

    python experiments/main_job.py RUN_DIR [--ratings ratings.csv] [--write README.md]

RUN_DIR is what `personaqa generate --out RUN_DIR` wrote on the embedded defaults. The example questions are
the first kept question of each persona (in questions.jsonl's order), or, with --ratings, the first one of
each persona its reader rated good. --ratings is a CSV filled as `experiments/rating_sheet.py --ratings`
describes. With --write FILE the markdown replaces the file's <!-- main_job --> section (experiments/
_sections.py), stamped with the date, the commit and this command."""

from __future__ import annotations

import argparse
import datetime
import json
from collections import Counter
from pathlib import Path

from _sections import command_line, replace_section
from rating_sheet import read_ratings


def persona_name(record: dict) -> str:
    persona = record["persona"]
    return persona["name"] if isinstance(persona, dict) else str(persona)


def figures(run_dir: Path, ratings: Path | None) -> str:
    """The main job's paragraph, example table and rating line, as markdown."""
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    records = [json.loads(line) for line in (run_dir / "questions.jsonl").open(encoding="utf-8")]
    counts = run["counts"]
    usage = run["lm_usage_total"]
    per_persona = Counter(persona_name(r) for r in records)
    measured = datetime.date.fromtimestamp((run_dir / "run.json").stat().st_mtime)
    passed = counts.get("passed_per_persona", {})
    by_stage = ", ".join(f"{stage} {u['calls']}" for stage, u in run["lm_usage"].items() if u["calls"])
    kept = ", ".join(f"{name} {n}" for name, n in per_persona.most_common())
    gate = ", ".join(f"{name} {n}" for name, n in sorted(passed.items()))
    lines = [
        (
            f"Measured on {measured}, 2 CPU cores, model `{run['lm']}`: **{len(records)} questions in "
            f"{run['wall_seconds_this_session']:.0f} s**, {usage['calls']} LM calls ({by_stage}); {kept}. "
            f"The stake gate passed {counts.get('units_passed', 0)} of the {counts['units']} "
            f"(chunk, persona) "
            f"units ({gate}). Kept questions:"
        ),
        "",
        "| persona | question | answer |",
        "|---|---|---|",
    ]
    rated = {row["question"]: row for row in read_ratings(ratings)} if ratings else {}
    shown: set[str] = set()
    for record in records:
        name = persona_name(record)
        good = not rated or rated.get(record["question"], {}).get("rating") == "good"
        if name not in shown and good:
            shown.add(name)
            lines.append(f"| {name} | {record['question']} | {record['answer']} |")
    if rated:
        tally = Counter(row["rating"] for row in rated.values())
        lines += [
            "",
            f"A reader who did not write the code rated all {len(rated)} blind (persona, question, answer, "
            f"chunk): **{tally['good']} good, {tally['weak']} weak, {tally['wrong']} wrong**."
            + (" Wrong:" if tally["wrong"] else ""),
        ]
        lines += [
            f"- ({row['persona']}) {row['question']} — {row.get('comment') or 'no comment'}"
            for row in rated.values()
            if row["rating"] == "wrong"
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--ratings", type=Path, help="the run's blind rating, a filled ratings CSV")
    parser.add_argument("--write", type=Path, metavar="FILE", help="replace FILE's <!-- main_job --> section")
    args = parser.parse_args()
    body = figures(args.run_dir, args.ratings)
    print(body)
    if args.write:
        replace_section(args.write, "main_job", body, command_line())


if __name__ == "__main__":
    main()
