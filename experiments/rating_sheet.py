"""A sheet for rating a run's kept questions blind: each question with its persona, answer and chunk.

    python experiments/rating_sheet.py OUT_DIR PERSONAS_FILE [--sample N] [--seed S] > sheet.md

A reader who did not write the code rates each item on four criteria (natural? specific? does the answer
fit? would this persona ask it?) as good / weak / wrong. The sheet shows nothing else of the run (no stage,
verdict or score), so the rating is not steered by the program's own judgement. `--sample N` draws N kept
questions at random (the issue's "random 40 kept questions")."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from personaqa.programs.corpus.personas import load_personas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a generate run's --out folder")
    parser.add_argument("personas", type=Path, help="the personas file the run used")
    parser.add_argument(
        "--sample", type=int, default=0, help="rate N kept questions drawn at random (0: all)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

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


if __name__ == "__main__":
    main()
