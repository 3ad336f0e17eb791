"""Every command checks the services it will touch before its first LM call, and a tracking store that
fails after the work is a warning, not a failed run (issue 17).

Real loopback sockets: a file store MLflow refuses, a port where nothing listens, a server that accepts and
never answers (the check's timeout is lowered to 2 s here), a server that answers the check and then goes
away. The LM is the fake OpenAI-compatible endpoint, so "no LM call" is counted at the socket.

| case                                                 | outcome                                             |
|------------------------------------------------------|-----------------------------------------------------|
| `MLFLOW_TRACKING_URI=file:...` (refused by MLflow 3) | exit 2, one error line, no LM call, nothing written |
| tracking server refuses connections / hangs          | exit 2, one error line within seconds, no LM call   |
| tracking server gone after the check (mid-run)       | exit 0, outputs complete, one warning line          |
| `--ray-address` where nothing listens                | exit 2, one error line, no LM call                  |
| `compile --out` below a file                         | exit 2, one error line, no LM call                  |
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import dspy
import mlflow
import pytest
from fake_tracking import HangingServer, VanishingServer, refused_url
from personaqa.programs.tracking import store as tracking
from robustness_helpers import (
    REPO,
    FaultEndpoint,
    assert_one_error_line,
    check_complete_outputs,
    error_lines,
    run_cli,
    write_config,
    write_docs,
    write_personas,
)

LABELLED = REPO / "experiments" / "labelled"
COMMANDS = ("generate", "compile", "compare", "evaluate", "validate")


@pytest.fixture(autouse=True)
def _isolation(monkeypatch):
    monkeypatch.setattr(dspy, "cache", dspy.cache)  # run_generation reconfigures the global LM cache
    monkeypatch.setattr(tracking, "PREFLIGHT_TIMEOUT", 2)
    for name in tracking.LOGGING_HTTP_DEFAULTS:  # tracking_uri() sets these defaults in the process
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("preflight-inputs")
    beir = root / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = {
        "d1": "The break fee is 40 million euros.",
        "d2": "Descale the kettle with vinegar.",
        "d3": "Staff may work remotely three days a week.",
    }
    (beir / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n" for k, v in docs.items())
    )
    (beir / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "break fee"}\n{"_id": "q2", "text": "kettle"}\n'
    )
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    return {
        "docs": write_docs(root / "docs"),
        "personas": write_personas(root / "personas.yaml"),
        "beir": beir,
        "config": write_config(root / "run.yaml", structured_output="auto", num_retries=0, timeout=10),
    }


def argv(command: str, inputs: dict[str, Path], out: Path, url: str) -> list:
    lm = ["--lm", "openai/x", "--api-base", url, "--config", inputs["config"]]
    return {
        "generate": [
            "generate",
            "--docs",
            inputs["docs"],
            "--personas",
            inputs["personas"],
            "--out",
            out,
            "--quiet",
            *lm,
        ],
        "compile": [
            "compile",
            "--trainset",
            LABELLED / "train.jsonl",
            "--devset",
            LABELLED / "dev.jsonl",
            "--limit-train",
            2,
            "--limit-dev",
            2,
            "--out",
            out.with_suffix(".json"),
            *lm,
        ],
        "compare": ["compare", "--devset", LABELLED / "dev.jsonl", "--limit-dev", 2, "--out", out, *lm],
        "evaluate": ["evaluate", "--dataset", inputs["beir"], "--retriever", "bm25", "--out", out],
        "validate": [
            "validate",
            "--beir",
            inputs["beir"],
            "--personas",
            inputs["personas"],
            "--sample-docs",
            2,
            "--retrievers",
            "bm25,tfidf,overlap",
            "--out",
            out,
            "--quiet",
            *lm,
        ],
    }[command]


def written(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir())


def check_refused(command: str, inputs, tmp_path: Path, capsys, *fragments: str) -> float:
    """Runs `command`; asserts exit 2, one error line holding `fragments`, no LM call, nothing written."""
    with FaultEndpoint() as endpoint:
        started = time.monotonic()
        code, _, err = run_cli(argv(command, inputs, tmp_path / "out", endpoint.base_url), capsys)
        elapsed = time.monotonic() - started
    assert code == 2, err
    assert_one_error_line(err, *fragments, "--no-mlflow")
    assert endpoint.calls == 0
    assert written(tmp_path) == [], written(tmp_path)
    return elapsed


@pytest.mark.parametrize("command", COMMANDS)
def test_file_store_refused_by_mlflow_is_one_error_line_before_any_lm_call(
    command, inputs, tmp_path, capsys, monkeypatch
):
    store = tmp_path.parent / f"{tmp_path.name}-mlruns"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.as_uri())
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    check_refused(
        command,
        inputs,
        tmp_path,
        capsys,
        f"MLFLOW_TRACKING_URI={store.as_uri()}",
        "MLFLOW_ALLOW_FILE_STORE=true",
        "sqlite:///",
    )
    assert not store.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_tracking_server_down_is_one_error_line_within_seconds(
    command, inputs, tmp_path, capsys, monkeypatch
):
    url = refused_url()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "7")  # a user's retry setting: the check ignores it
    elapsed = check_refused(command, inputs, tmp_path, capsys, f"MLFLOW_TRACKING_URI={url}", "refused")
    assert elapsed < 30


@pytest.mark.parametrize("command", COMMANDS)
def test_tracking_server_that_hangs_is_one_error_line_after_the_timeout(
    command, inputs, tmp_path, capsys, monkeypatch
):
    with HangingServer() as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        elapsed = check_refused(
            command, inputs, tmp_path, capsys, f"MLFLOW_TRACKING_URI={server.url}", "no answer within 2 s"
        )
    assert elapsed < 30


def test_file_store_runs_when_the_user_allows_it(inputs, tmp_path, capsys, monkeypatch):
    store = tmp_path / "mlruns"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.as_uri())
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    code, _, err = run_cli(argv("evaluate", inputs, tmp_path / "out", ""), capsys)
    assert code == 0, err
    runs = mlflow.MlflowClient(store.as_uri()).search_runs(
        [mlflow.MlflowClient(store.as_uri()).get_experiment_by_name("personaqa").experiment_id]
    )
    assert len(runs) == 1


def test_generate_with_the_server_gone_after_the_check_keeps_its_outputs_and_warns(
    inputs, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    with VanishingServer() as server, FaultEndpoint() as endpoint:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        code, stdout, err = run_cli(argv("generate", inputs, out, endpoint.base_url), capsys)
    assert code == 0, err
    assert len(server.requests) == 1  # the check; the logging after the work found no server
    assert endpoint.calls > 0 and "questions" in stdout
    (line,) = error_lines(err)
    assert line.startswith("personaqa: warning: MLflow logging failed")
    assert f"the generate run (outputs in {out} are complete) not logged" in line
    assert "rerun the same command" in line
    assert all(check_complete_outputs(out).values())

    # Logging it later: the same command with the store back redoes no unit and makes no LM call.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    with FaultEndpoint() as endpoint:
        code, _, err = run_cli(argv("generate", inputs, out, endpoint.base_url), capsys)
    assert code == 0 and "personaqa:" not in err and endpoint.calls == 0
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("personaqa").experiment_id])
    assert run.info.run_name == "generate" and run.info.status == "FINISHED"


def test_evaluate_with_the_server_gone_after_the_check_keeps_its_outputs_and_warns(
    inputs, tmp_path, capsys, monkeypatch
):
    with VanishingServer() as server:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
        started = time.monotonic()
        code, _, err = run_cli(argv("evaluate", inputs, tmp_path / "out", ""), capsys)
    assert code == 0, err
    assert time.monotonic() - started < 60
    (line,) = error_lines(err)
    assert line.startswith("personaqa: warning: MLflow logging failed") and "not logged" in line
    assert (tmp_path / "out" / "results.json").is_file()


def test_ray_address_where_nothing_listens_is_one_error_line_before_any_lm_call(inputs, tmp_path, capsys):
    pytest.importorskip("ray")
    address = refused_url().removeprefix("http://")
    with FaultEndpoint() as endpoint:
        code, _, err = run_cli(
            [
                *argv("generate", inputs, tmp_path / "out", endpoint.base_url),
                "--no-mlflow",
                "--engine",
                "ray",
                "--ray-address",
                address,
            ],
            capsys,
        )
    assert code == 2
    assert_one_error_line(err, f"--ray-address {address}", "no Ray cluster answers")
    assert endpoint.calls == 0 and written(tmp_path) == []


def test_compile_out_below_a_file_is_one_error_line_before_any_lm_call(inputs, tmp_path, capsys):
    parent = tmp_path / "results"
    parent.write_text("a file\n")
    with FaultEndpoint() as endpoint:
        code, _, err = run_cli(
            [*argv("compile", inputs, parent / "out", endpoint.base_url), "--no-mlflow"], capsys
        )
    assert code == 2
    assert_one_error_line(err, str(parent), "not a directory")
    assert endpoint.calls == 0 and parent.read_text() == "a file\n"


# -- compile and compare: the store goes away once the work is done (fake LM in-process) ---------------------


@pytest.fixture()
def fake_task_lm(monkeypatch):
    from fakes import patch_run_lms
    from fakes_judges import JudgingEngine, fake_build_lm
    from personaqa.optimize import compare_run, compile_run

    build = fake_build_lm({"fake-task": JudgingEngine(name="task")})
    for module in (compile_run, compare_run):
        monkeypatch.setattr(module, "build_lm", build)
    patch_run_lms(monkeypatch, build)


def store_goes_away_after(monkeypatch, module, name: str) -> None:
    """Wrap `module.name` (the step writing the outputs) so the tracking store is unreachable afterwards."""
    original = getattr(module, name)

    def then_gone(*args, **kwargs):
        result = original(*args, **kwargs)
        mlflow.set_tracking_uri(refused_url())
        return result

    monkeypatch.setattr(module, name, then_gone)


def personaqa_lines(err: str) -> list[str]:
    """personaqa's own stderr lines (in-process, MLflow's and the embedder's log lines share stderr)."""
    return [line for line in error_lines(err) if line.startswith("personaqa:")]


