"""A generate run killed with SIGKILL mid-way resumes: no finished LM work repeated, nothing lost or
duplicated, and the final files equal those of an uninterrupted run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from fake_endpoint import FakeEndpoint
from robustness_helpers import THREE_DOCS

PERSONAS = (
    "- name: analyst\n  description: A data journalist.\n- name: parent\n  description: A busy parent.\n"
)


def _command(docs: Path, personas: Path, out: Path, url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "personaqa.programs.cli",
        "generate",
        "--docs",
        str(docs),
        "--personas",
        str(personas),
        "--out",
        str(out),
        "--lm",
        "openai/fake",
        "--api-base",
        url,
        "--quiet",
        "--no-mlflow",
    ]


def _work_requests(endpoint: FakeEndpoint, start: int) -> list[str]:
    """Request bodies after `start`, without the start-up structured-output probe."""
    bodies = [json.dumps(r["messages"], sort_keys=True) for r in endpoint.requests[start:]]
    return [b for b in bodies if "ping" not in b]


def test_sigkill_mid_run_then_resume_repeats_no_lm_work(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in THREE_DOCS.items():
        (docs / name).write_text(text)
    personas = tmp_path / "personas.yaml"
    personas.write_text(PERSONAS)
    with FakeEndpoint(latency=0.05) as endpoint:
        reference = tmp_path / "reference"
        subprocess.run(_command(docs, personas, reference, endpoint.base_url), check=True, timeout=300)
        reference_calls = len(_work_requests(endpoint, 0))

        out = tmp_path / "out"
        start = len(endpoint.requests)
        process = subprocess.Popen(_command(docs, personas, out, endpoint.base_url))
        units = out / ".personaqa" / "units.jsonl"
        deadline = time.monotonic() + 240
        while not (units.exists() and len(units.read_text().splitlines()) >= 2):
            assert process.poll() is None, "the run finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert not (out / "questions.jsonl").exists()
        first = _work_requests(endpoint, start)

        resumed_from = len(endpoint.requests)
        subprocess.run(_command(docs, personas, out, endpoint.base_url), check=True, timeout=300)
        second = _work_requests(endpoint, resumed_from)

    assert 0 < len(first) < reference_calls
    # Only the one request in flight at the kill (sent, never answered to the client) may be sent again.
    repeated = set(second) & set(first)
    assert len(repeated) <= 1, f"the resumed run repeated {len(repeated)} finished LM calls"
    assert (
        len(first) + len(second) >= reference_calls - 1
    )  # nothing skipped (a call cut by the kill may be redone)
    for name in ("questions.jsonl", "rejected.jsonl"):
        assert (out / name).read_text() == (reference / name).read_text()
    lines = (out / ".personaqa" / "units.jsonl").read_text().splitlines()
    keys = [(json.loads(l)["chunk_id"], json.loads(l)["persona"]) for l in lines]
    assert len(keys) == len(set(keys)) == 6
    assert (out / "beir" / "qrels" / "test.tsv").read_text() == (
        reference / "beir" / "qrels" / "test.tsv"
    ).read_text()
