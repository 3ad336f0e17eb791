"""`personaqa evaluate` end to end on a tiny BEIR folder: stdout, files, charts, MLflow run."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
from personaqa.programs.cli import main
from personaqa.programs.tracking.store import tracking_uri

DOCS = [
    ("d1", "Cats", "Small domestic felines; they often sit purring on a warm lap."),
    ("d2", "Volcanoes", "A volcano erupts lava, ash and gases from deep inside the Earth."),
    ("d3", "Bread baking", "Bakers knead dough with yeast and flour before it goes in the oven."),
    ("d4", "Chess openings", "The Sicilian defence is a popular first move sequence for black."),
]
QUERIES = [
    ("q1", "why do cats purr on a lap", "child", "why"),
    ("q2", "lava and ash from a volcano", "geologist", "what"),
    ("q3", "yeast dough in the oven", "child", "how"),
    ("q4", "sicilian defence for black", "geologist", "what"),
]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    root = tmp_path / "toy"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in DOCS)
    )
    (root / "queries.jsonl").write_text(
        "".join(
            json.dumps({"_id": i, "text": t, "persona": p, "question_type": q}) + "\n"
            for i, t, p, q in QUERIES
        )
    )
    qrels = "".join(f"q{n}\td{n}\t1\n" for n in range(1, 5))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels)
    return root


def test_end_to_end_without_mlflow(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "eval"
    code = main(
        [
            "evaluate",
            "--dataset",
            str(dataset),
            "--retriever",
            "bm25,overlap",
            "--retriever",
            "bm25-title",
            "--k",
            "1,3",
            "--out",
            str(out),
            "--no-mlflow",
        ]
    )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "Retrieval quality (4 judged queries)" in stdout and "nDCG@3 by persona" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["retriever_specs"] == ["bm25", "overlap", "bm25-title"]
    assert results["k"] == [1, 3] and results["n_queries"] == 4
    bm25 = next(r for r in results["retrievers"] if r["name"] == "bm25")
    assert bm25["overall"]["recall@1"] == pytest.approx(1.0)
    assert set(bm25["breakdowns"]["persona"]) == {"child", "geologist"}
    assert len(results["comparisons"]) == 3 * len(results["metrics"])
    rows = [json.loads(line) for line in (out / "per_query.jsonl").read_text().splitlines()]
    assert len(rows) == 3 * 4
    assert rows[0]["retrieved"][0][0] == "d1" and rows[0]["metadata"]["persona"] == "child"
    for chart in ("overall.png", "by_persona.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG")
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temp files


def test_default_out_and_breakdown_choice(dataset: Path) -> None:
    assert (
        main(
            [
                "evaluate",
                "--dataset",
                str(dataset),
                "--retriever",
                "tfidf",
                "--k",
                "2",
                "--by",
                "question_type",
                "--no-mlflow",
            ]
        )
        == 0
    )
    out = dataset.parent / f"{dataset.name}-eval"  # beside the dataset, not inside it
    results = json.loads((out / "results.json").read_text())
    assert results["group_sizes"] == {"question_type": {"how": 1, "what": 2, "why": 1}}
    assert (out / "by_question_type.png").is_file()
    assert sorted(p.name for p in dataset.iterdir()) == ["corpus.jsonl", "qrels", "queries.jsonl"]


def test_mlflow_run_is_logged(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'tracking' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert tracking_uri() == uri and (tmp_path / "tracking").is_dir()
    assert (
        main(
            [
                "evaluate",
                "--dataset",
                str(dataset),
                "--retriever",
                "bm25,dense,hybrid",
                "--k",
                "1,3",
                "--out",
                str(tmp_path / "eval"),
                "--experiment",
                "test-evaluate",
            ]
        )
        == 0
    )
    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("test-evaluate")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["retrievers"] == "bm25,dense,hybrid" and run.data.params["k"] == "1,3"
    assert run.data.metrics["bm25.recall_at_1"] == pytest.approx(1.0)
    assert {"dense.ndcg_at_3", "hybrid.mrr_at_1"} <= set(run.data.metrics)
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"results.json", "overall.png", "by_persona.png"} <= artifacts


def test_default_tracking_uri_is_sqlite_under_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'mlruns' / 'mlflow.db'}"
    assert (tmp_path / "mlruns").is_dir()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--k", "0,5"], "--k must be a comma list of positive integers"),
        (["--retriever", "nope"], "unknown retriever 'nope'"),
        (["--by", "mood"], "--by: no query has field(s) mood"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    dataset: Path, capsys: pytest.CaptureFixture[str], extra, expected
) -> None:
    assert main(["evaluate", "--dataset", str(dataset), "--no-mlflow", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("personaqa: error:") and expected in err and "\n" not in err


def test_missing_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--dataset", str(tmp_path / "none"), "--no-mlflow"]) == 2
    assert "dataset folder not found" in capsys.readouterr().err


# ---------------------------------------------------------------- degenerate folders (docs/errors.md)


def _folder(root: Path, docs: list[dict], queries: list[dict], qrels: str) -> Path:
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (root / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels)
    return root


def _evaluate(dataset: Path, *extra: str) -> int:
    return main(["evaluate", "--dataset", str(dataset), "--no-mlflow", "--k", "1,10", *extra])


TOY_DOCS = [{"_id": i, "title": t, "text": x} for i, t, x in DOCS]
TOY_QUERIES = [{"_id": i, "text": t} for i, t, _, _ in QUERIES]


@pytest.mark.parametrize("order", [("1", "0"), ("0", "1")])
def test_conflicting_duplicate_qrels_keep_the_highest_score_in_any_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], order: tuple[str, str]
) -> None:
    qrels = f"q1\td1\t1\nq2\td2\t1\nq3\td3\t{order[0]}\nq3\td3\t{order[1]}\n"
    root = _folder(tmp_path / "dup", TOY_DOCS, TOY_QUERIES, qrels)
    assert _evaluate(root, "--retriever", "bm25,tfidf") == 0
    captured = capsys.readouterr()
    assert "Retrieval quality (3 judged queries)" in captured.out
    assert (
        f"personaqa: warning: {root}/qrels/test.tsv:5: field 'score': query-id 'q3', corpus-id 'd3' "
        f"is judged {order[1]} here and {order[0]} on line 4; kept the highest score"
    ) in captured.err


def test_qrels_without_a_relevant_judgement_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _folder(tmp_path / "zero", TOY_DOCS, TOY_QUERIES, "q1\td1\t0\nq2\td2\t0\nq3\td3\t0\n")
    assert _evaluate(root, "--retriever", "bm25") == 2
    err = capsys.readouterr().err
    assert err == (
        f"personaqa: error: {root}/qrels/test.tsv: field 'score': no judgement is relevant "
        "(score > 0); nothing to score\n"
    )


def test_title_retrievers_are_skipped_on_a_corpus_without_titles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = [{"_id": d["_id"], "text": d["text"]} for d in TOY_DOCS[:2]] + [
        {"_id": "d3", "title": None, "text": "bread"}
    ]
    root = _folder(tmp_path / "untitled", docs, TOY_QUERIES[:2], "q1\td1\t1\nq2\td2\t1\n")
    assert _evaluate(root, "--retriever", "bm25-title,tfidf", "--out", str(tmp_path / "o")) == 0
    err = capsys.readouterr().err
    assert f"retriever 'bm25-title' skipped: no document in {root}/corpus.jsonl has a title to index" in err
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert results["retrievers_skipped"] == ["bm25-title"]
    assert [r["name"] for r in results["retrievers"]] == ["tfidf"]


def test_a_run_with_no_hit_at_all_scores_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    queries = [{"_id": "q1", "text": "quantum chromodynamics"}, {"_id": "q2", "text": "!!"}]
    root = _folder(tmp_path / "miss", TOY_DOCS, queries, "q1\td1\t1\nq2\td2\t1\n")
    assert _evaluate(root, "--retriever", "bm25,overlap", "--k", "1,500", "--out", str(tmp_path / "o")) == 0
    assert (
        "1 judged query(ies) with no word to search for (_id 'q2') get no hits and score 0"
        in capsys.readouterr().err
    )
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert all(value == 0.0 for r in results["retrievers"] for value in r["overall"].values())


def test_stop_words_only_corpus_skips_lexical_retrievers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    docs = [{"_id": "d1", "text": "the and of"}, {"_id": "d2", "title": "it", "text": "is"}]
    root = _folder(tmp_path / "stop", docs, [{"_id": "q1", "text": "the"}], "q1\td1\t1\n")
    assert _evaluate(root, "--retriever", "bm25,tfidf") == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err] == ["personaqa"] * 3
    assert "retriever 'bm25' skipped: cannot index" in err[0] and "retriever 'tfidf' skipped" in err[1]
    assert err[2].startswith("personaqa: error: ")
    assert "none of the retrievers bm25, tfidf can index" in err[2]


PLUGIN = """
def failing(corpus):
    def search(queries, k):
        raise KeyError("index not loaded")
    return search

def broken_factory(corpus):
    raise RuntimeError("no GPU")

def refusing_factory(corpus):
    raise ValueError("empty vocabulary")
"""


def test_plugin_raising_while_searching_is_one_line(
    dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "failing_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _evaluate(dataset, "--retriever", "failing_plugin:failing") == 2
    assert capsys.readouterr().err == (
        "personaqa: error: retriever 'failing_plugin:failing' failed: KeyError: 'index not loaded'\n"
    )
    assert _evaluate(dataset, "--retriever", "failing_plugin:broken_factory") == 2
    assert capsys.readouterr().err == (
        "personaqa: error: retriever 'failing_plugin:broken_factory': "
        "the factory failed: RuntimeError: no GPU\n"
    )
    # a ValueError while indexing is a refusal of this corpus, as for the built-ins: skipped with a warning
    assert _evaluate(dataset, "--retriever", "failing_plugin:refusing_factory,bm25") == 0
    assert "retriever 'failing_plugin:refusing_factory' skipped: cannot index" in capsys.readouterr().err


def test_out_that_is_a_file_fails_before_any_index(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("keep")
    assert _evaluate(dataset, "--out", str(tmp_path / "file" / "eval")) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert (tmp_path / "file").read_text() == "keep"
