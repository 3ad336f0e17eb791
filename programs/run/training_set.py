"""`export-train`: a finished generate run as data to fine-tune an embedder on, with nothing leaking.

From RUN_DIR (its `questions.jsonl`, `beir/corpus.jsonl` and `run.json`) it writes to OUT:

- `train.jsonl`, `dev.jsonl`, `test.jsonl`: one row per (question, hard negative), columns `anchor` (the
  question), `positive` (its source chunk) and `negative`, as sentence-transformers' trainers and
  `MultipleNegativesRankingLoss` read them; the same rows as a `datasets.DatasetDict` in `dataset/`;
- `test-beir/`: the test questions as a BEIR folder over the whole corpus, for `personaqa evaluate`;
- `documents.jsonl`: each document's split and group (documents joined by copies or shared labels);
- `negatives.jsonl`: every mined candidate, kept or dropped, with the judge's verdict (for reading);
- `summary.json`: counts per split and of the negatives mined, dropped and kept.

Splits: `programs/run/splits.py` (documents joined by copies and shared labels stay on one side).

Hard negatives: within its own split only (a train row never quotes a test document), each question pools
the top `depth` chunks of BM25 and of dense retrieval (`pooled_judging.pools`, the run's embedder), less
every chunk of its own documents, every chunk labelled relevant to it and their copies. With the judge on,
each candidate is judged by the run's relevance judge exactly as `generate --pool-depth` judges a pooled
chunk (`pooled_judging.judge_pools`, one LM call each, checkpointed in RUN_DIR/.personaqa/export-train/ so
a rerun repeats no call). The source chunk passed that judge with "fully"; a candidate it calls "fully"
answers the question as well as the source does, and "partially" in part: both are dropped and counted
(on the verdict, before the evidence check that pooled qrels add: a negative is kept only when the judge
says "not"). A judge answer that cannot be used drops the candidate too (`unjudged`). The first
`negatives` kept candidates, in pool order, become rows.

Memory: the run's chunks, questions and both indexes of one split at a time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from personaqa.programs.config import RunConfig, load_config, with_overrides
from personaqa.programs.core.atomic import atomic_directory, atomic_write, write_json, write_jsonl
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.jsonl import json_lines
from personaqa.programs.core.records import Chunk, PooledJudgement, QuestionRecord
from personaqa.programs.corpus.chunk_copies import ChunkCopies, find_chunk_copies
from personaqa.programs.corpus.documents import warn_once
from personaqa.programs.corpus.embedding import Embedder, load_embedder
from personaqa.programs.lm.build import build_lm
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.program_io import default_program
from personaqa.programs.retrieval.beir import CORPUS_FILE, QRELS_DIR, QUERIES_FILE, read_corpus
from personaqa.programs.run.pooled_judging import PoolJudge, PoolLog, PoolQuestion, judge_pools, pools
from personaqa.programs.run.splits import SPLITS, Assignment, assign_splits, document_groups
from pydantic import ValidationError

SUMMARY_FILE = "summary.json"
NEGATIVES_FILE = "negatives.jsonl"
DOCUMENTS_FILE = "documents.jsonl"
TEST_BEIR = "test-beir"
COLUMNS = ("anchor", "positive", "negative")
ANSWERS = {"fully": "answers", "partially": "answers_partly"}
DEFAULT_DEPTH = 5
DEFAULT_NEGATIVES = 3
STATE_DIR = Path(".personaqa") / "export-train"


@dataclass
class TrainExportJob:
    """What `personaqa export-train` does. The judge and embedder settings are the run's (run.json), or
    `config_path`'s, with `overrides` (dotted keys, None left alone) on top."""

    run_dir: Path
    out: Path
    shares: dict[str, float]
    seed: int = 0
    depth: int = DEFAULT_DEPTH
    negatives: int = DEFAULT_NEGATIVES
    judge: bool = True
    config_path: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    program_path: Path | None | str = "run"  # "run": the program run.json names
    workers: int = 1
    show_progress: bool = False


@dataclass
class FinishedRun:
    """What export-train reads of a generate run."""

    records: list[QuestionRecord]
    chunks: list[Chunk]
    config: RunConfig
    program: str | None


@dataclass
class Candidate:
    """One mined negative of one question, and what became of it."""

    question_id: str
    chunk_id: str
    retrievers: list[str]
    verdict: str = "unchecked"  # the judge's verdict, or "unchecked" with --no-judge
    outcome: str = "kept"  # kept | answers | answers_partly | unjudged | beyond_cap
    reason: str = ""


