"""MLflow logging of compile, compare and generate runs (fake LM, the test session's SQLite store)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import mlflow
import pytest
from fakes import BagOfWordsEmbedder, patch_run_embedder, patch_run_lms
from fakes_judges import DEV, TRAIN, JudgingEngine, fake_build_lm
from personaqa.optimize import compare_run, compile_run
from personaqa.optimize.compare_run import CompareJob, run_compare
from personaqa.optimize.compile_run import CompileJob, run_compile
from personaqa.optimize.labels import file_hash
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.records import Persona
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.runner import run_generation

KEY = "sk-planted-123456"


@pytest.fixture()
def engine(monkeypatch: pytest.MonkeyPatch) -> JudgingEngine:
    monkeypatch.setenv("PERSONAQA_TEST_KEY", KEY)
    fake = JudgingEngine(name="task")
    build = fake_build_lm({"fake-task": fake})
    for module in (compile_run, compare_run):
        monkeypatch.setattr(module, "build_lm", build)
    patch_run_lms(monkeypatch, build)
    patch_run_embedder(monkeypatch, lambda name: BagOfWordsEmbedder())
    return fake


@pytest.fixture()
def client() -> mlflow.MlflowClient:
    return mlflow.MlflowClient(os.environ["MLFLOW_TRACKING_URI"])


def config() -> RunConfig:
    return RunConfig(
        lm=LMConfig(model="fake-task", api_key_env="PERSONAQA_TEST_KEY"),
        max_interests=1,
        max_types_per_interest=1,
    )


def run_ids(client: mlflow.MlflowClient) -> set[str]:
    experiment = client.get_experiment_by_name("personaqa")
    if experiment is None:
        return set()
    return {r.info.run_id for r in client.search_runs([experiment.experiment_id], max_results=1000)}


def new_runs(client: mlflow.MlflowClient, before: set[str]) -> list:
    experiment = client.get_experiment_by_name("personaqa")
    assert experiment is not None, "no run was logged in experiment 'personaqa'"
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    return [r for r in runs if r.info.run_id not in before]


def artifact_paths(client: mlflow.MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        out |= artifact_paths(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def download(client: mlflow.MlflowClient, run_id: str, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    return Path(
        mlflow.artifacts.download_artifacts(
            run_id=run_id, dst_path=str(dst), tracking_uri=os.environ["MLFLOW_TRACKING_URI"]
        )
    )


def table(path: Path) -> list[dict]:
    """Rows of an artifact written by mlflow.log_table (pandas 'split' JSON)."""
    data = json.loads(path.read_text())
    return [dict(zip(data["columns"], row)) for row in data["data"]]


def compile_job(tmp_path: Path, **changes) -> CompileJob:
    fields = {
        "config": config(),
        "trainset": TRAIN,
        "devset": DEV,
        "optimizer": "bootstrap",
        "out": tmp_path / "writer.json",
        "target": "writer",
        "limit_train": 3,
        "limit_dev": 3,
        "mlflow": True,
    }
    fields.update(changes)
    return CompileJob(**fields)


def test_compile_logs_one_run_with_params_metrics_artifacts_and_no_key(
    tmp_path: Path, engine, client
) -> None:
    before = run_ids(client)
    run_compile(compile_job(tmp_path))

    runs = new_runs(client, before)
    assert len(runs) == 1
    run = runs[0]
    assert run.info.run_name == "compile-writer-bootstrap" and run.info.status == "FINISHED"
    assert run.data.tags["personaqa.command"] == "compile"
    params, metrics = run.data.params, run.data.metrics
    assert params["optimizer"] == "bootstrap" and params["stage"] == "writer"
    assert params["trainset_sha256"] == file_hash(TRAIN) and params["devset_sha256"] == file_hash(DEV)
    assert params["lm"] == "fake-task" and params["train_examples"] == "3" and params["dev_examples"] == "3"
    for name in (
        "before.composite",
        "after.composite",
        "judge.relevance.kappa",
        "judge.generality.kappa",
        "judge.persona_fidelity.kappa",
        "judge.relevance.accuracy",
    ):
        assert name in metrics, name
    assert metrics["before.composite"] == metrics["after.composite"] == 1.0

    artifacts = artifact_paths(client, run.info.run_id)
    assert {
        "program/writer.json",
        "evaluation.json",
        "judge_agreement.json",
        "questions.json",
        "sample_outputs.json",
    } <= artifacts
    local = download(client, run.info.run_id, tmp_path / "artifacts")
    assert json.loads((local / "program" / "writer.json").read_text()) == json.loads(
        (tmp_path / "writer.json").read_text()
    )
    evaluation = json.loads((local / "evaluation.json").read_text())
    assert set(evaluation) == {"before", "after"} and evaluation["after"]["name"] == "bootstrap"
    agreement = table(local / "judge_agreement.json")
    assert [r["judge"] for r in agreement] == ["relevance", "generality", "persona_fidelity"]
    questions = table(local / "questions.json")
    assert len(questions) == 3 and {"example", "persona", "passage", "question", "composite"} <= set(
        questions[0]
    )

    # the planted key never reaches params, metrics, tags, artifacts, the saved program or the store
    logged = json.dumps([params, metrics, run.data.tags])
    assert KEY not in logged
    for file in [*local.rglob("*"), tmp_path / "writer.json"]:
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file
    store = Path(os.environ["MLFLOW_TRACKING_URI"].removeprefix("sqlite:///"))
    assert KEY.encode() not in store.read_bytes()
    assert getattr(engine, "api_key", None) == KEY  # the fake LM did hold the key


def test_compile_without_agreement_logs_no_kappa(tmp_path: Path, engine, client) -> None:
    before = run_ids(client)
    run_compile(compile_job(tmp_path, optimizer="labeled", measure_agreement=False))
    (run,) = new_runs(client, before)
    assert run.data.params["optimizer"] == "labeled"
    assert not [m for m in run.data.metrics if m.startswith("judge.")]


def test_compile_with_mlflow_off_logs_nothing(tmp_path: Path, engine, client) -> None:
    before = run_ids(client)
    run_compile(compile_job(tmp_path, mlflow=False, measure_agreement=False))
    assert (tmp_path / "writer.json").is_file()
    assert run_ids(client) == before


def children_of(client: mlflow.MlflowClient, parent_id: str) -> dict:
    """Child runs of `parent_id`, looked up in every experiment of the store."""
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, filter_string=f"tags.mlflow.parentRunId = '{parent_id}'")
    return {r.info.run_name: r for r in runs}


def _compare(tmp_path: Path, client) -> tuple[Path, Path, list, list]:
    compiled = tmp_path / "writer-labeled.json"
    run_compile(
        compile_job(tmp_path, optimizer="labeled", out=compiled, mlflow=False, measure_agreement=False)
    )
    before = run_ids(client)
    out = tmp_path / "cmp"
    reports = run_compare(
        CompareJob(
            config=config(),
            devset=DEV,
            programs=["baseline", str(compiled)],
            out_dir=out,
            target="writer",
            limit_dev=3,
            mlflow=True,
        )
    )
    return compiled, out, reports, new_runs(client, before)


def test_compare_writes_outputs_and_nested_runs(tmp_path: Path, engine, client) -> None:
    compiled, out, reports, runs = _compare(tmp_path, client)

    assert [r.name for r in reports] == ["baseline", "writer-labeled"]
    data = json.loads((out / "compare.json").read_text())
    assert [v["variant"] for v in data["variants"]] == ["baseline", "writer-labeled"]
    assert set(data["per_example"]) == {"baseline", "writer-labeled"}
    assert all(len(rows) == 3 for rows in data["per_example"].values())
    with (out / "compare.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["variant"] for r in rows] == ["baseline", "writer-labeled"]
    assert {"composite", "composite_low", "composite_high", "relevance", "generality"} <= set(rows[0])
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.run_name == "compare" and parent.data.tags["personaqa.command"] == "compare"
    assert parent.data.params["stage"] == "writer" and parent.data.params["devset_sha256"] == file_hash(DEV)
    assert {"compare.json", "compare.csv", "compare.png"} <= artifact_paths(client, parent.info.run_id)
    children = children_of(client, parent.info.run_id)
    assert set(children) == {"compare-baseline", "compare-writer-labeled"}
    for name, child in children.items():
        assert child.info.status == "FINISHED"
        assert child.data.params["variant"] == name.removeprefix("compare-")
        assert child.data.metrics["composite"] == 1.0
    assert children["compare-writer-labeled"].data.params["program"] == str(compiled)
    assert KEY not in json.dumps([r.data.params for r in [*runs, *children.values()]])


def test_compare_child_runs_are_in_the_personaqa_experiment(tmp_path: Path, engine, client) -> None:
    """Regression: child runs went to MLflow's Default experiment (no experiment_id on the nested run)."""
    _, _, _, runs = _compare(tmp_path, client)
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    personaqa = client.get_experiment_by_name("personaqa").experiment_id
    children = children_of(client, parent.info.run_id)
    assert len(children) == 2
    assert {c.info.experiment_id for c in children.values()} == {personaqa}


