"""The end of a run: the checkpointed units, streamed in run order, become the output files, run.json, the
end-of-run table and the MLflow run. A question that repeats one of an earlier unit is moved to the
rejections (`dedup`); every question is labelled with the copies of its chunks and, with `pool_depth`, with
its pooled judgements."""

from __future__ import annotations

import json
import platform
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from personaqa.programs.core.atomic import write_json
from personaqa.programs.core.records import Chunk, QuestionRecord, Rejection
from personaqa.programs.corpus.chunk_copies import ChunkCopies, find_chunk_copies
from personaqa.programs.corpus.documents import warn_once
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.lm.build import build_lm, describe_lm
from personaqa.programs.lm.usage import Ledger
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.run_dedup import duplicate_rejection, run_duplicates
from personaqa.programs.run.checkpoints import CheckpointLog
from personaqa.programs.run.export import (
    MLFLOW_EVAL_FILE,
    RAGAS_FILE,
    write_beir,
    write_dataset,
    write_questions,
    write_rag_datasets,
    write_rejections,
)
from personaqa.programs.run.job import WORK_DIR, GenerationJob, RunReport
from personaqa.programs.run.plan import iter_chunks
from personaqa.programs.run.pooled_judging import (
    POOL_FILE,
    PoolJudge,
    PoolLog,
    PoolOutcome,
    PoolQuestion,
    judge_pools,
)
from personaqa.programs.run.summary import RunTally
from personaqa.programs.run.units import UnitRunner
from personaqa.programs.tracking import log as tracking_log
from personaqa.programs.tracking.log import LateLog


def chunk_texts(corpus: Iterable[Chunk], records: Iterable[QuestionRecord]) -> dict[str, str]:
    """chunk id → text of every chunk the records are labelled with (not the whole corpus)."""
    wanted = {c for r in records for c in r.chunk_ids}
    return {c.chunk_id: c.text for c in corpus if c.chunk_id in wanted}


def _chunk_copies(job: GenerationJob, corpus: Callable[[], Iterator[Chunk]]) -> ChunkCopies:
    """Copies among the run's chunks, with one warning line when there are any."""
    copies = find_chunk_copies(corpus, load_embedder(job.config.embedder))
    if copies.chunks_with_copies():
        warn_once(copies.warning())
    return copies


def _pooled_judging(
    job: GenerationJob, records: Iterable[QuestionRecord], runner: UnitRunner | None, corpus: Iterable[Chunk]
) -> PoolOutcome:
    """Pooled judgements for the kept questions (run/pooled_judging.py), on this session's program and LM
    when units ran, else on ones built only if some judgement is still to be made."""

    def judge() -> PoolJudge:
        if runner:
            return PoolJudge.of_program(runner.program, lambda: runner.lm)
        return PoolJudge.of_program(
            build_program(job.config, job.program_path), lambda: build_lm(job.config.lm)
        )

    return judge_pools(
        map(PoolQuestion.of, records),
        list(corpus),
        job.config.pool_depth,
        load_embedder(job.config.embedder),
        PoolLog(job.out_dir / WORK_DIR / POOL_FILE),
        judge,
        job.out_dir / "beir",
        job.workers,
        job.show_progress,
    )


def finalise(
    job: GenerationJob,
    report: RunReport,
    checkpoints: CheckpointLog,
    chunks: Iterable[Chunk] | None = None,
    runner: UnitRunner | None = None,
) -> None:
    """Stream the checkpointed units, in run order, into every output file; a question that repeats one
    of an earlier unit is moved to the rejections (`dedup`), every question is labelled with the copies
    of its chunks too (`duplicate_chunk_ids`) and, with `pool_depth`, with its pooled judgements.
    `chunks`: the run's chunks, streamed once per pass (default: read from `job.doc_paths`); `runner`: this
    session's program and LM, if units ran."""

    def corpus() -> Iterator[Chunk]:
        return iter_chunks(job) if chunks is None else iter(chunks)

    repeats = run_duplicates(
        (r for u in checkpoints.iter_ordered() for r in u.records),
        load_embedder(job.config.embedder),
        job.config.question_dedup_threshold,
    )
    copies = _chunk_copies(job, corpus)
    tally = RunTally()
    total = Ledger()
    with tempfile.TemporaryDirectory(prefix="personaqa-kept-") as scratch:
        # One more pass over the units: the counts, the usage, the rejections (written as they come) and the
        # kept questions, spooled so that every exporter streams them instead of the whole log again.
        kept = Path(scratch) / "kept.jsonl"
        with kept.open("w", encoding="utf-8") as spool:

            def rejections() -> Iterator[Rejection]:
                for unit in checkpoints.iter_ordered():
                    tally.add(unit, repeats)
                    total.merge(unit.usage)
                    for r in unit.records:
                        if r.question_id in repeats:
                            continue
                        labelled = r.model_copy(update={"duplicate_chunk_ids": copies.copies_for(r)})
                        spool.write(labelled.model_dump_json() + "\n")
                    yield from unit.rejections
                    yield from (
                        duplicate_rejection(r, repeats[r.question_id])
                        for r in unit.records
                        if r.question_id in repeats
                    )

            write_rejections(job.out_dir, rejections())
        labelled = lambda: _read_records(kept)
        pooling_started = time.monotonic()
        pooled = (
            _pooled_judging(job, labelled(), runner, corpus())
            if job.config.pool_depth
            else PoolOutcome(0, {})
        )
        report.wall_seconds += time.monotonic() - pooling_started
        total.merge(pooled.usage)
        report.usage_this_session.merge(pooled.usage_this_session)
        records = lambda: (
            r.model_copy(update={"pooled": pooled.judgements.get(r.question_id, [])}) for r in labelled()
        )
        write_questions(job.out_dir, records())
        write_dataset(job.out_dir, records())
        write_beir(job.out_dir, corpus(), records())
        write_rag_datasets(job.out_dir, records(), chunk_texts(corpus(), records()))
        _finish(job, report, tally, total, pooled, lambda: log_generate_run(job, report, records(), corpus))


