"""Shared helpers for the bad-input, LM-fault, crash-safety and secrets tests.

`FaultEndpoint` extends the loopback `FakeEndpoint` (tests/fake_endpoint.py) with what these tests need
to observe: when each request arrived, with which Authorization header, and a hook to rewrite answers
(e.g. an LM that follows a prompt injection).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fake_endpoint
from fake_endpoint import FakeEndpoint

REPO = Path(__file__).resolve().parents[1]

DOCS = {
    "harbor.md": "# Harbor merger\n\nThe Competition Authority reviews the Harbor Analytics merger. "
    "A decision is due by 18 July 2026. The break fee is 40 million euros.\n",
    "kettle.md": "# Kestrel kettle\n\nThe Kestrel K2 kettle boils 1.5 litres in four minutes. "
    "Descale it every two months with white vinegar.\n",
}
THREE_DOCS = {
    **DOCS,
    "policy.md": "# Remote work\n\nNorthwind staff may work remotely three days a week after "
    "90 days. The home office allowance is 600 euros.\n",
}
PERSONAS_YAML = "- name: analyst\n  description: A data journalist who wants exact figures.\n"


def write_docs(folder: Path, docs: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (docs or DOCS).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_personas(path: Path, text: str = PERSONAS_YAML) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def write_config(path: Path, **lm: Any) -> Path:
    """A run.yaml with only `lm:` settings (structured_output, num_retries, timeout, ...)."""
    lines = ["lm:"] + [f"  {key}: {json.dumps(value)}" for key, value in lm.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the endpoint -------------------------------------------------------------------------------------------


class FaultEndpoint(FakeEndpoint):
    """FakeEndpoint that records arrival time and Authorization of every request and can rewrite answers."""

    def __init__(self, *args: Any, rewrite: Callable[[dict, dict], dict] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.arrivals: list[float] = []
        self.authorizations: list[str] = []
        self.statuses: list[int] = []  # per answered request, in answer order
        self.rewrite = rewrite
        self._current = threading.local()

    def _handle(self, handler: Any, body: dict[str, Any]) -> None:
        with self._lock:
            self.arrivals.append(time.monotonic())
            self.authorizations.append(handler.headers.get("Authorization", ""))
        self._current.body = body
        super()._handle(handler, body)

    def _send(self, handler: Any, status: int, payload: Any, headers: dict | None = None) -> None:
        if status == 200 and self.rewrite is not None and isinstance(payload, dict):
            payload = self.rewrite(self._current.body, payload)
        with self._lock:
            self.statuses.append(status)
        super()._send(handler, status, payload, headers)

    def work_requests(self, start: int = 0) -> list[str]:
        """Canonical request bodies from `start`, without the start-up structured-output probe."""
        bodies = [json.dumps(r.get("messages"), sort_keys=True) for r in self.requests[start:]]
        return [b for b in bodies if "Answer with the word ok." not in b]  # lms._Probe's instruction


def literal_enum_answers(monkeypatch: Any) -> None:
    """Without a response schema the fake endpoint answers every `verdict` with 'fully', which the generality
    judge (insightful / pedantic_or_general / missing_context) cannot parse. Answer a Literal field with its
    first allowed value instead, as an LM that reads the prompt would."""
    import re

    original = fake_endpoint.answer_without_schema

    def answer(prompt: str, seed: str) -> dict[str, Any]:
        out = original(prompt, seed)
        line = next((l for l in reversed(prompt.splitlines()) if "Respond with" in l), "")
        for name, hint in fake_endpoint._FIELDS.findall(line):
            choices = re.findall(r"'([^']*)'", hint) if hint.startswith("Literal[") else []
            if choices:
                out[name] = choices[0]
        return out

    monkeypatch.setattr(fake_endpoint, "answer_without_schema", answer)


# -- running the CLI ----------------------------------------------------------------------------------------


def run_cli(argv: list[str], capsys: Any) -> tuple[int, str, str]:
    """`personaqa ...` in-process: (exit code, stdout, stderr). A traceback fails the test."""
    from personaqa.programs.cli import main

    capsys.readouterr()
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def cli_command(*args: Any) -> list[str]:
    return [sys.executable, "-m", "personaqa.programs.cli", *map(str, args)]


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "TOKENIZERS_PARALLELISM": "false",
        }
    )
    env.update(extra)
    return env


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def assert_one_error_line(err: str, *fragments: str) -> str:
    """stderr is exactly one line, `personaqa: error: ...`, holding every fragment (file, line, field)."""
    lines = error_lines(err)
    assert len(lines) == 1, f"expected one stderr line, got:\n{err}"
    line = lines[0]
    assert line.startswith("personaqa: error: "), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


# -- checking outputs ---------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), f"{path}: last line is not terminated"
    return [json.loads(line) for line in text.split("\n") if line]


def check_complete_outputs(out: Path) -> dict[str, bool]:
    """Every output file that exists in `out` is complete and valid. Returns which ones exist.

    The checkpoint log `.personaqa/units.jsonl` is an append log whose last line may be torn by a kill
    (the runner drops it on resume): every line but a torn last one must parse."""
    present: dict[str, bool] = {}
    for name in ("questions.jsonl", "rejected.jsonl"):
        path = out / name
        present[name] = path.exists()
        if path.exists():
            read_jsonl(path)
    present["run.json"] = (out / "run.json").exists()
    if present["run.json"]:
        run = json.loads((out / "run.json").read_text(encoding="utf-8"))
        assert "counts" in run
    beir = out / "beir"
    present["beir"] = beir.exists()
    if beir.exists():
        corpus = read_jsonl(beir / "corpus.jsonl")
        queries = read_jsonl(beir / "queries.jsonl")
        qrels = (beir / "qrels" / "test.tsv").read_text(encoding="utf-8")
        assert qrels.startswith("query-id\tcorpus-id\tscore\n") and qrels.endswith("\n")
        rows = [line.split("\t") for line in qrels.splitlines()[1:]]
        assert all(len(row) == 3 for row in rows)
        ids = {c["_id"] for c in corpus}
        assert {row[1] for row in rows} <= ids
        assert {row[0] for row in rows} == {q["_id"] for q in queries}
    dataset = out / "dataset"
    present["dataset"] = dataset.exists()
    if dataset.exists():
        from datasets import load_from_disk

        load_from_disk(str(dataset))
    work = out / ".personaqa"
    if (work / "fingerprint.json").exists():
        json.loads((work / "fingerprint.json").read_text())
    units = work / "units.jsonl"
    if units.exists():
        complete = units.read_bytes().split(b"\n")[:-1]  # after the last newline: a torn line (dropped)
        for line in complete:
            json.loads(line)
    return present