@dataclass
class SplitResult:
    docs: set[str]
    chunks: list[Chunk]
    records: list[QuestionRecord]
    candidates: list[Candidate] = field(default_factory=list)


def read_run(run_dir: Path) -> FinishedRun:
    """The run's questions, chunks and settings; one InputError line when RUN_DIR is not a finished run."""
    if not run_dir.is_dir():
        raise InputError(f"{run_dir}: run folder not found (give the --out folder of `personaqa generate`)")
    questions, corpus, settings = (
        run_dir / "questions.jsonl",
        run_dir / "beir" / CORPUS_FILE,
        run_dir / "run.json",
    )
    for path in (questions, corpus, settings):
        if not path.is_file():
            raise InputError(f"{path}: not found; is {run_dir} a finished `personaqa generate` run?")
    records = []
    for line_no, row in json_lines(questions):
        try:
            records.append(QuestionRecord.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{questions}:{line_no}: field {where!r}: {first['msg']}") from None
    if not records:
        raise InputError(f"{questions}: no questions; nothing to export")
    docs = read_corpus(corpus)
    chunks = [
        Chunk(chunk_id=d.id, doc_id=d.metadata.get("doc_id", d.id), title=d.title, text=d.text, start=0)
        for d in docs.values()
    ]
    known = set(docs)
    for record in records:
        missing = [c for c in record.chunk_ids if c not in known]
        if missing:
            raise InputError(
                f"{questions}: question {record.question_id!r}: chunk {missing[0]!r} is not in {corpus}"
            )
    try:
        meta = json.loads(settings.read_text(encoding="utf-8"))
        config = RunConfig(**meta.get("config", {}))
    except (json.JSONDecodeError, ValidationError, TypeError, AttributeError) as exc:
        raise InputError(f"{settings}: cannot read the run's settings ({type(exc).__name__})") from None
    return FinishedRun(records, chunks, config, meta.get("program"))


def check_out(out: Path, run_dir: Path) -> None:
    """OUT is replaced whole: refuse a folder that holds anything but an earlier export-train output."""
    if out.resolve() == run_dir.resolve():
        raise InputError(f"--out {out}: is the run folder itself; give a new folder")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SUMMARY_FILE).is_file())):
        raise InputError(f"--out {out}: exists and is not an export-train folder; give a new or empty folder")


def excluded_chunks(
    record: QuestionRecord,
    doc_of_chunk: dict[str, str],
    chunks_of_doc: dict[str, list[str]],
    copies: ChunkCopies,
) -> frozenset[str]:
    """Never a negative of `record`: every chunk of its documents, every chunk labelled relevant to it (its
    own, their copies, pooled grade > 0), and every identical or near copy of any of those."""
    labelled = [c for c, grade in record.qrels().items() if grade > 0]
    docs = {record.doc_id, *(doc_of_chunk[c] for c in labelled if c in doc_of_chunk)}
    found = set(labelled) | {c for d in docs for c in chunks_of_doc.get(d, [])}
    for chunk_id in list(found):
        found.update(copies.identical.get(chunk_id, []))
        found.update(copies.near.get(chunk_id, []))
    return frozenset(found)


def export_training_set(job: TrainExportJob) -> dict[str, Any]:
    """Split, mine, judge and write (module docstring); returns the summary also written to summary.json."""
    check_out(job.out, job.run_dir)
    run = read_run(job.run_dir)
    config = (
        load_config(job.config_path, job.overrides)
        if job.config_path
        else with_overrides(run.config.model_dump(mode="json"), job.overrides)
    )
    embedder = load_embedder(config.embedder)
    copies = find_chunk_copies(lambda: run.chunks, embedder)
    doc_of_chunk = {c.chunk_id: c.doc_id for c in run.chunks}
    linked = [[c, *others] for found in (copies.identical, copies.near) for c, others in found.items()]
    groups = document_groups(doc_of_chunk, linked, run.records)
    assignment = assign_splits(groups, {r.doc_id for r in run.records}, job.shares, job.seed)
    chunks_of_doc: dict[str, list[str]] = {}
    for chunk in run.chunks:
        chunks_of_doc.setdefault(chunk.doc_id, []).append(chunk.chunk_id)
    judge = _judge(job, run, config) if job.judge else None
    results = {}
    for name in SPLITS:
        result = _split(name, assignment, run)
        questions = [
            PoolQuestion(r.question_id, r.question, excluded_chunks(r, doc_of_chunk, chunks_of_doc, copies))
            for r in result.records
        ]
        result.candidates = _mine(job, questions, result.chunks, embedder, judge)
        results[name] = result
    summary = _summary(job, config, run, assignment, results, copies.chunks_with_copies())
    _write(job, run, results, assignment, summary)
    return summary


