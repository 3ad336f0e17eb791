"""Run the program over a corpus: plan (chunk, persona) units, execute them, checkpoint each, resume, then
export.

The flow is one way: `plan` fingerprints the inputs and streams the pending units, an executor
(`executors.LocalExecutor` or `ray_executor.RayExecutor`) runs them through a `units.UnitRunner`, every
finished unit is checkpointed as it arrives, and `finalise` turns the checkpoints into the output files."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dspy
from personaqa.programs.core.atomic import write_json
from personaqa.programs.core.errors import CallCapReached, InputError
from personaqa.programs.lm.usage import Ledger
from personaqa.programs.recipe.chain import LM_STAGES
from personaqa.programs.run.checkpoints import CheckpointLog, UnitResult
from personaqa.programs.run.executors import LocalExecutor
from personaqa.programs.run.finalise import finalise
from personaqa.programs.run.job import WORK_DIR, GenerationJob, RunReport
from personaqa.programs.run.plan import ChunkSpool, complex_units, fingerprint, pending_units
from personaqa.programs.run.preflight import check_out_dir, check_services
from personaqa.programs.run.ray_executor import RayExecutor
from personaqa.programs.run.units import Unit, UnitRunner
from tqdm import tqdm


def _check_previous_run(job: GenerationJob, fingerprint: str) -> None:
    """An unfinished run in --out resumes only if it was made from the same inputs and settings."""
    marker = job.out_dir / WORK_DIR / "fingerprint.json"
    if job.overwrite or not marker.exists():
        return
    if json.loads(marker.read_text()).get("fingerprint") != fingerprint:
        raise InputError(
            f"--out {job.out_dir}: holds a run with other inputs or settings; "
            "pass --overwrite or choose another --out"
        )


def _prepare_work_dir(job: GenerationJob, fingerprint: str) -> Path:
    work = job.out_dir / WORK_DIR
    if work.exists() and job.overwrite:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "fingerprint.json").exists():
        write_json(work / "fingerprint.json", {"fingerprint": fingerprint})
    return work


def _stage_bars(total_units: int, done: int, enabled: bool) -> dict[str, tqdm]:
    """One bar for the units and one per LM stage, on stderr; drawn only on a terminal (redrawn into a
    pipe or log file, the stacked bars become cursor-movement codes)."""
    enabled = enabled and sys.stderr.isatty()
    names = ["units", *LM_STAGES]
    bars = {}
    for position, name in enumerate(names):
        bars[name] = tqdm(
            total=total_units if name == "units" else None,
            initial=done if name == "units" else 0,
            desc=f"{name:>11}",
            unit="unit" if name == "units" else "call",
            position=position,
            leave=True,
            disable=not enabled,
            dynamic_ncols=True,
        )
    return bars


def _capped(units: Iterator[Unit], session: Ledger, max_calls: int | None) -> Iterator[Unit]:
    """The units, until this session's LM calls reach `max_calls`: no unit starts after that (the units
    already in flight finish and are checkpointed, so a run may end a few calls past the cap)."""
    for unit in units:
        if max_calls is not None and session.total().calls >= max_calls:
            return
        yield unit


def run_generation(job: GenerationJob) -> RunReport:
    """Generate the evaluation set `job` asks for into `job.out_dir`, resuming an unfinished run there."""
    # The documents are read and chunked once, into a spool file that every later pass streams.
    with tempfile.TemporaryDirectory(prefix="personaqa-chunks-") as spool:
        return _run(job, ChunkSpool(job, Path(spool) / "chunks.jsonl"))


def _run(job: GenerationJob, chunks: ChunkSpool) -> RunReport:
    started = time.monotonic()
    check_out_dir(job.out_dir)
    inputs_hash, total_chunks = fingerprint(job, chunks)
    groups = complex_units(job, total_chunks, chunks)
    total_units = total_chunks * len(job.personas) + len(groups)
    _check_previous_run(job, inputs_hash)
    check_services(mlflow=job.mlflow, ray=job.engine == "ray", ray_address=job.ray_address)
    checkpoints = CheckpointLog(job.out_dir / WORK_DIR / "units.jsonl")
    finished = {} if job.overwrite else checkpoints.index()
    # Built before anything is written, so a bad LM setting or unreachable endpoint leaves no output behind.
    runner = (
        UnitRunner(job.config, job.program_path, job.workers, len(job.personas))
        if len(finished) < total_units and job.engine == "local"
        else None
    )
    work = _prepare_work_dir(job, inputs_hash)
    dspy.configure_cache(enable_disk_cache=True, disk_cache_dir=str(work / "lm_cache"))
    done = set(checkpoints.index())
    session = Ledger()
    bars = _stage_bars(total_units, len(done), job.show_progress)

    def record(unit: UnitResult) -> None:
        checkpoints.append(unit)
        done.add(unit.key)
        session.merge(unit.usage)
        bars["units"].update(1)
        for stage, usage in unit.usage.stages.items():
            if stage in bars:
                bars[stage].update(usage.calls)

    try:
        if job.engine == "ray":
            ray = RayExecutor(
                job.config,
                job.program_path,
                job.workers,
                job.ray_address,
                work / "lm_cache",
                len(job.personas),
            )
            ray.run(pending_units(job, done, chunks=chunks), record)
            if any((g.group_id, p.name) not in done for g, p in groups):  # complex units run here, after Ray
                runner = UnitRunner(job.config, job.program_path, job.workers, len(job.personas))
        if runner is not None:
            units = pending_units(job, frozenset(done), groups, chunks)
            LocalExecutor(runner, job.workers).run(_capped(units, session, job.max_calls), record)
    finally:
        for bar in bars.values():
            bar.close()
    if job.max_calls is not None and len(done) < total_units:
        calls = session.total().calls
        raise CallCapReached(
            f"--max-calls {job.max_calls}: stopped after {calls} LM calls with {len(done)} "
            f"of {total_units} units done (checkpointed in {job.out_dir}); rerun the same "
            "command, with a higher or no --max-calls, to resume"
        )
    report = RunReport(
        job.out_dir,
        session,
        time.monotonic() - started,
        structured_output=getattr(runner.lm, "structured_output", None) if runner else None,
    )
    finalise(job, report, checkpoints, chunks, runner)
    return report
