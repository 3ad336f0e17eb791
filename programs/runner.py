"""Run the program over a corpus: stream (chunk, persona) units, checkpoint each, resume, then export."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import threading
import time
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dspy
from tqdm import tqdm

from personaqa.programs.atomic import write_json
from personaqa.programs.checkpoints import CheckpointLog, UnitResult
from personaqa.programs.chunk_copies import ChunkCopies, find_chunk_copies
from personaqa.programs.chunking import chunk_document
from personaqa.programs.config import RunConfig
from personaqa.programs.documents import iter_documents, warn_once
from personaqa.programs.embedding import load_embedder
from personaqa.programs.errors import InputError
from personaqa.programs.export import (
    MLFLOW_EVAL_FILE, RAGAS_FILE, write_beir, write_dataset, write_questions, write_rag_datasets,
)
from personaqa.programs.lm_calls import sharing_call_slots
from personaqa.programs.lms import adapter_for, build_lm, describe_lm
from personaqa.programs.overlap import ChunkGroup, find_chunk_groups
from personaqa.programs.pipeline import ProgramSettings, SyntheticEvalProgram
from personaqa.programs.pooled_judging import (
    POOL_FILE, PoolJudge, PoolLog, PoolOutcome, PoolQuestion, judge_pools,
)
from personaqa.programs.preflight import check_out_dir, check_services
from personaqa.programs.program_io import check_program_path, load_program_state
from personaqa.programs.records import Chunk, Persona, QuestionRecord
from personaqa.programs.run_dedup import WrittenQuestions, duplicate_rejection, run_duplicates
from personaqa.programs.summary import RunTally
from personaqa.programs.usage import Ledger

WORK_DIR = ".personaqa"


@dataclass
class GenerationJob:
    config: RunConfig
    doc_paths: list[Path]
    personas: list[Persona]
    out_dir: Path
    program_path: Path | None = None
    workers: int = 1
    overwrite: bool = False
    show_progress: bool = True
    mlflow: bool = True
    engine: Literal["local", "ray"] = "local"
    ray_address: str | None = None


@dataclass
class RunReport:
    out_dir: Path
    usage_this_session: Ledger
    wall_seconds: float
    counts: dict = field(default_factory=dict)
    structured_output: str | None = None  # the form the task LM's endpoint took (probed or configured)


def iter_chunks(job: GenerationJob) -> Iterator[Chunk]:
    count = 0
    for doc in iter_documents(job.doc_paths):
        for chunk in chunk_document(doc, job.config.chunk_size, job.config.chunk_overlap):
            if job.config.limit_chunks is not None and count >= job.config.limit_chunks:
                return
            count += 1
            yield chunk


def build_program(config: RunConfig, program_path: Path | None = None, fan_out: int = 1) -> SyntheticEvalProgram:
    """The program with the run's embedder, question types, judge LM and (optionally) compiled state."""
    settings = ProgramSettings(
        interest_dedup_threshold=config.interest_dedup_threshold,
        question_dedup_threshold=config.question_dedup_threshold,
        max_interests=config.max_interests, max_types_per_interest=config.max_types_per_interest,
        type_selection=config.question_type_selection,
        type_weights=tuple(config.question_type_weights.items()), own_wording_share=config.own_wording_share,
        batched_filters=config.batched_filters, fan_out=fan_out,
    )
    judge = build_lm(config.judge_lm) if config.judge_lm else None
    program = SyntheticEvalProgram(load_embedder(config.embedder), config.type_descriptions(), settings, judge)
    if program_path is not None:
        load_program_state(program, program_path)
    return program


def _fingerprint(job: GenerationJob) -> tuple[str, int]:
    """Hash of everything that decides the output, and the number of chunks (validates all input first)."""
    digest = hashlib.sha256()
    # How an endpoint is reached (URL, key variable, timeout, retries, form) does not decide the output:
    # a run stopped by an endpoint fault may resume against a new URL or with a longer timeout.
    transport = {"api_base", "api_key_env", "timeout", "num_retries", "structured_output"}
    # Pooled judging comes after the units and is checkpointed apart: a finished run may be pooled later.
    config = job.config.model_dump(mode="json",
                                   exclude={"lm": transport, "judge_lm": transport, "pool_depth": True})
    digest.update(json.dumps(config, sort_keys=True).encode())
    digest.update(json.dumps([p.model_dump() for p in job.personas]).encode())
    if job.program_path is not None:
        check_program_path(job.program_path)
        digest.update(job.program_path.read_bytes())
    chunks = 0
    for chunk in iter_chunks(job):
        digest.update(chunk.chunk_id.encode() + b"\x00" + chunk.text.encode() + b"\x00")
        chunks += 1
    if chunks == 0:
        raise InputError("no chunks: the documents hold no text")
    return digest.hexdigest(), chunks