def test_generate_logs_a_run_with_the_questions_table(tmp_path: Path, engine, client) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "widget.md").write_text(
        "# X widget\nThe X widget has no break fee; it ships in March 2026 and costs 40 euros. It has a "
        "two-year warranty that covers the motor but not the battery.\n"
    )
    before = run_ids(client)
    out = tmp_path / "out"

    run_generation(
        GenerationJob(
            config=config(),
            doc_paths=[docs],
            out_dir=out,
            show_progress=False,
            mlflow=True,
            personas=[Persona(name="buyer", description="A careful buyer.")],
        )
    )

    (run,) = new_runs(client, before)
    assert run.info.run_name == "generate" and run.data.tags["personaqa.command"] == "generate"
    assert run.data.params["out_dir"] == str(out.resolve())
    assert run.data.metrics["kept"] == 1 and run.data.metrics["lm.generation.calls"] == 1
    artifacts = artifact_paths(client, run.info.run_id)
    assert {
        "run.json",
        "questions.jsonl",
        "rejected.jsonl",
        "questions_table.json",
        "ragas.jsonl",
        "mlflow_eval.jsonl",
    } <= artifacts
    (dataset_input,) = run.inputs.dataset_inputs
    assert {t.key: t.value for t in dataset_input.tags}.get("mlflow.data.context") == "evaluation"
    local = download(client, run.info.run_id, tmp_path / "artifacts")
    rows = table(local / "questions_table.json")
    kept = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    assert [r["question"] for r in rows] == [q["question"] for q in kept] and len(rows) == 1
    assert rows[0]["persona"] == "buyer" and "costs 40 euros" in rows[0]["passage"]
    for file in local.rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file
    assert KEY not in json.dumps(run.data.params)