def _split(name: str, assignment: Assignment, run: FinishedRun) -> SplitResult:
    docs = assignment.docs_in(name)
    chunks = [c for c in run.chunks if c.doc_id in docs]
    records = [r for r in run.records if assignment.split_of_doc.get(r.doc_id) == name]
    return SplitResult(docs, chunks, records)


@dataclass
class NegativeJudge:
    """The run's relevance judge, built only when a verdict is missing, and the log of its verdicts."""

    factory: Callable[[], PoolJudge]
    log: PoolLog


def _judge(job: TrainExportJob, run: FinishedRun, config: RunConfig) -> NegativeJudge:
    program = _program_path(job, run)

    def factory() -> PoolJudge:
        return PoolJudge.of_program(build_program(config, program), lambda: build_lm(config.lm))

    return NegativeJudge(factory, PoolLog(_judge_log(job.run_dir, config, program)))


def _program_path(job: TrainExportJob, run: FinishedRun) -> Path | None:
    if job.program_path != "run":
        return job.program_path  # type: ignore[return-value]
    if run.program is None:
        return None
    if Path(run.program).is_file():
        return Path(run.program)
    warn_once(f"the run's program {run.program} is gone; judging with the shipped default program")
    return default_program()


def _judge_log(run_dir: Path, config: RunConfig, program: Path | None) -> Path:
    """A checkpoint per judge (LM and program state): another judge does not reuse these verdicts."""
    judge_lm = config.judge_lm or config.lm
    key = {
        "lm": judge_lm.model_dump(mode="json", exclude={"api_key_env"}),
        "program": hashlib.sha256(program.read_bytes()).hexdigest() if program else None,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    folder = run_dir / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"judge-{digest}.jsonl"


def _mine(
    job: TrainExportJob,
    questions: list[PoolQuestion],
    chunks: list[Chunk],
    embedder: Embedder,
    judge: NegativeJudge | None,
) -> list[Candidate]:
    """Each question's candidates in pool order, judged (or not) and capped at `job.negatives` kept."""
    if not questions or len(chunks) < 2:
        return []
    beir_dir = job.run_dir / "beir"
    # the retrievers rank a question's own chunks too, and pooling drops them: look that much deeper
    in_split = {c.chunk_id for c in chunks}
    depth = job.depth + max(len(q.labelled & in_split) for q in questions)
    if judge is None:
        found = pools(questions, chunks, depth, embedder, beir_dir)
        judged: dict[str, list[PooledJudgement] | None] = dict.fromkeys(found)
    else:
        outcome = judge_pools(
            questions,
            chunks,
            depth,
            embedder,
            judge.log,
            judge.factory,
            beir_dir,
            job.workers,
            job.show_progress,
        )
        found = {q: {j.chunk_id: j.retrievers for j in js} for q, js in outcome.judgements.items()}
        judged = dict(outcome.judgements)
    candidates = []
    for question in questions:
        verdicts = {j.chunk_id: j for j in judged.get(question.question_id) or []}
        kept = 0
        for chunk_id, retrievers in found.get(question.question_id, {}).items():
            candidate = Candidate(question.question_id, chunk_id, list(retrievers))
            if chunk_id in verdicts:
                verdict = verdicts[chunk_id]
                candidate.verdict, candidate.reason = verdict.verdict, verdict.answer or verdict.reason
                if verdict.verdict in ANSWERS:
                    candidate.outcome = ANSWERS[verdict.verdict]
                elif verdict.grade is None:
                    candidate.outcome = "unjudged"
            if candidate.outcome == "kept":
                kept += 1
                if kept > job.negatives:
                    candidate.outcome = "beyond_cap"
            candidates.append(candidate)
    return candidates


def passage(chunk: Chunk) -> str:
    """A chunk as the dense retrievers of `evaluate` read it: title, then text."""
    return f"{chunk.title}\n{chunk.text}" if chunk.title else chunk.text


def _rows(result: SplitResult, by_id: dict[str, Chunk]) -> list[dict[str, str]]:
    records = {r.question_id: r for r in result.records}
    return [
        {
            "anchor": records[c.question_id].question,
            "positive": passage(by_id[records[c.question_id].chunk_id]),
            "negative": passage(by_id[c.chunk_id]),
        }
        for c in result.candidates
        if c.outcome == "kept"
    ]


def _summary(
    job: TrainExportJob,
    config: RunConfig,
    run: FinishedRun,
    assignment: Assignment,
    results: dict[str, SplitResult],
    chunks_with_copies: int,
) -> dict[str, Any]:
    by_id = {c.chunk_id: c for c in run.chunks}
    splits = {}
    for name, result in results.items():
        kept_for = {c.question_id for c in result.candidates if c.outcome == "kept"}
        splits[name] = {
            "documents": len(result.docs),
            "chunks": len(result.chunks),
            "questions": len(result.records),
            "rows": len(_rows(result, by_id)),
            "questions_without_negative": sum(r.question_id not in kept_for for r in result.records),
        }
    candidates = [c for r in results.values() for c in r.candidates]
    outcomes = {o: sum(c.outcome == o for c in candidates) for o in ("kept", *ANSWERS.values(), "unjudged")}
    judge_lm = config.judge_lm or config.lm
    return {
        "run_dir": str(job.run_dir),
        "out": str(job.out),
        "seed": job.seed,
        "shares": job.shares,
        "depth": job.depth,
        "negatives_per_question": job.negatives,
        "judge": judge_lm.model if job.judge else "off (--no-judge): negatives not checked",
        "joined_groups": sum(len(g) > 1 for g in assignment.groups),
        "chunks_with_copies": chunks_with_copies,
        "splits": splits,
        "negatives": {
            "mined": len(candidates),
            "judged": sum(c.verdict != "unchecked" for c in candidates) if job.judge else 0,
            "dropped_by_judge": outcomes["answers"] + outcomes["answers_partly"],
            **outcomes,
            "beyond_cap": sum(c.outcome == "beyond_cap" for c in candidates),
        },
    }


def _write(
    job: TrainExportJob,
    run: FinishedRun,
    results: dict[str, SplitResult],
    assignment: Assignment,
    summary: dict,
) -> None:
    """Everything into a staging folder, swapped in place of OUT at the end (nothing half-written)."""
    by_id = {c.chunk_id: c for c in run.chunks}
    with atomic_directory(job.out) as staging:
        rows = {name: _rows(result, by_id) for name, result in results.items()}
        for name, split_rows in rows.items():
            write_jsonl(staging / f"{name}.jsonl", split_rows)
        write_jsonl(
            staging / NEGATIVES_FILE,
            ({"split": name, **vars(c)} for name, result in results.items() for c in result.candidates),
        )
        write_jsonl(
            staging / DOCUMENTS_FILE,
            (
                {"doc_id": doc, "split": assignment.split_of_doc[doc], "group": number}
                for number, group in enumerate(assignment.groups)
                for doc in group
            ),
        )
        _write_datasets(staging / "dataset", rows)
        _write_test_beir(
            staging / TEST_BEIR, job.run_dir / "beir", {r.question_id for r in results["test"].records}
        )
        write_json(staging / SUMMARY_FILE, summary)


def _write_datasets(folder: Path, rows: dict[str, list[dict[str, str]]]) -> None:
    from datasets import Dataset, DatasetDict, Features, Value

    features = Features({c: Value("string") for c in COLUMNS})
    splits = {
        name: Dataset.from_dict({c: [r[c] for r in split_rows] for c in COLUMNS}, features=features)
        for name, split_rows in rows.items()
    }
    DatasetDict(splits).save_to_disk(str(folder), num_shards=dict.fromkeys(splits, 1))


def _write_test_beir(folder: Path, run_beir: Path, test_ids: set[str]) -> None:
    """The run's own BEIR rows for the test questions (their qrels as generate graded them), whole corpus."""
    folder.mkdir(parents=True)
    (folder / CORPUS_FILE).write_bytes((run_beir / CORPUS_FILE).read_bytes())
    with atomic_write(folder / QUERIES_FILE) as queries:
        for _, row in json_lines(run_beir / QUERIES_FILE):
            if row.get("_id") in test_ids:
                queries.write(json.dumps(row, ensure_ascii=False) + "\n")
    with atomic_write(folder / QRELS_DIR / "test.tsv") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        lines = (run_beir / QRELS_DIR / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]
        for line in lines:
            if line.split("\t", 1)[0] in test_ids:
                qrels.write(line + "\n")
    if not test_ids:
        warn_once(f"the test split has no question: {folder} has no query for `personaqa evaluate`")