def _check_previous_run(job: GenerationJob, fingerprint: str) -> None:
    """An unfinished run in --out resumes only if it was made from the same inputs and settings."""
    marker = job.out_dir / WORK_DIR / "fingerprint.json"
    if job.overwrite or not marker.exists():
        return
    if json.loads(marker.read_text()).get("fingerprint") != fingerprint:
        raise InputError(f"--out {job.out_dir}: holds a run with other inputs or settings; "
                         "pass --overwrite or choose another --out")


def _prepare_work_dir(job: GenerationJob, fingerprint: str) -> Path:
    work = job.out_dir / WORK_DIR
    if work.exists() and job.overwrite:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "fingerprint.json").exists():
        write_json(work / "fingerprint.json", {"fingerprint": fingerprint})
    return work


def _stage_bars(total_units: int, done: int, enabled: bool) -> dict[str, tqdm]:
    names = ["units", "interests", "generation", "relevance", "generality", "style"]
    bars = {}
    for position, name in enumerate(names):
        bars[name] = tqdm(total=total_units if name == "units" else None, initial=done if name == "units" else 0,
                          desc=f"{name:>11}", unit="unit" if name == "units" else "call", position=position,
                          leave=True, disable=not enabled, dynamic_ncols=True)
    return bars


class UnitRunner:
    """A program and its LM that turn one (chunk or chunk group, persona) into a checkpointable UnitResult."""

    def __init__(self, config: RunConfig, program_path: Path | None = None, workers: int = 1):
        self.config = config
        # With several workers a unit's questions are judged side by side too, and `workers` slots cap the
        # LM calls in flight: the endpoint stays busy to the last unit, never above the asked concurrency.
        self.program = build_program(config, program_path, fan_out=workers)
        self.program.share_written_questions(WrittenQuestions(self.program.embedder, config.question_dedup_threshold))
        self.slots = threading.BoundedSemaphore(workers) if workers > 1 else None
        self.lm = build_lm(config.lm)

    def __call__(self, order: int, source: Chunk | ChunkGroup, persona: Persona) -> UnitResult:
        with sharing_call_slots(self.slots), dspy.context(lm=self.lm, adapter=adapter_for(self.lm)):
            if isinstance(source, ChunkGroup):
                types = _rotate(self.config.complex_question_types, order)[: self.config.complex_types_per_group]
                out = self.program.group(list(source.chunks), persona, types)
                key, members = source.group_id, [c.chunk_id for c in source.chunks]
            else:
                out = self.program(chunk=source, persona=persona)
                key, members = source.chunk_id, []
        return UnitResult(order=order, chunk_id=key, persona=persona.name, group_chunk_ids=members,
                          interests=out.interests, records=out.records, rejections=out.rejections, usage=out.usage)


def _rotate(items: list[str], by: int) -> list[str]:
    """Spread complex question types over groups instead of always starting with the first."""
    return items[by % len(items):] + items[: by % len(items)] if items else []


def chunk_groups(chunks: list[Chunk], config: RunConfig) -> list[ChunkGroup]:
    """The overlap finder with the run's embedder and `complex_*` settings."""
    return find_chunk_groups(chunks, load_embedder(config.embedder), config.complex_sentence_threshold,
                             config.complex_jaccard_threshold, config.complex_group_size,
                             config.complex_cross_document, max_jaccard=config.complex_max_jaccard)


