"""experiments/pooled_cisi.py end to end on a fast path: a tiny BEIR folder and the fake endpoint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fake_endpoint import FakeEndpoint

REPO = Path(__file__).resolve().parents[1]
ABSTRACTS = [
    (
        "1",
        "Indexing costs",
        "Automatic indexing of abstracts lowers cataloguing costs in university libraries.",
    ),
    ("2", "Citation analysis", "Citation analysis ranks journals by how often their articles are cited."),
    ("3", "Indexing by machine", "Machine indexing of abstracts matches manual indexing at a lower cost."),
    ("4", "Library networks", "Library networks share cataloguing records between member libraries."),
]


def test_script_runs_unpooled_then_pooled_and_prints_both_scores(tmp_path):
    cisi = tmp_path / "cisi"
    (cisi / "qrels").mkdir(parents=True)
    (cisi / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in ABSTRACTS)
    )
    (cisi / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "indexing costs"}) + "\n")
    (cisi / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t1\t1\n")
    out = tmp_path / "out"
    with FakeEndpoint() as endpoint:
        done = subprocess.run(
            [
                sys.executable,
                str(REPO / "experiments" / "pooled_cisi.py"),
                "--cisi",
                str(cisi),
                "--docs",
                "3",
                "--pool-depth",
                "2",
                "--out",
                str(out),
                "--lm",
                "openai/fake",
                "--api-base",
                endpoint.base_url,
                "--no-mlflow",
                "--program",
                "baseline",
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = done.stdout
    assert "== pooled judging (top 2 of BM25 and dense" in printed
    assert "extra relevant abstracts per question" in printed
    for qrels in ("unpooled", "pooled"):
        for retriever in ("bm25", "dense"):
            assert any(line.split()[:2] == [qrels, retriever] for line in printed.splitlines()), (
                qrels,
                retriever,
            )
    unpooled = (out / "beir_unpooled" / "qrels" / "test.tsv").read_text().splitlines()[1:]
    pooled = (out / "run" / "beir" / "qrels" / "test.tsv").read_text().splitlines()[1:]
    assert unpooled and {line.split("\t")[2] for line in unpooled} == {"2"}
    assert set(unpooled) < set(pooled)  # the fake judge finds every pooled abstract relevant
    run = json.loads((out / "run" / "run.json").read_text())
    assert run["config"]["pool_depth"] == 2 and run["lm_usage"]["pool"]["calls"] == len(pooled) - len(
        unpooled
    )
