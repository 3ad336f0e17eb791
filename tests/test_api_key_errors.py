"""An endpoint that wants an API key it was not given says so, with the flag to pass: not "endpoint
unreachable", not DSPy's advice for Python users (`dspy.LM(api_key=...)`). Fake endpoint on loopback."""

from __future__ import annotations

import dspy
import pytest
from fake_endpoint import Faults
from robustness_helpers import FaultEndpoint, assert_one_error_line, run_cli, write_docs, write_personas


@pytest.fixture(autouse=True)
def _restore_dspy_cache(monkeypatch):
    monkeypatch.setattr(dspy, "cache", dspy.cache)


def generate(tmp_path, url: str, capsys, *extra: str) -> tuple[int, str, str]:
    docs = write_docs(tmp_path / "docs")
    personas = write_personas(tmp_path / "personas.yaml")
    return run_cli(
        [
            "generate",
            "--docs",
            docs,
            "--personas",
            personas,
            "--out",
            tmp_path / "out",
            "--lm",
            "openai/fake",
            "--api-base",
            url,
            "--no-mlflow",
            "--quiet",
            *extra,
        ],
        capsys,
    )


def test_401_without_api_key_env_names_the_missing_key_and_the_flag(tmp_path, capsys):
    with FaultEndpoint(faults=Faults(every_call_status=401)) as endpoint:
        code, _, err = generate(tmp_path, endpoint.base_url, capsys)
    assert code == 2
    line = assert_one_error_line(err, "missing API key", "--api-key-env")
    assert "unreachable" not in line and "dspy.LM" not in line
    assert not (tmp_path / "out").exists()


def test_401_with_api_key_env_says_the_key_was_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PERSONAQA_TEST_KEY", "sk-wrong")
    with FaultEndpoint(faults=Faults(every_call_status=401)) as endpoint:
        code, _, err = generate(tmp_path, endpoint.base_url, capsys, "--api-key-env", "PERSONAQA_TEST_KEY")
    assert code == 2
    line = assert_one_error_line(err, "refused the API key in $PERSONAQA_TEST_KEY")
    assert "sk-wrong" not in line
