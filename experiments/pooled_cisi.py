"""Pooled judging on CISI: extra relevant chunks per question, and BM25 vs dense with and without pooled qrels.

1. --docs N abstracts sampled from CISI (seed --seed) are written to OUT/docs.jsonl; with
   experiments/pooled_cisi.yaml each abstract is one chunk, and the first --personas-count personas of
   experiments/cisi_personas.yaml ask one question each per abstract.
2. `personaqa generate` runs on them (the default LM unless --lm is given); its BEIR folder is kept as
   OUT/beir_unpooled (qrels: each question's own abstract). Then the same command with --pool-depth K on
   the same --out: the units resume without an LM call and only the pooled judging runs (the top K of BM25
   and of dense retrieval per kept question, each pooled abstract graded 0-2 by the relevance judge).
   Rerunning the script with the same arguments makes no LM call that was finished.
3. Printed: pooled chunks and grades per question (and which retriever pooled the relevant ones), then
   nDCG@10, MRR@10 and Recall@10 of BM25 and dense over the run's abstracts with the unpooled and the
   pooled qrels, which of the two is ahead and the paired-test p-value (Fisher randomisation).

Usage: python experiments/pooled_cisi.py [--docs 30] [--pool-depth 10] [--personas-count 1]
       [--out out/pooled_cisi] [generate args, e.g. --lm embedded:smollm2-135m]
"""  # noqa: E501 - --help prints this docstring as it is

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _sections import add_write_argument, writes_section

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
CISI = ROOT.parent / "shared" / "data" / "cisi"
RETRIEVERS = ("bm25", "dense")
K = 10


