"""LM endpoint faults, injected by the loopback fake endpoint (real HTTP, no mocks of our code), through
`personaqa generate --lm openai/fake --api-base URL`.

What each fault gets (also in docs/errors.md):

| fault                                 | outcome                                                      |
|---------------------------------------|--------------------------------------------------------------|
| 429 once (Retry-After: 0)             | retry after Retry-After; the run succeeds                    |
| 500 once                              | retry after 1 s backoff; the run succeeds                    |
| read timeout once                     | retry (timeout + 1 s backoff); the run succeeds              |
| 500 / timeout on every retry          | abort, exit 3, one line; rerun resumes, no unit redone       |
| endpoint dies mid-run                 | abort, exit 3; rerun resumes to an uninterrupted run's files |
| connection refused                    | abort, exit 3, one line                                      |
| 401                                   | abort at once, exit 3, not retried                           |
| 400 for one call                      | reject that item (`lm_error`), not retried, run goes on      |
| answer cut at max_tokens              | reject that item (`lm_error`), run goes on                   |
| malformed JSON, unconstrained decoding | reject that item (`lm_error`), run goes on                  |

DSPy retries `lm.num_retries` times (transport errors, timeouts, 429, 5xx) with exponential backoff
(1 s, 2 s, 4 s ... or the server's Retry-After); the tests set `num_retries` to 1 or 2 to stay fast."""

from __future__ import annotations

import json
from pathlib import Path

import dspy
import pytest
from fake_endpoint import Faults
from robustness_helpers import (
    FaultEndpoint,
    assert_one_error_line,
    literal_enum_answers,
    read_jsonl,
    run_cli,
    write_config,
    write_docs,
    write_personas,
)

COMPARED = (
    "questions.jsonl",
    "rejected.jsonl",
    "beir/corpus.jsonl",
    "beir/queries.jsonl",
    "beir/qrels/test.tsv",
)


@pytest.fixture(autouse=True)
def _restore_dspy_cache(monkeypatch):
    monkeypatch.setattr(dspy, "cache", dspy.cache)  # run_generation reconfigures the global LM cache


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fault-inputs")

    def config(name: str, **lm):
        lm.setdefault("structured_output", "json_schema")
        return write_config(root / f"{name}.yaml", **lm)

    return {
        "docs": write_docs(root / "docs"),
        "personas": write_personas(root / "personas.yaml"),
        # json_schema: no start-up probe, so call N of the endpoint is the N-th call of the run
        "config": config("run", num_retries=1, timeout=10),
        "fast_timeout": config("timeout", num_retries=1, timeout=1),
        "two_retries": config("retries", num_retries=2, timeout=10),
        "no_retries": config("noretry", num_retries=0, timeout=10),
        "none": config("none", structured_output="none", num_retries=1, timeout=10),
        "raised_timeout": config("raised", num_retries=1, timeout=30),
    }


def generate(inputs, out: Path, url: str, capsys, config: str = "config") -> tuple[int, str, str]:
    return run_cli(
        [
            "generate",
            "--docs",
            inputs["docs"],
            "--personas",
            inputs["personas"],
            "--out",
            out,
            "--lm",
            "openai/fake",
            "--api-base",
            url,
            "--config",
            inputs[config],
            "--no-mlflow",
            "--quiet",
        ],
        capsys,
    )


@pytest.fixture(scope="module")
def reference(inputs, tmp_path_factory) -> dict:
    """An uninterrupted run on a healthy endpoint: its files and its LM requests."""
    out = tmp_path_factory.mktemp("reference") / "out"
    with FaultEndpoint() as endpoint:
        from personaqa.programs.cli import main

        previous = dspy.cache
        try:
            argv = [
                "generate",
                "--docs",
                inputs["docs"],
                "--personas",
                inputs["personas"],
                "--out",
                out,
                "--lm",
                "openai/fake",
                "--api-base",
                endpoint.base_url,
                "--config",
                inputs["config"],
                "--no-mlflow",
                "--quiet",
            ]
            assert main([str(a) for a in argv]) == 0
        finally:
            dspy.cache = previous
    return {
        "out": out,
        "calls": endpoint.calls,
        "requests": endpoint.work_requests(),
        "questions": read_jsonl(out / "questions.jsonl"),
    }


