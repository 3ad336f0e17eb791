"""The single-qrel ceiling of a BEIR collection for the retriever panel (programs/evaluation/ceiling.py).

    python experiments/single_qrel_ceiling.py ../shared/data/cisi [--draws 20] [--metric ndcg@10]
        [--write docs/BENCHMARKS.md]

Searches the collection's human queries with the built-in panel, scores it with the full qrels and with one
best-graded relevant document per query (`--draws` draws), and prints Kendall's tau between the two rankings
with the settings and date: the most a set that labels one passage per question can agree with the human
ranking there. `personaqa validate` prints the same figure for the collection it is given."""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _sections import add_write_argument, writes_section
from personaqa.programs.config import RunConfig
from personaqa.programs.evaluation.ceiling import single_qrel_ceiling
from personaqa.programs.retrieval.beir import load_beir
from personaqa.programs.retrieval.panel import build_panel
from personaqa.programs.retrieval.retrievers import BUILT_IN


@writes_section("single_qrel_ceiling")
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_write_argument(parser, "single_qrel_ceiling")
    parser.add_argument("beir", type=Path, help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv")
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--metric", default="ndcg@10")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()
    collection = load_beir(args.beir, split="test")
    human = collection.judged_queries()
    judged = {q.id: collection.qrels[q.id] for q in human}
    panel = build_panel(list(BUILT_IN), collection.corpus, collection.root, RunConfig().embedder)
    runs = panel.search({q.id: q.text for q in human}, 100)
    ceiling = single_qrel_ceiling(judged, runs, args.metric, args.draws, args.seed)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(
        f"{datetime.date.today()}, commit {commit}, {args.beir.name}: {len(judged)} human queries, "
        f"{ceiling.relevant_per_query:.1f} relevant documents each on average, "
        f"panel {', '.join(panel.retrievers)}, "
        f"{args.metric}, {args.draws} draws, seed {args.seed}\n"
        f"single-qrel ceiling: Kendall tau median {ceiling.median:.3f}, "
        f"5-95 % {ceiling.p5:.3f} .. {ceiling.p95:.3f} ({time.monotonic() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