def fake_config():
    from personaqa.programs.config import LMConfig, RunConfig

    return RunConfig(lm=LMConfig(model="fake-task"), max_interests=1, max_types_per_interest=1)


def test_compile_with_the_store_gone_after_the_work_keeps_the_program_and_warns(
    tmp_path, capsys, monkeypatch, fake_task_lm
):
    from personaqa.optimize import compile_run
    from personaqa.optimize.compile_run import CompileJob, run_compile

    store_goes_away_after(monkeypatch, compile_run, "save_program_state")
    out = tmp_path / "writer.json"
    result = run_compile(
        CompileJob(
            config=fake_config(),
            trainset=LABELLED / "train.jsonl",
            out=out,
            devset=LABELLED / "dev.jsonl",
            optimizer="labeled",
            target="writer",
            limit_train=2,
            limit_dev=2,
            measure_agreement=False,
        )
    )
    assert result.out == out and out.is_file()
    (line,) = personaqa_lines(capsys.readouterr().err)
    assert line.startswith("personaqa: warning: MLflow logging failed (connection refused")
    assert f"the compile run (the program is saved at {out}) not logged" in line
    assert mlflow.active_run() is None


def test_compare_with_the_store_gone_after_the_work_keeps_its_outputs_and_warns(
    tmp_path, capsys, monkeypatch, fake_task_lm
):
    from personaqa.optimize import compare_run
    from personaqa.optimize.compare_run import CompareJob, run_compare

    store_goes_away_after(monkeypatch, compare_run, "_write_outputs")
    out = tmp_path / "cmp"
    reports = run_compare(
        CompareJob(
            config=fake_config(),
            devset=LABELLED / "dev.jsonl",
            out_dir=out,
            programs=["baseline"],
            target="writer",
            limit_dev=2,
        )
    )
    assert [r.name for r in reports] == ["baseline"] and (out / "compare.json").is_file()
    (line,) = personaqa_lines(capsys.readouterr().err)
    assert line.startswith("personaqa: warning: MLflow logging failed") and "the compare run" in line
    assert mlflow.active_run() is None