def assert_same_files(out: Path, reference: dict) -> None:
    for name in COMPARED:
        assert (out / name).read_bytes() == (reference["out"] / name).read_bytes(), name
    counts = json.loads((out / "run.json").read_text())["counts"]
    assert counts == json.loads((reference["out"] / "run.json").read_text())["counts"]


def assert_nothing_final(out: Path) -> None:
    for name in ("questions.jsonl", "rejected.jsonl", "run.json", "beir", "dataset"):
        assert not (out / name).exists(), name


def answered(endpoint: FaultEndpoint) -> set[str]:
    """Requests the endpoint answered with 200 (sequential run: answers come in request order)."""
    bodies = [json.dumps(r.get("messages"), sort_keys=True) for r in endpoint.requests]
    assert len(endpoint.statuses) <= len(bodies)
    return {b for b, status in zip(bodies, endpoint.statuses) if status == 200}


def units_done(out: Path) -> int:
    path = out / ".personaqa" / "units.jsonl"
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_reference_run_shape(reference):
    # 2 units x 1 persona, no probe; question types are sampled, not asked (no question_types call)
    assert reference["calls"] == len(reference["requests"]) == 19
    assert len(reference["questions"]) == 4


# -- retried, then the run succeeds ---------------------------------------------------------------------


def test_429_once_is_retried_after_retry_after_and_the_run_succeeds(inputs, reference, tmp_path, capsys):
    with FaultEndpoint(faults=Faults(status={1: 429})) as endpoint:
        code, _, err = generate(inputs, tmp_path / "out", endpoint.base_url, capsys)
    assert code == 0, err
    assert endpoint.statuses[:2] == [429, 200]
    assert endpoint.requests[0] == endpoint.requests[1]  # the same request again
    assert endpoint.calls == reference["calls"] + 1
    assert endpoint.arrivals[1] - endpoint.arrivals[0] < 1.0  # Retry-After: 0 honoured, not the 1 s backoff
    assert_same_files(tmp_path / "out", reference)


def test_500_once_is_retried_with_backoff_and_the_run_succeeds(inputs, reference, tmp_path, capsys):
    with FaultEndpoint(faults=Faults(status={1: 500})) as endpoint:
        code, _, err = generate(inputs, tmp_path / "out", endpoint.base_url, capsys)
    assert code == 0, err
    assert endpoint.statuses[:2] == [500, 200] and endpoint.requests[0] == endpoint.requests[1]
    assert endpoint.calls == reference["calls"] + 1
    assert endpoint.arrivals[1] - endpoint.arrivals[0] >= 0.9  # exponential backoff starts at 1 s
    assert_same_files(tmp_path / "out", reference)


def test_timeout_once_is_retried_and_the_run_succeeds(inputs, reference, tmp_path, capsys):
    with FaultEndpoint(faults=Faults(hang={1})) as endpoint:
        code, _, err = generate(inputs, tmp_path / "out", endpoint.base_url, capsys, config="fast_timeout")
    assert code == 0, err
    assert endpoint.requests[0] == endpoint.requests[1]
    assert endpoint.arrivals[1] - endpoint.arrivals[0] >= 1.5  # 1 s timeout + 1 s backoff
    assert_same_files(tmp_path / "out", reference)


# -- persistent failure: abort with exit 3, then resume -------------------------------------------------


