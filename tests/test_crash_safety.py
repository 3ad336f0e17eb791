"""`kill -9` at seeded random points of `personaqa generate` and `personaqa compile` (fake endpoint on
loopback): after every kill each output file that exists is complete and valid (JSON parses, every JSONL
line parses, the BEIR folder and the dataset load) and is either the previous or the new version of that
file; running the same command again completes, with the files of an uninterrupted run.

Kill points are chosen by event, not by wall time, so they land in the same phase on a slow machine: after
the k-th LM request reached the endpoint (plus a random jitter), or while the finished units are being
exported (after the last checkpoint line, plus a random jitter)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import dspy
import pytest
from robustness_helpers import (
    REPO,
    THREE_DOCS,
    FaultEndpoint,
    check_complete_outputs,
    cli_command,
    run_cli,
    subprocess_env,
    write_docs,
    write_personas,
)

TWO_PERSONAS = (
    "- name: analyst\n  description: A data journalist.\n- name: parent\n  description: A busy parent.\n"
)
OTHER_PERSONAS = "- name: lawyer\n  description: A competition lawyer; formal questions.\n"
FINAL_FILES = (
    "questions.jsonl",
    "rejected.jsonl",
    "beir/corpus.jsonl",
    "beir/queries.jsonl",
    "beir/qrels/test.tsv",
)
LABELLED = REPO / "experiments" / "labelled"


@pytest.fixture(autouse=True)
def _restore_dspy_cache(monkeypatch):
    monkeypatch.setattr(dspy, "cache", dspy.cache)


def snapshot(out: Path) -> dict[str, bytes | None]:
    return {name: (out / name).read_bytes() if (out / name).exists() else None for name in FINAL_FILES}


def kill_at(process: subprocess.Popen, ready, jitter: float, deadline: float = 120) -> str:
    """SIGKILL `process` once `ready()` holds, after `jitter` seconds. Returns what happened."""
    limit = time.monotonic() + deadline
    while not ready():
        if process.poll() is not None:
            return f"finished before the kill point (exit {process.returncode})"
        assert time.monotonic() < limit, "kill point never reached"
        time.sleep(0.01)
    time.sleep(jitter)
    if process.poll() is not None:
        return f"finished during the jitter (exit {process.returncode})"
    process.send_signal(signal.SIGKILL)
    process.wait()
    return "killed"


def present(out: Path) -> list[str]:
    return sorted(name for name, content in snapshot(out).items() if content is not None)


def units_lines(out: Path) -> int:
    path = out / ".personaqa" / "units.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


def stray_files(out: Path, known: bool = False) -> list[str]:
    """Temporary files and staging folders of atomic writes left in the output folder. Unless `known`, the
    `tmp*` scratch folder of export.write_dataset is not counted (a known defect, pinned by
    test_killed_dataset_export_leaves_no_scratch_folder_after_rerun)."""
    stray = []
    for path in out.rglob("*"):
        rel = path.relative_to(out)
        if rel.parts[0] == ".personaqa":
            if rel.name.endswith(".tmp"):
                stray.append(str(rel))
            continue
        if (
            rel.name.endswith(".tmp")
            or (path.is_dir() and rel.name.startswith("."))
            or (path.is_dir() and len(rel.parts) == 1 and rel.name.startswith("tmp") and known)
        ):
            stray.append(str(rel))
    return sorted(stray)


class GenerateSetup:
    def __init__(self, root: Path, endpoint: FaultEndpoint, personas: str = TWO_PERSONAS):
        self.docs = write_docs(root / "docs", THREE_DOCS)
        self.personas = write_personas(root / "personas.yaml", personas)
        self.endpoint = endpoint
        self.root = root

    def argv(self, out: Path, *extra: str) -> list[str]:
        return [
            "generate",
            "--docs",
            str(self.docs),
            "--personas",
            str(self.personas),
            "--out",
            str(out),
            "--lm",
            "openai/fake",
            "--api-base",
            self.endpoint.base_url,
            "--quiet",
            "--no-mlflow",
            *extra,
        ]

    def start(self, out: Path, *extra: str) -> subprocess.Popen:
        log = (self.root / "child.log").open("ab")
        return subprocess.Popen(
            cli_command(*self.argv(out, *extra)), env=subprocess_env(), cwd=REPO, stdout=log, stderr=log
        )

    def reference(self, capsys, personas: str = TWO_PERSONAS) -> tuple[Path, int]:
        """An uninterrupted in-process run of the same command: its output folder and LM request count."""
        out = self.root / f"reference-{len(personas)}"
        self.personas.write_text(personas)
        start = self.endpoint.calls
        code, _, err = run_cli(self.argv(out), capsys)
        assert code == 0, err
        return out, self.endpoint.calls - start


def random_kill_point(rng: random.Random, setup: GenerateSetup, out: Path, reference_calls: int, units: int):
    start = setup.endpoint.calls
    if rng.random() < 0.6:
        k = rng.randint(1, reference_calls)
        return f"after LM request {k}", lambda: setup.endpoint.calls - start >= k, rng.uniform(0, 0.3)
    return "while exporting", lambda: units_lines(out) >= units, rng.uniform(0, 1.5)


@pytest.mark.parametrize("seed", [11, 23])
def test_generate_killed_at_random_points_keeps_files_whole_and_resumes(seed, tmp_path, capsys):
    rng = random.Random(seed)
    with FaultEndpoint(latency=0.02) as endpoint:
        setup = GenerateSetup(tmp_path, endpoint)
        reference, reference_calls = setup.reference(capsys)
        expected = snapshot(reference)
        out = tmp_path / "out"
        events = []
        for _ in range(2):
            what, ready, jitter = random_kill_point(rng, setup, out, reference_calls, units=6)
            process = setup.start(out)
            events.append((what, round(jitter, 2), kill_at(process, ready, jitter), present(out)))
            check_complete_outputs(out)
            for name, content in snapshot(out).items():  # a fresh folder: nothing, or the final version
                assert content is None or content == expected[name], (name, events)

        code, _, err = run_cli(setup.argv(out), capsys)
    print("\nkill events:", events)
    assert code == 0, (err, events)
    assert snapshot(out) == expected, events
    check_complete_outputs(out)
    units = (out / ".personaqa" / "units.jsonl").read_text().splitlines()
    keys = [(u["chunk_id"], u["persona"]) for u in map(json.loads, units)]
    assert len(keys) == len(set(keys)) == 6
    assert not stray_files(out), (stray_files(out), events)


def test_generate_overwrite_killed_leaves_previous_or_new_version_of_each_file(tmp_path, capsys):
    """A finished folder regenerated with --overwrite (other personas) and killed while exporting: each file
    is the old run's or the new run's, whole; the same command run again finishes the new run."""
    rng = random.Random(7)
    with FaultEndpoint(latency=0.02) as endpoint:
        setup = GenerateSetup(tmp_path, endpoint)
        new_reference, new_calls = setup.reference(capsys, OTHER_PERSONAS)
        new = snapshot(new_reference)
        out = tmp_path / "out"
        setup.personas.write_text(TWO_PERSONAS)
        code, _, err = run_cli(setup.argv(out), capsys)
        assert code == 0, err
        old = snapshot(out)
        assert old != new

        setup.personas.write_text(OTHER_PERSONAS)
        events = []
        for phase in ("units", "export"):
            started = time.time()
            process = setup.start(out, "--overwrite")
            units_file = out / ".personaqa" / "units.jsonl"
            # --overwrite recreates units.jsonl: count only lines of the new run (3 units)
            new_units = lambda units_file=units_file, started=started: (
                units_file.exists() and units_file.stat().st_mtime >= started and units_lines(out)
            )
            if phase == "units":  # while the new run's units are being made: the old files must be intact
                k, jitter = rng.randint(1, new_calls - 2), rng.uniform(0, 0.2)
                start = endpoint.calls
                ready = lambda start=start, k=k: endpoint.calls - start >= k
            else:  # while the new run's files are being exported over the old ones
                jitter = rng.uniform(0, 0.6)
                ready = lambda new_units=new_units: (new_units() or 0) >= 3
            events.append((phase, round(jitter, 2), kill_at(process, ready, jitter)))
            check_complete_outputs(out)
            now = snapshot(out)
            for name, content in now.items():
                assert content in (old[name], new[name]), (name, events)
            events[-1] += (sorted(f"{n}:{'new' if c == new[n] else 'old'}" for n, c in now.items()),)
        code, _, err = run_cli(setup.argv(out, "--overwrite"), capsys)
    print("\nkill events:", events)
    assert code == 0, (err, events)
    assert snapshot(out) == new
    assert not stray_files(out), (stray_files(out), events)


def test_compile_killed_at_random_points_keeps_the_program_file_whole(tmp_path):
    """`personaqa compile --stage writer --optimizer labeled` killed at random LM requests: the compiled
    program file is always the previous program or the new one, whole; a rerun writes the new one."""
    from personaqa.programs.config import RunConfig
    from personaqa.programs.recipe.build import build_program
    from personaqa.programs.recipe.program_io import save_program_state

    program_file = tmp_path / "compiled.json"
    save_program_state(build_program(RunConfig()), program_file)  # the previous version: the baseline program
    previous = program_file.read_bytes()
    rng = random.Random(5)
    env = subprocess_env(DSPY_CACHEDIR=str(tmp_path / "dspy-cache"))
    with FaultEndpoint(latency=0.02) as endpoint:
        argv = cli_command(
            "compile",
            "--trainset",
            LABELLED / "train.jsonl",
            "--devset",
            LABELLED / "dev.jsonl",
            "--stage",
            "writer",
            "--optimizer",
            "labeled",
            "--limit-train",
            "2",
            "--limit-dev",
            "2",
            "--no-mlflow",
            "--no-agreement",
            "--out",
            program_file,
            "--lm",
            "openai/fake",
            "--api-base",
            endpoint.base_url,
        )
        seen = []
        events = []
        for attempt in range(2):
            k, jitter = rng.randint(1, 10), rng.uniform(0, 0.5)
            start = endpoint.calls
            # a fresh LM cache per killed run, so that request k really comes (cached answers send none)
            env["DSPY_CACHEDIR"] = str(tmp_path / f"dspy-cache-{attempt}")
            with (tmp_path / "child.log").open("ab") as log:
                process = subprocess.Popen(argv, env=env, cwd=REPO, stdout=log, stderr=log)
            ready = lambda start=start, k=k: endpoint.calls - start >= k
            events.append((k, round(jitter, 2), kill_at(process, ready, jitter)))
            state = json.loads(program_file.read_bytes())  # whole JSON, whichever version
            assert "writer.write" in state
            seen.append(program_file.read_bytes())
        result = subprocess.run(
            argv, check=False, env=env, cwd=REPO, capture_output=True, text=True, timeout=120
        )
    print("\nkill events:", events)
    assert result.returncode == 0, result.stderr[-2000:]
    new = program_file.read_bytes()
    assert new != previous and json.loads(new)["writer.write"]["demos"]
    assert all(content in (previous, new) for content in seen), events
    print("program file after each kill:", ["previous" if c == previous else "new" for c in seen])
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# -- deterministic kills inside the atomic writers -----------------------------------------------------

_KILL_CHILD = """
import os, signal, sys, json
from pathlib import Path
from personaqa.programs.core import atomic
from personaqa.programs.core.records import QuestionRecord
from personaqa.programs.run import export
out, where = Path(sys.argv[1]), sys.argv[2]
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def record(n):
    return QuestionRecord(question_id=f"q{n}", question=f"new {n}?", original_question="o", persona="p",
                          interest="i", question_type="extractive", chunk_id="d#c0", doc_id="d")
