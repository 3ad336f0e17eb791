"""A sheet for rating a run's kept questions blind: each question with its persona, answer and chunk.

    python experiments/rating_sheet.py OUT_DIR PERSONAS_FILE [--sample N] [--seed S] \
        --ratings ratings.csv > sheet.md
    python experiments/rating_sheet.py --tally ratings.csv [--write docs/BENCHMARKS.md --section rating_m8]

A reader who did not write the code rates each item on four criteria (natural? specific? does the answer
fit? would this persona ask it?) as good / weak / wrong. The sheet shows nothing else of the run (no stage,
verdict or score), so the rating is not steered by the program's own judgement. `--sample N` draws N kept
questions at random (the issue's "random 40 kept questions").

The ratings file (`--ratings` writes it with the rating column empty) is a CSV with the header
`item,persona,question,rating,comment`, one row per item of the sheet: `item` is the sheet's number,
`rating` one of good, weak, wrong, and `comment` (optional) why. `--tally` counts a filled file, lists the
wrong and weak items with their comments, and with `--write FILE` writes that into the file's section
(`--section`, default `rating`) with the date and the command (experiments/_sections.py)."""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import Counter
from pathlib import Path

from _sections import command_line, replace_section

RATINGS = ("good", "weak", "wrong")
COLUMNS = ("item", "persona", "question", "rating", "comment")


def read_ratings(path: Path) -> list[dict[str, str]]:
    """The rows of a filled ratings file; SystemExit naming the line of a missing or unknown rating."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"item", "rating"} <= set(rows[0]):
        raise SystemExit(f"{path}: the header must name at least the columns item and rating")
    for line, row in enumerate(rows, 2):
        rating = (row.get("rating") or "").strip().lower()
        if rating not in RATINGS:
            raise SystemExit(
                f"{path}:{line}: rating {row.get('rating')!r} is not one of {', '.join(RATINGS)}"
            )
        row["rating"] = rating
    return rows


def tally(rows: list[dict[str, str]], source: Path) -> str:
    """Counts of a ratings file, then its wrong and weak items with their comments (markdown)."""
    counts = Counter(row["rating"] for row in rows)
    lines = [
        f"{len(rows)} questions of `{source.name}` rated blind: **"
        + ", ".join(f"{counts[rating]} {rating}" for rating in RATINGS)
        + "**."
    ]
    for rating in ("wrong", "weak"):
        items = [row for row in rows if row["rating"] == rating]
        if items:
            lines.append(f"\n{rating.capitalize()}:")
            for row in items:
                comment = (row.get("comment") or "").strip()
                question = (row.get("question") or "").strip()
                lines.append(
                    f"- {row['item']}"
                    + (f" ({row['persona']})" if row.get("persona") else "")
                    + (f" `{question}`" if question else "")
                    + (f": {comment}" if comment else "")
                )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", help="a generate run's --out folder")
    parser.add_argument("personas", type=Path, nargs="?", help="the personas file the run used")
    parser.add_argument(
        "--sample", type=int, default=0, help="rate N kept questions drawn at random (0: all)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--ratings", type=Path, help="also write the ratings file to fill, rating column empty"
    )
    parser.add_argument("--tally", type=Path, metavar="RATINGS", help="count a filled ratings file instead")
    parser.add_argument("--write", type=Path, metavar="FILE", help="with --tally: write the counts into FILE")
    parser.add_argument(
        "--section", default="rating", help="with --write: the section's name (default: rating)"
    )
    args = parser.parse_args()

    if args.tally:
        report = tally(read_ratings(args.tally), args.tally)
        print(report, end="")
        if args.write:
            replace_section(args.write, args.section, report, command_line())
        return
    if args.out is None or args.personas is None:
        parser.error("OUT_DIR and PERSONAS_FILE are required to write a sheet (or pass --tally RATINGS)")
    from personaqa.programs.corpus.personas import load_personas

    kept = [
        json.loads(line) for line in (args.out / "questions.jsonl").read_text().splitlines() if line.strip()
    ]
    corpus = {
        row["_id"]: row
        for row in map(json.loads, (args.out / "beir" / "corpus.jsonl").read_text().splitlines())
    }
    personas = {p.name: p.description for p in load_personas(args.personas)}
    if args.sample and args.sample < len(kept):
        kept = random.Random(args.seed).sample(kept, args.sample)
    print(f"# Rating sheet: {len(kept)} questions\n")
    for number, record in enumerate(kept, 1):
        chunk = corpus[record["chunk_id"]]
        print(f"## {number}\n")
        print(f"- persona: **{record['persona']}** — {personas.get(record['persona'], '')}")
        print(f"- question: `{record['question']}`")
        print(f"- answer: `{record['answer']}`")
        print(f"- chunk ({record['chunk_id']}, title: {chunk.get('title', '')}):\n")
        print("> " + chunk["text"].replace("\n", "\n> ") + "\n")
    if args.ratings:
        with args.ratings.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for number, record in enumerate(kept, 1):
                writer.writerow([number, record["persona"], record["question"], "", ""])


if __name__ == "__main__":
    main()
