"""The end of a run: the checkpointed units, streamed in run order, become the output files, run.json, the
end-of-run table and the MLflow run. A question that repeats one of an earlier unit is moved to the
rejections (`dedup`)."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable

from personaqa.programs.core.atomic import write_json
from personaqa.programs.core.records import Chunk
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.lm.build import describe_lm
from personaqa.programs.lm.usage import Ledger
from personaqa.programs.recipe.run_dedup import duplicate_rejection, run_duplicates
from personaqa.programs.run.checkpoints import CheckpointLog
from personaqa.programs.run.export import write_beir, write_dataset, write_questions
from personaqa.programs.run.job import GenerationJob, RunReport
from personaqa.programs.run.plan import iter_chunks
from personaqa.programs.run.summary import RunTally
from personaqa.programs.tracking import log as tracking_log
from personaqa.programs.tracking.log import LateLog


def finalise(job: GenerationJob, report: RunReport, checkpoints: CheckpointLog,
             chunks: Iterable[Chunk] | None = None) -> None:
    """Stream the checkpointed units, in run order, into every output file; a question that repeats one
    of an earlier unit is moved to the rejections (`dedup`). `chunks`: the run's chunks (default: read from
    `job.doc_paths`), for the BEIR corpus and the MLflow table."""
    repeats = run_duplicates((r for u in checkpoints.iter_ordered() for r in u.records),
                             load_embedder(job.config.embedder), job.config.question_dedup_threshold)
    tally = RunTally()
    total = Ledger()
    for unit in checkpoints.iter_ordered():
        tally.add(unit, repeats)
        total.merge(unit.usage)
    records = lambda: (r for u in checkpoints.iter_ordered() for r in u.records  # noqa: E731
                       if r.question_id not in repeats)
    rejections = (rejection for u in checkpoints.iter_ordered() for rejection in [
        *u.rejections, *(duplicate_rejection(r, repeats[r.question_id]) for r in u.records
                         if r.question_id in repeats)])
    write_questions(job.out_dir, records(), rejections)
    write_dataset(job.out_dir, records())
    write_beir(job.out_dir, iter_chunks(job) if chunks is None else chunks, records())
    report.counts = tally.counts()
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
        late = LateLog(f"the generate run (outputs in {job.out_dir} are complete)",
                       "rerun the same command once the store is back to log it: finished units are "
                       "not redone, so it makes no LM call")
        late(lambda: log_generate_run(job, report, records(), chunks))


def log_generate_run(job: GenerationJob, report: RunReport, records: Iterable,
                     chunks: Iterable[Chunk] | None = None) -> None:
    """Every generate run is findable in MLflow with its inputs, counts, usage and outputs."""
    run_info = json.loads((job.out_dir / "run.json").read_text())
    with tracking_log.mlflow_run("generate", tags={"personaqa.command": "generate"}):
        tracking_log.log_params({"config": run_info["config"], "documents": run_info["documents"],
                                 "personas": run_info["personas"], "program": run_info["program"],
                                 "out_dir": str(job.out_dir.resolve()), "workers": job.workers})
        counts = {k: v for k, v in report.counts.items() if isinstance(v, int)}
        tracking_log.log_metrics(counts)
        tracking_log.log_metrics({f"{s}.calls": u["calls"] for s, u in run_info["lm_usage"].items()}, "lm.")
        tracking_log.log_metrics({"wall_seconds": report.wall_seconds,
                                  "calls_per_kept_question": run_info["lm_calls_per_kept_question"]})
        for name in ("run.json", "questions.jsonl", "rejected.jsonl"):
            tracking_log.log_file(job.out_dir / name)
        rows = [{"question": r.question, "persona": r.persona, "question_type": r.question_type,
                 "chunk_id": r.chunk_id} for r in records]
        if rows:
            passages = {c.chunk_id: c.text for c in (iter_chunks(job) if chunks is None else chunks)}
            for row in rows:
                row["passage"] = passages.get(row["chunk_id"], "")
        tracking_log.log_table("questions_table.json", rows)


def session_usage(ledger: Ledger) -> dict:
    return {"stages": {s: u.model_dump() for s, u in ledger.stages.items()}, "total": ledger.total().model_dump()}
