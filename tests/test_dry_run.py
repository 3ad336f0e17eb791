"""`generate --dry-run` (counts and estimate, no LM built or called) and `--max-calls` (a clean, resumable
stop) on the scripted LM and bag-of-words embedder of test_runner."""

from __future__ import annotations

import json

import pytest
import test_runner
from personaqa.programs.cli import main
from personaqa.programs.config import LMConfig, RunConfig
from personaqa.programs.core.errors import CallCapReached
from personaqa.programs.core.records import Persona
from personaqa.programs.recipe.program_io import default_program
from personaqa.programs.run.estimate import MEASURED, MeasuredRun, describe, estimate_run, price
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.runner import run_generation
from test_runner import make_job

docs = test_runner.docs  # fixtures
engines = test_runner.engines

# The lawyer's examples are about the merger document, the parent's about the home-office policy: with a
# stake threshold, each persona passes on the other's document.
GATED = [
    Persona(
        name="lawyer",
        description="A competition lawyer; formal questions.",
        examples=(
            "What break fee applies if the Harbor merger fails?",
            "When is the review deadline of the merger?",
        ),
    ),
    Persona(
        name="parent",
        description="A busy parent; short lowercase questions.",
        examples=(
            "can staff work from home two days a week",
            "how many days a week may staff work from home",
        ),
    ),
]


def gated_job(docs, out, threshold: float) -> GenerationJob:
    job = make_job(docs, out, persona_stake_threshold=threshold)
    job.personas = GATED
    return job


def test_dry_run_counts_units_as_the_run_gates_them(docs, tmp_path, engines):
    threshold = 0.3
    estimate = estimate_run(gated_job(docs, tmp_path / "dry", threshold))
    assert (estimate.documents, estimate.chunks, estimate.units) == (2, 2, 4)
    assert 0 < estimate.asked_units < estimate.units  # the gate passes some units, not all

    run_generation(gated_job(docs, tmp_path / "real", threshold))
    counts = json.loads((tmp_path / "real" / "run.json").read_text(encoding="utf-8"))["counts"]
    assert estimate.asked_units == counts["units"] - counts["units_passed"]
    assert (
        engines["fake-task"].calls["interests"] == estimate.asked_units
    )  # one interests call per asked unit


def test_the_measured_run_names_only_lm_stages():
    """A measured run's stages are the program's LM stages (a renamed or removed stage would be estimated
    as calls nobody makes)."""
    from personaqa.programs.recipe.chain import LM_STAGES

    for measured in MEASURED.values():
        assert set(measured.calls) <= set(LM_STAGES) and measured.asked_units > 0


def test_dry_run_scales_per_asked_unit(docs, tmp_path, engines):
    job = make_job(docs, tmp_path / "dry", persona_stake_threshold=0)
    estimate = estimate_run(job)
    measured = MEASURED["default"]
    assert estimate.asked_units == 4  # personas without examples are asked about every chunk
    assert estimate.calls_by_stage == {
        stage: round(n / measured.asked_units * 4) for stage, n in measured.calls.items()
    }
    assert estimate.input_tokens == round(measured.input_tokens / measured.asked_units * 4)


def default_program_job(docs, out, monkeypatch, groups: int) -> GenerationJob:
    """A job of the default program on every unit (no stake gate) with `groups` multi-chunk units."""
    monkeypatch.setattr(
        "personaqa.programs.run.estimate.complex_units", lambda job, total, chunks=None: [object()] * groups
    )
    job = make_job(docs, out, persona_stake_threshold=0)
    job.program_path = default_program()
    return job


def test_multi_chunk_units_without_a_measured_rate_are_reported_as_an_extrapolation(
    docs, tmp_path, engines, monkeypatch
):
    monkeypatch.setattr("personaqa.programs.run.estimate.MEASURED_MULTI_CHUNK", {})
    estimate = estimate_run(default_program_job(docs, tmp_path / "dry", monkeypatch, groups=3))
    single = MEASURED["default"]
    assert (estimate.asked_units, estimate.complex_units) == (4, 3)
    assert estimate.calls_by_stage == {
        stage: round(n / single.asked_units * 7) for stage, n in single.calls.items()
    }
    assert estimate.multi_chunk_extrapolated
    report = "\n".join(describe(estimate, RunConfig()))
    assert "(multi-chunk part extrapolated, see note)" in report
    assert "note: extrapolation: the 3 multi-chunk units are counted at the single-chunk rate" in report

    no_groups = estimate_run(default_program_job(docs, tmp_path / "dry2", monkeypatch, groups=0))
    assert not no_groups.multi_chunk_extrapolated
    assert "extrapolat" not in "\n".join(describe(no_groups, RunConfig()))


