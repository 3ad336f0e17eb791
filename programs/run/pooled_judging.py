"""Pooled judging: the other chunks that answer a question, found by retrievers and graded by the judge.

A question is labelled with the chunk(s) it was written from and their copies; another chunk may answer it
too, and a retriever that ranks that chunk first is then scored as wrong. With `pool_depth` K, every kept
question searches the run's chunks with BM25 and with dense retrieval (the run's embedder); the union of
both top-K lists (the pool: how TREC chooses what to judge), less the question's own chunks and their
copies, is judged by the run's relevance judge (compiled state included; the judge LM if one is set), one
LM call per pooled chunk, its cited sentences checked as for kept questions
(programs/recipe/checks/evidence.py):

    grade 2  "fully", and the cited sentences, or else one sentence of the chunk, hold the answer
             (`evidence.supporting`, the check kept questions pass)
    grade 1  "partially", citing at least one sentence of the chunk (its answer may say what is missing)
    grade 0  "not", or a relevant verdict whose citation fails that check, or whose evidence holds under
             30% of the question's content words (`reason` says why)
    None     the judge's answer could not be used (`verdict` "lm_error"): the chunk stays unjudged

The grades go to `QuestionRecord.pooled` and the BEIR qrels (the question's own chunks stay grade 2), so
`evaluate` scores nDCG on graded qrels.

Each judgement is appended to `DIR/.personaqa/pool.jsonl` as soon as it is made: a stopped run resumes
without repeating a finished judge call, and a later run with another depth judges only the new chunks.
Pending judgements go chunk by chunk, in corpus order, so an in-process model reads one passage for all
the questions that pooled it (llama.cpp reuses the prompt prefix).

Memory: the run's chunks (both indexes) and the kept questions' texts."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dspy
from personaqa.programs.core.jsonl import complete_lines
from personaqa.programs.core.records import Chunk, PooledJudgement, QuestionRecord
from personaqa.programs.corpus.embedding import Embedder
from personaqa.programs.lm.build import adapter_for
from personaqa.programs.lm.calls import StageFailure
from personaqa.programs.lm.usage import Ledger, collecting
from personaqa.programs.recipe.checks.evidence import cited, supporting
from personaqa.programs.recipe.fan_out import fan_out
from personaqa.programs.recipe.filters import RelevanceJudge, RelevanceVerdict
from personaqa.programs.recipe.wording import lexical_overlap
from personaqa.programs.retrieval.beir import CorpusDoc
from personaqa.programs.retrieval.panel import build_panel
from pydantic import BaseModel
from tqdm import tqdm

if TYPE_CHECKING:  # for the annotation of PoolJudge.of_program only
    from personaqa.programs.recipe.pipeline import SyntheticEvalProgram

STAGE = "pool"  # the LM usage ledger's stage for pooled judge calls
GRADES = {"fully": 2, "partially": 1, "not": 0}
POOL_RETRIEVERS = ("bm25", "dense")
POOL_FILE = "pool.jsonl"


@dataclass(frozen=True)
class PoolQuestion:
    """A kept question as pooling sees it; `labelled` chunks (its own and their copies) are not judged."""

    question_id: str
    text: str
    labelled: frozenset[str]

    @classmethod
    def of(cls, record: QuestionRecord) -> PoolQuestion:
        return cls(record.question_id, record.question, frozenset(record.relevant_chunk_ids()))


def pools(
    questions: Sequence[PoolQuestion], chunks: Sequence[Chunk], depth: int, embedder: Embedder, beir_dir: Path
) -> dict[str, dict[str, list[str]]]:
    """question id → pooled chunk id → the retrievers that ranked it in their top `depth`, in pool order
    (rank by rank, BM25 before dense). The retrievers run under `evaluate`'s policy (programs/panel.py: one
    that cannot index the chunks is skipped with a warning naming `beir_dir`'s corpus)."""
    corpus = {c.chunk_id: CorpusDoc(id=c.chunk_id, title=c.title, text=c.text) for c in chunks}
    panel = build_panel(list(POOL_RETRIEVERS), corpus, beir_dir, embedder)
    runs = panel.search({q.question_id: q.text for q in questions}, depth)
    found: dict[str, dict[str, list[str]]] = {}
    for question in questions:
        pooled: dict[str, list[str]] = {}
        for rank in range(depth):
            for name, run in runs.items():
                hits = run[question.question_id]
                if rank < len(hits) and hits[rank][0] not in question.labelled:
                    pooled.setdefault(hits[rank][0], []).append(name)
        found[question.question_id] = pooled
    return found


# The share of the question's content words (recipe/wording.lexical_overlap) a pooled chunk's evidence must
# hold. On 30 CISI abstracts (experiments/pooled_cisi.py, 1.5B judge), all 17 pooled chunks graded relevant
# were about something else, the judge's answer copied from one of their sentences: their evidence held
# 0-44% of the question's words (16 of 17 under 30%); the evidence the kept questions cite in their own
# chunks held 11-83% (8 of 9 at 36% or more). A relevant chunk in quite other words is missed: precision
# first, as a weak judge's false positives make a correct retriever look wrong.
MIN_QUESTION_OVERLAP = 0.3


