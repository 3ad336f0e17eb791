"""`evaluate`'s output as a user reads it: a table that fits 80 columns when piped, markdown and JSON forms,
and no ./mlruns left behind by a run that logs nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_evaluate_cli
from personaqa.programs.cli import main

dataset = test_evaluate_cli.dataset  # fixture

RETRIEVERS = ["--retrievers", "bm25", "bm25-title,overlap", "tfidf"]


def evaluate(dataset: Path, out: Path, *extra: str) -> int:
    return main(
        ["evaluate", "--dataset", str(dataset), *RETRIEVERS, "--out", str(out), "--no-mlflow", *extra]
    )


def test_piped_table_fits_80_columns_and_keeps_full_labels(dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)  # piped: rich's default width
    assert evaluate(dataset, tmp_path / "o", "--k", "1,5,10,100") == 0
    out = capsys.readouterr().out
    tables = out.split("wrote ")[0]
    assert max(len(line) for line in tables.splitlines()) <= 80
    assert "…" not in tables  # no cell or header cut ("bm…", "nDCG@…")
    for label in ("nDCG@10", "R@10", "MRR@10", "R@100", "overlap", "bm25-title"):
        assert label in tables, label
    assert "nDCG@100" not in tables  # other cut-offs only with --all-metrics


def test_piped_output_fits_80_columns_to_its_last_line(dataset, tmp_path, capsys, monkeypatch):
    """The closing list of written files too: it named every file by its full path on one line (279 columns
    for the sample run)."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.chdir(tmp_path)  # a short --out, as a user types it (pytest's tmp_path alone is ~70 columns)
    assert evaluate(dataset, Path("results/sample-eval"), "--k", "1,10") == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    start = next(i for i, line in enumerate(lines) if line.startswith("wrote "))
    assert lines[start].endswith("sample-eval/:") and len(lines) > start + 1  # the names below it
    written = " ".join(lines[start + 1 :]).replace(",", " ").split()
    assert sorted(written) == sorted(p.name for p in (tmp_path / "results" / "sample-eval").iterdir())


def test_all_metrics_shows_every_cut_off(dataset, tmp_path, capsys):
    assert evaluate(dataset, tmp_path / "o", "--k", "1,10", "--all-metrics", "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert all(f"| {label} |" in out for label in ("R@1", "MRR@1", "nDCG@1", "R@10", "MRR@10", "nDCG@10"))


def test_markdown_format(dataset, tmp_path, capsys):
    assert evaluate(dataset, tmp_path / "o", "--k", "1,3", "--format", "markdown") == 0
    out = capsys.readouterr().out
    assert "**Retrieval quality (4 judged queries)**" in out
    assert "| retriever | R@3 | MRR@3 | nDCG@3 | search s |" in out
    assert "| bm25 |" in out and "\x1b[" not in out


def test_json_format_is_the_results_on_stdout(dataset, tmp_path, capsys):
    assert evaluate(dataset, tmp_path / "o", "--k", "1,3", "--format", "json") == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert printed == json.loads((tmp_path / "o" / "results.json").read_text())
    assert "wrote " in captured.err


@pytest.mark.parametrize("extra", [["--no-mlflow"], ["--k", "0"]])
def test_no_mlruns_without_a_logged_run(dataset, tmp_path, monkeypatch, extra):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # the default store, ./mlruns
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    main(
        [
            "evaluate",
            "--dataset",
            str(dataset),
            "--retrievers",
            "bm25,overlap",
            "--out",
            str(tmp_path / "o"),
            *extra,
        ]
    )
    assert not (work / "mlruns").exists()


def test_failed_run_before_any_work_leaves_no_mlruns(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", "--dataset", str(tmp_path / "missing")]) == 2
    assert not (tmp_path / "mlruns").exists()


def test_logged_run_creates_the_default_store(dataset, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            [
                "evaluate",
                "--dataset",
                str(dataset),
                "--retrievers",
                "bm25,overlap",
                "--k",
                "1,3",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    assert (tmp_path / "mlruns" / "mlflow.db").is_file()