def test_multi_chunk_units_use_their_measured_rate_when_there_is_one(docs, tmp_path, engines, monkeypatch):
    multi = MeasuredRun(
        source="a measured run of multi-chunk units",
        asked_units=2,
        calls={"generation": 10, "relevance": 6, "complex_only": 4},
        input_tokens=9000,
        output_tokens=800,
        kept=1,
    )
    monkeypatch.setattr("personaqa.programs.run.estimate.MEASURED_MULTI_CHUNK", {"default": multi})
    estimate = estimate_run(default_program_job(docs, tmp_path / "dry", monkeypatch, groups=3))
    single = MEASURED["default"]
    assert estimate.calls_by_stage["generation"] == round(
        single.calls["generation"] / single.asked_units * 4 + 15
    )
    assert estimate.calls_by_stage["relevance"] == round(
        single.calls["relevance"] / single.asked_units * 4 + 9
    )
    assert estimate.calls_by_stage["complex_only"] == 6  # a stage only the multi-chunk units call
    assert estimate.calls_by_stage["interests"] == round(single.calls["interests"] / single.asked_units * 4)
    assert estimate.input_tokens == round(single.input_tokens / single.asked_units * 4 + 9000 / 2 * 3)
    assert not estimate.multi_chunk_extrapolated
    report = "\n".join(describe(estimate, RunConfig()))
    assert "extrapolat" not in report and "multi-chunk units scaled from: a measured run" in report


def test_cli_dry_run_calls_no_lm_and_writes_nothing(docs, tmp_path, engines, capsys, monkeypatch):
    def no_lm(config):
        raise AssertionError("a dry run built an LM")

    for module in (
        "personaqa.programs.recipe.build",
        "personaqa.programs.run.units",
        "personaqa.programs.run.finalise",
    ):
        monkeypatch.setattr(f"{module}.build_lm", no_lm)
    out = tmp_path / "out"
    code = main(
        [
            "generate",
            "--docs",
            str(docs),
            "--out",
            str(out),
            "--lm",
            "openai/gpt-4o-mini",
            "--api-key-env",
            "NO_SUCH_KEY_VARIABLE",
            "--dry-run",
            "--no-mlflow",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "documents: 2, chunks: 2" in printed and "estimated LM calls:" in printed
    assert "estimated cost: $" in printed  # gpt-4o-mini is in LiteLLM's bundled price list
    assert not out.exists()


def test_price_is_none_for_in_process_and_unknown_models():
    assert price(RunConfig(), 1000, 100) is None
    assert price(RunConfig(lm=LMConfig(model="hosted_vllm/my-own-model")), 1000, 100) is None
    assert price(RunConfig(lm=LMConfig(model="openai/gpt-4o-mini")), 1_000_000, 0) == pytest.approx(0.15)


def test_max_calls_stops_cleanly_and_the_rerun_finishes_the_same_set(docs, tmp_path, engines):
    reference = tmp_path / "reference"
    run_generation(make_job(docs, reference))

    out = tmp_path / "capped"
    job = make_job(docs, out)
    job.max_calls = 1
    with pytest.raises(CallCapReached) as stop:
        run_generation(job)
    assert stop.value.exit_code == 5 and "rerun the same command" in str(stop.value)
    assert not (out / "questions.jsonl").exists()  # no partial outputs, only checkpoints
    units_done = (out / ".personaqa" / "units.jsonl").read_text(encoding="utf-8").splitlines()
    assert 1 <= len(units_done) < 4

    run_generation(make_job(docs, out))  # the same command without the cap resumes
    assert (out / "questions.jsonl").read_bytes() == (reference / "questions.jsonl").read_bytes()


def test_cli_max_calls_exit_5_with_one_line(docs, tmp_path, engines, capsys, monkeypatch):
    monkeypatch.setenv("PERSONAQA_TEST_KEY", "x")
    out = tmp_path / "out"
    code = main(
        [
            "generate",
            "--docs",
            str(docs),
            "--out",
            str(out),
            "--lm",
            "fake-task",
            "--api-key-env",
            "PERSONAQA_TEST_KEY",
            "--max-calls",
            "1",
            "--no-mlflow",
            "--quiet",
        ]
    )
    assert code == 5
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("personaqa:")]
    assert len(err) == 1 and "--max-calls 1: stopped after" in err[0]


def test_max_calls_below_one_is_refused(docs, tmp_path, capsys):
    assert main(["generate", "--docs", str(docs), "--out", str(tmp_path / "o"), "--max-calls", "0"]) == 2
    assert "--max-calls must be at least 1" in capsys.readouterr().err