def complex_units(job: GenerationJob, total_chunks: int) -> list[tuple[ChunkGroup, Persona]]:
    """(group, persona) units for multi-chunk questions: `complex_ratio` of all units, personas spread."""
    config = job.config
    if config.complex_ratio <= 0:
        return []
    wanted = round(config.complex_ratio / (1 - config.complex_ratio) * total_chunks * len(job.personas))
    groups = chunk_groups(list(iter_chunks(job)), config)
    wanted = min(wanted, len(groups) * len(job.personas))
    # the k-th round over the groups gives group g the persona g + k: distinct pairs, personas spread
    return [(groups[i % len(groups)], job.personas[(i % len(groups) + i // len(groups)) % len(job.personas)])
            for i in range(wanted)]


def pending_units(job: GenerationJob, done: Container[tuple[str, str]],
                  groups: list[tuple[ChunkGroup, Persona]] = ()) -> Iterator[tuple[int, Chunk | ChunkGroup, Persona]]:
    """(order, chunk or group, persona) of every unit not finished yet, in run order: chunks, then groups."""
    order = 0
    for chunk in iter_chunks(job):
        for persona in job.personas:
            if (chunk.chunk_id, persona.name) not in done:
                yield order, chunk, persona
            order += 1
    for group, persona in groups:
        if (group.group_id, persona.name) not in done:
            yield order, group, persona
        order += 1


def run_generation(job: GenerationJob) -> RunReport:
    started = time.monotonic()
    check_out_dir(job.out_dir)
    fingerprint, total_chunks = _fingerprint(job)
    groups = complex_units(job, total_chunks)
    total_units = total_chunks * len(job.personas) + len(groups)
    _check_previous_run(job, fingerprint)
    check_services(mlflow=job.mlflow, ray=job.engine == "ray", ray_address=job.ray_address)
    checkpoints = CheckpointLog(job.out_dir / WORK_DIR / "units.jsonl")
    finished = {} if job.overwrite else checkpoints.index()
    # Built before anything is written, so a bad LM setting or unreachable endpoint leaves no output behind.
    runner = (UnitRunner(job.config, job.program_path, job.workers)
              if len(finished) < total_units and job.engine == "local" else None)
    work = _prepare_work_dir(job, fingerprint)
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
            from personaqa.programs.ray_engine import run_units_on_ray

            run_units_on_ray(job, pending_units(job, done), record, work / "lm_cache")
            if any((g.group_id, p.name) not in done for g, p in groups):  # complex units run here, after Ray
                runner = UnitRunner(job.config, job.program_path, job.workers)
        if runner is not None:
            _run_units_locally(runner, pending_units(job, frozenset(done), groups), record, job.workers)
    finally:
        for bar in bars.values():
            bar.close()
    report = RunReport(job.out_dir, session, time.monotonic() - started,
                       structured_output=getattr(runner.lm, "structured_output", None) if runner else None)
    _finalise(job, report, checkpoints, runner)
    return report


def _run_units_locally(runner: UnitRunner, units: Iterator[tuple[int, Chunk, Persona]],
                       record: Callable[[UnitResult], None], workers: int) -> None:
    """Units on a thread pool; at most 2 × workers in flight so memory does not grow with the corpus."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        in_flight: set[Future[UnitResult]] = set()
        try:
            for unit in units:
                if len(in_flight) >= workers * 2:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    _drain(finished, record)
                in_flight.add(pool.submit(runner, *unit))
            while in_flight:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                _drain(finished, record)
        except BaseException:
            for future in in_flight:
                future.cancel()
            _drain({f for f in in_flight if f.done() and not f.cancelled()}, record, reraise=False)
            raise


def _drain(finished: set[Future[UnitResult]], record: Callable[[UnitResult], None], reraise: bool = True) -> None:
    """Checkpoint every unit that succeeded, then re-raise the first failure (e.g. LMUnavailableError)."""
    failure: BaseException | None = None
    for future in finished:
        error = future.exception()
        if error is None:
            record(future.result())
        elif failure is None:
            failure = error
    if failure is not None and reraise:
        raise failure


def chunk_texts(job: GenerationJob, records: Iterable[QuestionRecord]) -> dict[str, str]:
    """chunk id → text of every chunk the records are labelled with (not the whole corpus)."""
    wanted = {c for r in records for c in r.chunk_ids}
    return {c.chunk_id: c.text for c in iter_chunks(job) if c.chunk_id in wanted}


def _chunk_copies(job: GenerationJob) -> ChunkCopies:
    """Copies among the run's chunks, with one warning line when there are any."""
    copies = find_chunk_copies(lambda: iter_chunks(job), load_embedder(job.config.embedder))
    if copies.chunks_with_copies():
        warn_once(copies.warning())
    return copies


def _pooled_judging(job: GenerationJob, records: Iterable[QuestionRecord],
                    runner: UnitRunner | None) -> PoolOutcome:
    """Pooled judgements for the kept questions (programs/pooled_judging.py), on this session's program and LM
    when units ran, else on ones built only if some judgement is still to be made."""
    def judge() -> PoolJudge:
        program = runner.program if runner else build_program(job.config, job.program_path)
        lm = program.judge_lm or (runner.lm if runner else build_lm(job.config.lm))
        return PoolJudge(program.relevance, lm)

    return judge_pools(map(PoolQuestion.of, records), list(iter_chunks(job)), job.config.pool_depth,
                       load_embedder(job.config.embedder), PoolLog(job.out_dir / WORK_DIR / POOL_FILE), judge,
                       job.out_dir / "beir", job.workers, job.show_progress)


def _finalise(job: GenerationJob, report: RunReport, checkpoints: CheckpointLog,
              runner: UnitRunner | None = None) -> None:
    """Stream the checkpointed units, in run order, into every output file; a question that repeats one
    of an earlier unit is moved to the rejections (`dedup`), every question is labelled with the copies
    of its chunks too (`duplicate_chunk_ids`) and, with `pool_depth`, with its pooled judgements."""
    repeats = run_duplicates((r for u in checkpoints.iter_ordered() for r in u.records),
                             load_embedder(job.config.embedder), job.config.question_dedup_threshold)
    copies = _chunk_copies(job)
    tally = RunTally()
    total = Ledger()
    for unit in checkpoints.iter_ordered():
        tally.add(unit, repeats)
        total.merge(unit.usage)
    labelled = lambda: (r.model_copy(update={"duplicate_chunk_ids": copies.copies_for(r)})  # noqa: E731
                        for u in checkpoints.iter_ordered() for r in u.records
                        if r.question_id not in repeats)
    pooling_started = time.monotonic()
    pooled = _pooled_judging(job, labelled(), runner) if job.config.pool_depth else PoolOutcome(0, {})
    report.wall_seconds += time.monotonic() - pooling_started
    total.merge(pooled.usage)
    report.usage_this_session.merge(pooled.usage_this_session)
    records = lambda: (r.model_copy(update={"pooled": pooled.judgements.get(r.question_id, [])})  # noqa: E731
                       for r in labelled())
    rejections = (rejection for u in checkpoints.iter_ordered() for rejection in [
        *u.rejections, *(duplicate_rejection(r, repeats[r.question_id]) for r in u.records
                         if r.question_id in repeats)])
    write_questions(job.out_dir, records(), rejections)
    write_dataset(job.out_dir, records())
    write_beir(job.out_dir, iter_chunks(job), records())
    write_rag_datasets(job.out_dir, records(), chunk_texts(job, records()))
    report.counts = tally.counts()
    if job.config.pool_depth:
        report.counts["pooled"] = pooled.counts()
    kept = max(report.counts["kept"], 1)
    write_json(job.out_dir / "run.json", {
        "config": job.config.model_dump(mode="json"),
        "lm": describe_lm(job.config.lm),
        "lm_structured_output": report.structured_output,
        "judge_lm": describe_lm(job.config.judge_lm) if job.config.judge_lm else None,
        "program": str(job.program_path) if job.program_path else None,
        "documents": [str(p) for p in job.doc_paths],
        "personas": [p.name for p in job.personas],
        "engine": job.engine,
        "workers": job.workers,
        "counts": report.counts,
        "lm_usage": {s: u.model_dump() for s, u in total.stages.items()},
        "lm_usage_total": total.total().model_dump(),
        "lm_usage_this_session": session_usage(report.usage_this_session),
        "lm_calls_per_kept_question": round(total.total().calls / kept, 2),
        "tokens_per_kept_question": round((total.total().input_tokens + total.total().output_tokens) / kept, 1),
        "wall_seconds_this_session": round(report.wall_seconds, 2),
        "python": platform.python_version(),
    })
    if job.show_progress:
        tally.print()
    if job.mlflow:
        from personaqa.optimize.tracking_log import LateLog

        late = LateLog(f"the generate run (outputs in {job.out_dir} are complete)",
                       "rerun the same command once the store is back to log it: finished units are "
                       "not redone, so it makes no LM call")
        late(lambda: log_generate_run(job, report, records()))


def log_generate_run(job: GenerationJob, report: RunReport, records: Iterable) -> None:
    """Every generate run is findable in MLflow with its inputs, counts, usage and outputs."""
    from personaqa.optimize import tracking_log

    run_info = json.loads((job.out_dir / "run.json").read_text())
    with tracking_log.mlflow_run("generate", tags={"personaqa.command": "generate"}) as run:
        tracking_log.log_params({"config": run_info["config"], "documents": run_info["documents"],
                                 "personas": run_info["personas"], "program": run_info["program"],
                                 "out_dir": str(job.out_dir.resolve()), "workers": job.workers})
        counts = {k: v for k, v in report.counts.items() if isinstance(v, int)}
        tracking_log.log_metrics(counts)
        tracking_log.log_metrics({f"{s}.calls": u["calls"] for s, u in run_info["lm_usage"].items()}, "lm.")
        tracking_log.log_metrics({"wall_seconds": report.wall_seconds,
                                  "calls_per_kept_question": run_info["lm_calls_per_kept_question"]})
        for name in ("run.json", "questions.jsonl", "rejected.jsonl", RAGAS_FILE, MLFLOW_EVAL_FILE):
            tracking_log.log_file(job.out_dir / name)
        rows = [{"question": r.question, "persona": r.persona, "question_type": r.question_type,
                 "chunk_id": r.chunk_id} for r in records]
        if rows:
            passages = {c.chunk_id: c.text for c in iter_chunks(job)}
            for row in rows:
                row["passage"] = passages.get(row["chunk_id"], "")
        tracking_log.log_table("questions_table.json", rows)
        tracking_log.log_evaluation_dataset(f"personaqa-{job.out_dir.resolve().name}-{run.info.run_id[:8]}",
                                            job.out_dir / MLFLOW_EVAL_FILE)


def session_usage(ledger: Ledger) -> dict:
    return {"stages": {s: u.model_dump() for s, u in ledger.stages.items()}, "total": ledger.total().model_dump()}