def test_persistent_500_aborts_after_num_retries_then_resumes_without_redoing_work(
    inputs, reference, tmp_path, capsys
):
    out = tmp_path / "out"
    # unit 1 is calls 1-14; from call 16 on (unit 2's second call) every answer is a 500
    with FaultEndpoint(faults=Faults(status={n: 500 for n in range(16, 500)})) as endpoint:
        code, out_text, err = generate(inputs, out, endpoint.base_url, capsys, config="two_retries")
        assert code == 3
        assert_one_error_line(
            err, "LM endpoint unusable", "LMServerError", "rerun the same command to resume"
        )
        assert out_text == ""
        # num_retries=2: the failing request went out 3 times, 1 s then 2 s apart (exponential backoff)
        assert endpoint.calls == 15 + 3
        assert endpoint.requests[15] == endpoint.requests[16] == endpoint.requests[17]
        gaps = [endpoint.arrivals[i + 1] - endpoint.arrivals[i] for i in (15, 16)]
        assert gaps[0] >= 0.9 and gaps[1] >= 1.9, gaps
        assert_nothing_final(out)
        assert units_done(out) == 1
        first_answered = answered(endpoint)

        endpoint.faults = Faults()  # the endpoint recovers; the same command runs again
        start = endpoint.calls
        code, _, err = generate(inputs, out, endpoint.base_url, capsys, config="two_retries")
    assert code == 0, err
    assert not set(endpoint.work_requests(start)) & first_answered  # no answered call repeated (LM cache)
    assert endpoint.calls - start == reference["calls"] - 15
    assert_same_files(out, reference)


def test_persistent_timeout_aborts_with_a_hint_then_resumes(inputs, reference, tmp_path, capsys):
    out = tmp_path / "out"
    with FaultEndpoint(faults=Faults(hang={1, 2})) as endpoint:
        code, _, err = generate(inputs, out, endpoint.base_url, capsys, config="fast_timeout")
        assert code == 3
        assert_one_error_line(
            err,
            "LM endpoint unusable during stage 'interests'",
            "timed out",
            "lm.timeout",
            "rerun the same command to resume",
        )
        assert_nothing_final(out)
        endpoint.faults = Faults()
        code, _, err = generate(inputs, out, endpoint.base_url, capsys, config="fast_timeout")
    assert code == 0, err
    assert_same_files(out, reference)


@pytest.mark.parametrize("change", ["new_url", "raised_timeout"])
def test_resume_after_changing_only_transport_settings(change, inputs, reference, tmp_path, capsys):
    out = tmp_path / "out"
    with FaultEndpoint(faults=Faults(die_after=16)) as endpoint:
        code, _, _ = generate(inputs, out, endpoint.base_url, capsys)
        assert code == 3 and units_done(out) == 1
        endpoint.faults = Faults()
        if change == "raised_timeout":
            code, _, err = generate(inputs, out, endpoint.base_url, capsys, config="raised_timeout")
    if change == "new_url":
        with FaultEndpoint() as moved:
            code, _, err = generate(inputs, out, moved.base_url, capsys)
    assert code == 0, err
    assert_same_files(out, reference)


def test_without_retries_the_first_500_aborts(inputs, tmp_path, capsys):
    with FaultEndpoint(faults=Faults(status={1: 500})) as endpoint:
        code, _, err = generate(inputs, tmp_path / "out", endpoint.base_url, capsys, config="no_retries")
    assert code == 3
    assert_one_error_line(err, "LMServerError")
    assert endpoint.statuses[0] == 500
    assert endpoint.requests[0] not in endpoint.requests[1:]  # never resent (the other unit in flight ran)


def test_401_aborts_at_once_without_retry(inputs, tmp_path, capsys):
    with FaultEndpoint(faults=Faults(every_call_status=401)) as endpoint:
        code, _, err = generate(inputs, tmp_path / "out", endpoint.base_url, capsys)
    assert code == 3
    assert_one_error_line(err, "LMAuthError")
    assert len({json.dumps(r, sort_keys=True) for r in endpoint.requests}) == endpoint.calls  # none repeated
    assert_nothing_final(tmp_path / "out")


def test_connection_refused_is_exit_3(inputs, tmp_path, capsys):
    """No probe (structured_output is configured): the refusal surfaces in the first unit, after retries."""
    code, _, err = generate(inputs, tmp_path / "out", "http://127.0.0.1:9/v1", capsys)
    assert code == 3
    assert_one_error_line(err, "LMTransportError", "Connection refused", "rerun the same command to resume")
    assert_nothing_final(tmp_path / "out")


