"""Kendall's tau with the human ranking, per subset of the synthetic questions: all, asked in the
passage's words, asked in the person's own words (the lexical-distance control, programs/wording.py).

Reads a `personaqa validate` output folder (per_query.jsonl, synthetic/questions.jsonl); prints, for
each subset, the number of questions, tau and rho against the human ranking with a bootstrap 95%
interval over the subset's questions (1,000 resamples, seed 0), the median lexical overlap, and each
retriever's mean score. Usage: python experiments/validity_by_wording.py OUT_DIR [--metric ndcg@10]"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--metric", default=None, help="default: the first metric in per_query.jsonl")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.out / "per_query.jsonl").read_text().splitlines()]
    metric = args.metric or next(iter(rows[0]["scores"]))
    records = {}
    for line in (args.out / "synthetic" / "questions.jsonl").read_text().splitlines():
        r = json.loads(line)
        records[r["question_id"]] = r
    systems = sorted({r["retriever"] for r in rows})
    human = {s: np.mean([r["scores"][metric] for r in rows if r["side"] == "human" and r["retriever"] == s])
             for s in systems}
    synthetic: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["side"] == "synthetic":
            synthetic.setdefault(r["query_id"], {})[r["retriever"]] = r["scores"][metric]
    human_vec = np.array([human[s] for s in systems])
    subsets = {"all": list(synthetic),
               "passage words": [q for q in synthetic if records.get(q, {}).get("wording", "passage") == "passage"],
               "own words": [q for q in synthetic if records.get(q, {}).get("wording") == "own"]}
    rng = np.random.default_rng(0)
    print(f"metric {metric}; human ranking: " + " > ".join(sorted(systems, key=lambda s: -human[s])))
    print(f"{'subset':<14} {'n':>4} {'tau':>6} {'95% CI':>15} {'rho':>6} {'overlap':>8}  " + " ".join(f"{s[:9]:>9}" for s in systems))
    for name, qids in subsets.items():
        if len(qids) < 2:
            print(f"{name:<14} {len(qids):>4}  too few questions")
            continue
        matrix = np.array([[synthetic[q][s] for s in systems] for q in qids])
        means = matrix.mean(axis=0)
        tau = kendalltau(human_vec, means).statistic
        rho = spearmanr(human_vec, means).statistic
        boot = [kendalltau(human_vec, matrix[rng.integers(0, len(qids), len(qids))].mean(axis=0)).statistic
                for _ in range(1000)]
        low, high = np.nanpercentile(boot, [2.5, 97.5])
        overlap = np.median([records[q].get("lexical_overlap", np.nan) for q in qids if q in records])
        print(f"{name:<14} {len(qids):>4} {tau:>6.3f} [{low:>6.3f},{high:>6.3f}] {rho:>6.3f} {overlap:>8.2f}  "
              + " ".join(f"{m:>9.3f}" for m in means))
    print(f"{'human':<14} {'':>4} {'':>6} {'':>15} {'':>6} {'':>8}  " + " ".join(f"{human[s]:>9.3f}" for s in systems))


if __name__ == "__main__":
    main()
