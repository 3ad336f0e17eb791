"""Complex (multi-chunk) questions on CISI: groups found, questions kept, BM25 vs dense by complexity.

1. The overlap finder runs over every CISI abstract (one chunk each) with the configured thresholds:
   how many chunk groups the whole collection holds.
2. The documents of the first --groups groups, plus --extra-docs other abstracts, are written to
   OUT/docs.jsonl and `personaqa generate` runs on them (embedded model unless --lm is given) with
   experiments/complex_cisi.yaml: single-chunk units for every (abstract, persona) and group units
   mixed in by `complex_ratio`. Rerunning with the same arguments resumes.
3. Every kept question searches the FULL CISI corpus (1,460 abstracts) with BM25 and dense
   retrieval; Recall@10 over all relevant abstracts is printed for single- and multi-chunk questions.

Usage: python experiments/complex_cisi.py [--groups 6] [--extra-docs 6] [--out out/complex_cisi] [generate args]
"""  # noqa: E501 - --help prints this docstring as it is

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from _sections import add_write_argument, writes_section

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
CISI = ROOT.parent / "shared" / "data" / "cisi"
RETRIEVERS = ("bm25", "dense")


@writes_section("complex_cisi")
def main() -> None:
    from personaqa.programs.config import load_config
    from personaqa.programs.core.records import Chunk
    from personaqa.programs.retrieval.beir import load_beir
    from personaqa.programs.run.plan import chunk_groups

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=6, help="chunk groups whose documents are generated on")
    parser.add_argument(
        "--extra-docs", type=int, default=6, help="other abstracts, for single-chunk questions"
    )
    parser.add_argument("--config", type=Path, default=ROOT / "experiments" / "complex_cisi.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "complex_cisi")
    parser.add_argument("--seed", type=int, default=0)
    add_write_argument(parser, "complex_cisi")
    args, generate_args = parser.parse_known_args()
    started = time.monotonic()
    config = load_config(args.config)
    collection = load_beir(CISI)
    docs = [d for d in collection.corpus.values() if d.text.strip()]

    chunks = [Chunk(chunk_id=d.id, doc_id=d.id, text=d.full_text, start=0) for d in docs]
    tick = time.monotonic()
    groups = chunk_groups(chunks, config)
    print(
        f"== 1. overlap finder over all {len(chunks)} CISI abstracts (sentence cosine >= "
        f"{config.complex_sentence_threshold}, semantic Jaccard "
        f"{config.complex_jaccard_threshold}-{config.complex_max_jaccard}, "
        f"{config.complex_group_size} chunks a group): {len(groups)} groups in {time.monotonic() - tick:.0f}s"
    )
    picked = [d for g in groups[: args.groups] for d in (c.doc_id for c in g.chunks)]
    picked = list(dict.fromkeys(picked))
    others = [d.id for d in docs if d.id not in set(picked)]
    picked += random.Random(args.seed).sample(others, min(args.extra_docs, len(others)))
    for group in groups[: args.groups]:
        print(
            f"   group {' + '.join(c.doc_id for c in group.chunks)} (Jaccard {group.jaccard:.2f}): "
            + " | ".join(collection.corpus[c.doc_id].title[:50] for c in group.chunks)
        )

    args.out.mkdir(parents=True, exist_ok=True)
    doc_file = args.out / "docs.jsonl"
    doc_file.write_text(
        "".join(
            json.dumps({"_id": d, "title": collection.corpus[d].title, "text": collection.corpus[d].text})
            + "\n"
            for d in picked
        )
    )
    run_dir = args.out / "run"
    command = [
        sys.executable,
        "-m",
        "personaqa.programs.cli",
        "generate",
        "--docs",
        str(doc_file),
        "--personas",
        str(ROOT / "experiments" / "cisi_personas.yaml"),
        "--config",
        str(args.config),
        "--out",
        str(run_dir),
        "--quiet",
        *generate_args,
    ]
    print(f"\n== 2. generate on {len(picked)} abstracts: {' '.join(command[3:])}")
    tick = time.monotonic()
    if subprocess.run(command, check=False).returncode not in (0, 4):  # 4: the run finished but kept nothing
        raise SystemExit("personaqa generate failed")
    run = json.loads((run_dir / "run.json").read_text())
    counts = run["counts"]
    rows = [json.loads(line) for line in (run_dir / "questions.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (run_dir / "rejected.jsonl").read_text().splitlines()]
    for kind in ("single", "multi"):
        kept = sum(r["complexity"] == kind for r in rows)
        lost = [r for r in rejected if r.get("complexity", "single") == kind]
        stages = {}
        for r in lost:
            stages[r["stage"]] = stages.get(r["stage"], 0) + 1
        print(f"   {kind}-chunk questions: {kept} kept, {len(lost)} rejected {stages}")
    print(
        f"   {counts['chunks']} chunks, {counts.get('chunk_groups', 0)} chunk groups, "
        f"{counts['units']} units, {run['lm_usage_total']['calls']} LM calls in all; "
        f"this session {time.monotonic() - tick:.0f}s"
    )

    chunk_doc = {
        row["_id"]: str(row["doc_id"])
        for row in map(json.loads, (run_dir / "beir" / "corpus.jsonl").read_text().splitlines())
    }
    score(collection, rows, chunk_doc)
    print(f"\nwall seconds: {time.monotonic() - started:.0f}")


def score(collection, rows: list[dict], chunk_doc: dict[str, str]) -> None:
    """Recall@10 and nDCG@10 on the full CISI corpus, per retriever and per complexity."""
    from personaqa.programs.evaluation.scoring import evaluate_runs
    from personaqa.programs.retrieval.retrievers import build_retriever

    print(f"\n== 3. kept questions searched on the full CISI corpus ({len(collection.corpus)} abstracts)")
    if not rows:
        print("   no question kept: nothing to score")
        return
    qrels = {
        r["question_id"]: {chunk_doc[c]: 1 for c in r["chunk_ids"]} for r in rows
    }  # one chunk an abstract
    metadata = {r["question_id"]: {"complexity": r["complexity"]} for r in rows}
    built: dict = {}
    runs = {}
    for spec in RETRIEVERS:
        retriever = build_retriever(spec, collection.corpus, built=built)
        hits = retriever([r["question"] for r in rows], 10)
        runs[spec] = {r["question_id"]: list(found) for r, found in zip(rows, hits)}
    report = evaluate_runs(qrels, runs, [10], metadata=metadata, by=["complexity"])
    sizes = report.group_sizes["complexity"]
    print(f"{'retriever':>10} {'complexity':>10} {'questions':>9} {'Recall@10':>9} {'nDCG@10':>8}")
    for spec in RETRIEVERS:
        for kind, scores in sorted(report.scores_of(spec).breakdowns["complexity"].items()):
            print(
                f"{spec:>10} {kind:>10} {sizes[kind]:>9} "
                f"{scores['recall@10']:>9.3f} {scores['ndcg@10']:>8.3f}"
            )
    for r in rows:
        if r["complexity"] == "multi":
            print(f"   multi: {r['question']!r} -> {r['chunk_ids']}")


if __name__ == "__main__":
    main()