def test_endpoint_dying_mid_run_aborts_then_resume_equals_an_uninterrupted_run(
    inputs, reference, tmp_path, capsys
):
    out = tmp_path / "out"
    with FaultEndpoint(faults=Faults(die_after=16)) as endpoint:
        code, _, err = generate(inputs, out, endpoint.base_url, capsys)
        assert code == 3
        assert_one_error_line(err, "LM endpoint unusable", "LMTransportError")
        assert_nothing_final(out)
        assert units_done(out) == 1
        assert endpoint.calls == 16 + 2  # the 17th call and its retry found the connection closed
        first_answered = answered(endpoint)
        assert len(first_answered) == 16

        endpoint.faults = Faults()  # back up, same URL
        start = endpoint.calls
        code, _, err = generate(inputs, out, endpoint.base_url, capsys)
    assert code == 0, err
    assert not set(endpoint.work_requests(start)) & first_answered
    assert endpoint.calls - start == reference["calls"] - 16
    assert_same_files(out, reference)


# -- one bad answer: that item is rejected, the run goes on ---------------------------------------------


def _lm_errors(out: Path) -> list[dict]:
    return [r for r in read_jsonl(out / "rejected.jsonl") if r["stage"] == "lm_error"]


def test_truncated_answer_rejects_that_item_and_the_run_goes_on(inputs, reference, tmp_path, capsys):
    out = tmp_path / "out"
    with FaultEndpoint(faults=Faults(truncated={3})) as endpoint:  # call 3: unit 1's first question
        code, _, err = generate(inputs, out, endpoint.base_url, capsys)
    assert code == 0, err
    assert endpoint.calls < reference["calls"]  # the rejected question is not judged or styled
    errors = _lm_errors(out)
    assert len(errors) == 1 and "finish_reason=length" in errors[0]["reason"], errors
    questions = read_jsonl(out / "questions.jsonl")
    assert len(questions) == len(reference["questions"]) - 1
    assert all(q in reference["questions"] for q in questions)  # every other record exactly as before
    assert errors[0]["question_id"] not in {q["question_id"] for q in questions}


def test_http_400_for_one_call_rejects_that_item_without_retry(inputs, reference, tmp_path, capsys):
    out = tmp_path / "out"
    with FaultEndpoint(faults=Faults(status={3: 400})) as endpoint:
        code, _, err = generate(inputs, out, endpoint.base_url, capsys)
    assert code == 0, err
    assert endpoint.requests[2] not in endpoint.requests[3:]  # not retried
    errors = _lm_errors(out)
    assert len(errors) == 1 and "LMInvalidRequestError" in errors[0]["reason"], errors
    assert len(read_jsonl(out / "questions.jsonl")) == len(reference["questions"]) - 1


def test_malformed_json_without_constrained_decoding_rejects_that_item(inputs, tmp_path, capsys, monkeypatch):
    literal_enum_answers(monkeypatch)
    with FaultEndpoint() as endpoint:
        code, _, err = generate(inputs, tmp_path / "healthy", endpoint.base_url, capsys, config="none")
    assert code == 0, err
    assert all("response_format" not in r for r in endpoint.requests)  # really unconstrained
    healthy_questions = read_jsonl(tmp_path / "healthy" / "questions.jsonl")
    assert healthy_questions and not _lm_errors(tmp_path / "healthy")

    out = tmp_path / "out"
    with FaultEndpoint(faults=Faults(malformed={3})) as endpoint:
        code, _, err = generate(inputs, out, endpoint.base_url, capsys, config="none")
    assert code == 0, err
    errors = _lm_errors(out)
    assert len(errors) == 1 and "AdapterParseError" in errors[0]["reason"], errors
    questions = read_jsonl(out / "questions.jsonl")
    assert len(questions) == len(healthy_questions) - 1 and all(q in healthy_questions for q in questions)