def graded(judged: RelevanceVerdict, chunk: Chunk, retrievers: list[str], question: str) -> PooledJudgement:
    """The judge's verdict on `question` as a qrels grade (module docstring), with the sentences it cites."""
    grade = GRADES[judged.verdict.label]
    common = {
        "chunk_id": chunk.chunk_id,
        "verdict": judged.verdict.label,
        "answer": judged.answer,
        "retrievers": retrievers,
    }
    problem = None
    if grade == 2:
        spans, problem = supporting(judged.answer, judged.sentences, chunk.chunk_id, chunk.text, question)
    else:
        spans = cited(judged.sentences, chunk.chunk_id, chunk.text) if grade else []
        problem = "cites no sentence of the chunk" if grade and not spans else None
    if grade and spans and not problem:
        share = lexical_overlap(question, " ".join(span.text for span in spans))
        if share < MIN_QUESTION_OVERLAP:
            problem = f"the evidence holds {share:.0%} of the question's content words (under 30%)"
    if problem:
        return PooledJudgement(grade=0, reason=f"{problem}: sentences {judged.sentences}", **common)
    return PooledJudgement(grade=grade, evidence=spans, **common)


class PoolJudge:
    """The run's relevance judge on its LM: (question, chunk) → the judgement and the LM usage it took."""

    def __init__(self, judge: RelevanceJudge, lm: dspy.LM):
        self.judge = judge
        self.lm = lm

    @classmethod
    def of_program(cls, program: SyntheticEvalProgram, task_lm: Callable[[], dspy.LM]) -> PoolJudge:
        """`program`'s relevance judge on its judge LM if it has one, else on `task_lm()` (built then)."""
        return cls(program.relevance, program.judge_lm or task_lm())

    def __call__(self, question: str, chunk: Chunk, retrievers: list[str]) -> tuple[PooledJudgement, Ledger]:
        ledger = Ledger()
        with collecting(ledger), dspy.context(lm=self.lm, adapter=adapter_for(self.lm)):
            try:
                judged = self.judge(chunk, question, stage=STAGE)
            except StageFailure as failure:  # LMUnavailableError goes on up: the run stops and resumes later
                return PooledJudgement(
                    chunk_id=chunk.chunk_id,
                    grade=None,
                    verdict="lm_error",
                    reason=failure.detail,
                    retrievers=retrievers,
                ), ledger
        return graded(judged, chunk, retrievers, question), ledger


class PoolEntry(BaseModel):
    """One finished judgement, as checkpointed."""

    question_id: str
    judgement: PooledJudgement
    usage: Ledger

    @property
    def key(self) -> tuple[str, str]:
        return (self.question_id, self.judgement.chunk_id)


class PoolLog:
    """Append-only JSONL of finished judgements. A torn last line (killed mid-write) is dropped."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> dict[tuple[str, str], PoolEntry]:
        return {entry.key: entry for _, entry in complete_lines(self.path, PoolEntry)}

    def append(self, entry: PoolEntry) -> None:
        line = (entry.model_dump_json() + "\n").encode()
        with self._lock, self.path.open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


@dataclass
class PoolOutcome:
    """Every pooled question's judgements (pool order) and the LM usage of pooled judging."""

    depth: int
    judgements: dict[str, list[PooledJudgement]]
    usage: Ledger = field(default_factory=Ledger)  # every judge call made for this output folder
    usage_this_session: Ledger = field(default_factory=Ledger)

    def counts(self) -> dict[str, int | float]:
        """For run.json: questions pooled, chunks judged, grades, and extra relevant chunks per question."""
        judged = [j for found in self.judgements.values() for j in found]
        relevant = sum(1 for j in judged if j.grade)
        return {
            "depth": self.depth,
            "questions": len(self.judgements),
            "judged": len(judged),
            "grade_2": sum(j.grade == 2 for j in judged),
            "grade_1": sum(j.grade == 1 for j in judged),
            "grade_0": sum(j.grade == 0 for j in judged),
            "unjudged": sum(j.grade is None for j in judged),
            "extra_relevant_per_question": round(relevant / max(len(self.judgements), 1), 3),
        }


def judge_pools(
    questions: Iterable[PoolQuestion],
    chunks: Sequence[Chunk],
    depth: int,
    embedder: Embedder,
    log: PoolLog,
    judge_factory: Callable[[], PoolJudge],
    beir_dir: Path,
    workers: int = 1,
    show_progress: bool = False,
) -> PoolOutcome:
    """Pool every question, judge what the log does not hold yet (`judge_factory` is called only then, so
    a finished run loads no LM), and collect the judgements. `workers` judge calls are in flight at once."""
    questions = list(questions)
    if not questions:
        return PoolOutcome(depth, {})
    found = pools(questions, chunks, depth, embedder, beir_dir)
    done = log.load()
    by_id = {c.chunk_id: c for c in chunks}
    order = {chunk_id: i for i, chunk_id in enumerate(by_id)}
    text = {q.question_id: q.text for q in questions}
    pending = sorted(
        (
            (qid, cid, names)
            for qid, pooled in found.items()
            for cid, names in pooled.items()
            if (qid, cid) not in done
        ),
        key=lambda item: order[item[1]],
    )
    session = Ledger()
    if pending:
        judge = judge_factory()
        lock = threading.Lock()
        with tqdm(
            total=len(pending),
            desc=f"{STAGE:>11}",
            unit="call",
            disable=not (show_progress and sys.stderr.isatty()),
        ) as bar:

            def step(item: tuple[str, str, list[str]]) -> None:
                qid, cid, names = item
                judgement, usage = judge(text[qid], by_id[cid], names)
                entry = PoolEntry(question_id=qid, judgement=judgement, usage=usage)
                log.append(entry)
                with lock:
                    done[entry.key] = entry
                    session.merge(usage)
                bar.update(1)

            for start in range(0, len(pending), 4 * workers):  # a failure stops the run within one batch
                fan_out(step, pending[start : start + 4 * workers], workers)
    usage = Ledger()
    for entry in done.values():
        usage.merge(entry.usage)
    judgements = {
        qid: [
            done[qid, cid].judgement.model_copy(update={"retrievers": names}) for cid, names in pooled.items()
        ]
        for qid, pooled in found.items()
    }
    return PoolOutcome(depth, judgements, usage, session)