def rows():
    yield {"n": "new"}
    die()
def records():
    yield record(1)
    die()
if where == "jsonl":
    atomic.write_jsonl(out / "questions.jsonl", rows())
elif where == "dataset":
    export.write_dataset(out, records())
elif where == "swap":
    real = os.replace
    calls = []
    def replace(src, dst):
        calls.append(dst)
        real(src, dst)
        if str(dst).endswith(".beir.old"):
            die()  # between moving the old folder aside and moving the new one in
    os.replace = replace
    export.write_beir(out, [], [record(1)])
"""


def _kill_child(out: Path, where: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _KILL_CHILD, str(out), where],
        check=False,
        env=subprocess_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]


def _record(n: int):
    from personaqa.programs.core.records import QuestionRecord

    return QuestionRecord(
        question_id=f"q{n}",
        question=f"old {n}?",
        original_question="o",
        persona="p",
        interest="i",
        question_type="extractive",
        chunk_id="d#c0",
        doc_id="d",
    )


def test_killed_jsonl_write_keeps_the_previous_file_and_the_rerun_sweeps_its_temporary(tmp_path):
    from personaqa.programs.core.atomic import write_jsonl

    write_jsonl(tmp_path / "questions.jsonl", [{"n": "old"}])
    _kill_child(tmp_path, "jsonl")
    assert read_lines(tmp_path / "questions.jsonl") == [{"n": "old"}]
    litter = [p.name for p in tmp_path.iterdir() if p.name != "questions.jsonl"]
    assert len(litter) == 1 and litter[0].startswith(".questions.jsonl.") and litter[0].endswith(".tmp")

    write_jsonl(tmp_path / "questions.jsonl", [{"n": "rerun"}])
    assert read_lines(tmp_path / "questions.jsonl") == [{"n": "rerun"}]
    assert [p.name for p in tmp_path.iterdir()] == ["questions.jsonl"]


def test_killed_dataset_export_keeps_the_previous_dataset_and_the_rerun_sweeps_its_staging(tmp_path):
    from datasets import load_from_disk
    from personaqa.programs.run.export import write_dataset

    write_dataset(tmp_path, [_record(1), _record(2)])
    _kill_child(tmp_path, "dataset")
    assert load_from_disk(str(tmp_path / "dataset"))["question"] == ["old 1?", "old 2?"]
    assert any(p.name.startswith(".dataset.") for p in tmp_path.iterdir())  # the killed run's staging folder

    write_dataset(tmp_path, [_record(3)])
    assert load_from_disk(str(tmp_path / "dataset"))["question"] == ["old 3?"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_killed_dataset_export_leaves_no_scratch_folder_after_rerun(tmp_path):
    from personaqa.programs.run.export import write_dataset

    _kill_child(tmp_path, "dataset")
    write_dataset(tmp_path, [_record(3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]


def test_kill_between_the_renames_of_a_folder_swap_restores_the_previous_folder(tmp_path):
    """Swapping a folder takes two renames (old aside, new in); a kill between them leaves no `beir/`, only
    `.beir.old`. The next write puts the previous version back before building the new one, so a failed
    rerun still leaves the previous folder in place."""
    from personaqa.programs.core.atomic import atomic_directory
    from personaqa.programs.run.export import write_beir

    write_beir(tmp_path, [], [_record(1)])
    before = (tmp_path / "beir" / "queries.jsonl").read_bytes()
    _kill_child(tmp_path, "swap")
    assert not (tmp_path / "beir").exists() and (tmp_path / ".beir.old").is_dir()

    with pytest.raises(RuntimeError), atomic_directory(tmp_path / "beir"):
        raise RuntimeError("the rerun fails too")
    assert (tmp_path / "beir" / "queries.jsonl").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["beir"]


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]