@writes_section("pooled_cisi")
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=30, help="CISI abstracts sampled (the run's corpus)")
    parser.add_argument("--pool-depth", type=int, default=10, help="top K of each retriever judged")
    parser.add_argument(
        "--personas-count", type=int, default=1, help="first P personas of cisi_personas.yaml"
    )
    parser.add_argument("--cisi", type=Path, default=CISI, help="a BEIR folder to sample from")
    parser.add_argument("--config", type=Path, default=ROOT / "experiments" / "pooled_cisi.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "pooled_cisi")
    parser.add_argument("--seed", type=int, default=0)
    add_write_argument(parser, "pooled_cisi")
    args, generate_args = parser.parse_known_args()
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    docs, personas = write_inputs(args)
    run_dir = args.out / "run"
    command = [
        sys.executable,
        "-m",
        "personaqa.programs.cli",
        "generate",
        "--docs",
        str(docs),
        "--personas",
        str(personas),
        "--config",
        str(args.config),
        "--out",
        str(run_dir),
        "--quiet",
        *generate_args,
    ]

    print(f"== 2a. generate, no pooling: {' '.join(command[3:])}")
    unpooled_calls = generate(command, run_dir)
    shutil.rmtree(args.out / "beir_unpooled", ignore_errors=True)
    shutil.copytree(run_dir / "beir", args.out / "beir_unpooled")
    print(f"== 2b. the same with --pool-depth {args.pool_depth}")
    run = generate([*command, "--pool-depth", str(args.pool_depth)], run_dir)
    pooled = run["counts"].get("pooled", {})
    print(
        f"   LM calls: {unpooled_calls['lm_usage_total']['calls']} for the units, "
        f"{run['lm_usage'].get('pool', {}).get('calls', 0)} for pooled judging"
    )

    rows = [json.loads(line) for line in (run_dir / "questions.jsonl").read_text().splitlines()]
    describe_pools(rows, pooled)
    score(args.out / "beir_unpooled", run_dir / "beir")
    print(f"\nwall seconds: {time.monotonic() - started:.0f}")


def write_inputs(args: argparse.Namespace) -> tuple[Path, Path]:
    """OUT/docs.jsonl (the sampled abstracts) and OUT/personas.yaml (the first P CISI personas)."""
    import yaml
    from personaqa.programs.retrieval.beir import load_beir

    collection = load_beir(args.cisi)
    ids = sorted((d.id for d in collection.corpus.values() if d.text.strip()), key=_numeric)
    picked = sorted(random.Random(args.seed).sample(ids, min(args.docs, len(ids))), key=_numeric)
    docs = args.out / "docs.jsonl"
    docs.write_text(
        "".join(
            json.dumps({"_id": i, "title": collection.corpus[i].title, "text": collection.corpus[i].text})
            + "\n"
            for i in picked
        )
    )
    everyone = yaml.safe_load((ROOT / "experiments" / "cisi_personas.yaml").read_text())
    personas = args.out / "personas.yaml"
    personas.write_text(yaml.safe_dump(everyone[: args.personas_count], sort_keys=False))
    print(
        f"== 1. {len(picked)} of {len(ids)} abstracts of {args.cisi} (seed {args.seed}), "
        f"{min(args.personas_count, len(everyone))} persona(s)"
    )
    return docs, personas


def _numeric(doc_id: str) -> tuple[int, str]:
    return (int(doc_id), doc_id) if doc_id.isdigit() else (sys.maxsize, doc_id)


def generate(command: list[str], run_dir: Path) -> dict:
    """Run `personaqa generate`; its run.json. Exit 4 (the run kept nothing) is a figure, not a failure."""
    tick = time.monotonic()
    code = subprocess.run(command, check=False).returncode
    if code not in (0, 4):
        raise SystemExit(f"personaqa generate failed (exit {code})")
    run = json.loads((run_dir / "run.json").read_text())
    print(
        f"   kept {run['counts']['kept']} questions from {run['counts']['chunks']} abstracts, "
        f"{run['lm_usage_this_session']['total']['calls']} LM calls this session, "
        f"{time.monotonic() - tick:.0f}s"
    )
    return run


def describe_pools(rows: list[dict], pooled: dict) -> None:
    """Per question: chunks judged and found relevant; which retrievers pooled the relevant ones."""
    if not rows:
        print("   no question kept: nothing pooled")
        return
    print(
        f"\n== pooled judging (top {pooled.get('depth')} of BM25 and dense, the question's own abstract "
        f"left out): {pooled.get('judged', 0)} abstracts judged for {len(rows)} questions"
    )
    print(
        f"   grades: 2 (fully) {pooled.get('grade_2', 0)}, 1 (partially) {pooled.get('grade_1', 0)}, "
        f"0 {pooled.get('grade_0', 0)}, unjudged (judge answer unusable) {pooled.get('unjudged', 0)}"
    )
    relevant = [sum(1 for j in r["pooled"] if j["grade"]) for r in rows]
    fully = [sum(1 for j in r["pooled"] if j["grade"] == 2) for r in rows]
    print(
        f"   extra relevant abstracts per question: mean {sum(relevant) / len(rows):.2f} "
        f"(grade 2 only: {sum(fully) / len(rows):.2f}); questions with at least one: "
        f"{sum(1 for n in relevant if n)} of {len(rows)}; "
        f"distribution {dict(sorted(Counter(relevant).items()))}"
    )
    by_source = Counter("+".join(j["retrievers"]) for r in rows for j in r["pooled"] if j["grade"])
    judged_by = Counter("+".join(j["retrievers"]) for r in rows for j in r["pooled"])
    for source, count in sorted(judged_by.items()):
        print(f"   pooled by {source:>10}: {count:>4} judged, {by_source.get(source, 0):>4} relevant")


def score(unpooled: Path, pooled: Path) -> None:
    """BM25 and dense over the run's abstracts, scored on both qrels (the corpus and queries are the same)."""
    from personaqa.programs.evaluation.scoring import evaluate_runs
    from personaqa.programs.retrieval.beir import load_beir
    from personaqa.programs.retrieval.retrievers import build_retriever

    without, with_pool = load_beir(unpooled), load_beir(pooled)
    queries = without.judged_queries()
    if not queries:
        print("\n   no question kept: nothing to score")
        return
    built: dict = {}
    runs = {}
    for spec in RETRIEVERS:
        retriever = build_retriever(spec, with_pool.corpus, built=built)
        hits = retriever([q.text for q in queries], K)
        runs[spec] = {q.id: list(found) for q, found in zip(queries, hits, strict=True)}
    print(f"\n== BM25 vs dense on {len(queries)} questions over {len(with_pool.corpus)} abstracts")
    print(f"{'qrels':>9} {'retriever':>9} {'nDCG@10':>8} {'MRR@10':>7} {'R@10':>6}  order (nDCG@10)")
    for name, collection in (("unpooled", without), ("pooled", with_pool)):
        report = evaluate_runs(collection.qrels, runs, [K], by=[])
        overall = {spec: report.scores_of(spec).overall for spec in RETRIEVERS}
        ahead = max(RETRIEVERS, key=lambda spec: overall[spec][f"ndcg@{K}"])
        test = next((c for c in report.comparisons if c.metric == f"ndcg@{K}"), None)
        for spec in RETRIEVERS:
            order = ""
            if spec == RETRIEVERS[-1]:
                gap = abs(overall["bm25"][f"ndcg@{K}"] - overall["dense"][f"ndcg@{K}"])
                order = f"{ahead} ahead by {gap:.3f}" + (f" (p = {test.p_value:.3f})" if test else "")
            print(
                f"{name:>9} {spec:>9} {overall[spec][f'ndcg@{K}']:>8.3f} {overall[spec][f'mrr@{K}']:>7.3f} "
                f"{overall[spec][f'recall@{K}']:>6.3f}  {order}"
            )


if __name__ == "__main__":
    main()