def _read_records(path: Path) -> Iterator[QuestionRecord]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield QuestionRecord.model_validate_json(line)


def _finish(
    job: GenerationJob,
    report: RunReport,
    tally: RunTally,
    total: Ledger,
    pooled: PoolOutcome,
    log_run: Callable[[], None],
) -> None:
    """run.json, the end-of-run table and the MLflow run."""
    report.counts = tally.counts()
    if job.config.pool_depth:
        report.counts["pooled"] = pooled.counts()
    kept = max(report.counts["kept"], 1)
    write_json(
        job.out_dir / "run.json",
        {
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
            "tokens_per_kept_question": round(
                (total.total().input_tokens + total.total().output_tokens) / kept, 1
            ),
            "wall_seconds_this_session": round(report.wall_seconds, 2),
            "python": platform.python_version(),
        },
    )
    if job.show_progress:
        tally.print()
    if job.mlflow:
        late = LateLog(
            f"the generate run (outputs in {job.out_dir} are complete)",
            "rerun the same command once the store is back to log it: finished units are "
            "not redone, so it makes no LM call",
        )
        late(log_run)


def log_generate_run(
    job: GenerationJob,
    report: RunReport,
    records: Iterable,
    corpus: Callable[[], Iterable[Chunk]] | None = None,
) -> None:
    """Every generate run is findable in MLflow with its inputs, counts, usage and outputs."""
    run_info = json.loads((job.out_dir / "run.json").read_text())
    with tracking_log.mlflow_run("generate", tags={"personaqa.command": "generate"}) as run:
        tracking_log.log_params(
            {
                "config": run_info["config"],
                "documents": run_info["documents"],
                "personas": run_info["personas"],
                "program": run_info["program"],
                "out_dir": str(job.out_dir.resolve()),
                "workers": job.workers,
            }
        )
        counts = {k: v for k, v in report.counts.items() if isinstance(v, int)}
        tracking_log.log_metrics(counts)
        tracking_log.log_metrics({f"{s}.calls": u["calls"] for s, u in run_info["lm_usage"].items()}, "lm.")
        tracking_log.log_metrics(
            {
                "wall_seconds": report.wall_seconds,
                "calls_per_kept_question": run_info["lm_calls_per_kept_question"],
            }
        )
        for name in ("run.json", "questions.jsonl", "rejected.jsonl", RAGAS_FILE, MLFLOW_EVAL_FILE):
            tracking_log.log_file(job.out_dir / name)
        rows = [
            {
                "question": r.question,
                "persona": r.persona,
                "question_type": r.question_type,
                "chunk_id": r.chunk_id,
            }
            for r in records
        ]
        if rows:
            passages = {c.chunk_id: c.text for c in (iter_chunks(job) if corpus is None else corpus())}
            for row in rows:
                row["passage"] = passages.get(row["chunk_id"], "")
        tracking_log.log_table("questions_table.json", rows)
        tracking_log.log_evaluation_dataset(
            f"personaqa-{job.out_dir.resolve().name}-{run.info.run_id[:8]}", job.out_dir / MLFLOW_EVAL_FILE
        )


def session_usage(ledger: Ledger) -> dict:
    return {
        "stages": {s: u.model_dump() for s, u in ledger.stages.items()},
        "total": ledger.total().model_dump(),
    }
