"""Pooled qrels for `validate`'s synthetic side (`--pool-depth K`).

A synthetic question is labelled with one relevant document, its source, where a human query of a judged
collection has many (CISI: median 30.5), so a retriever that ranks another document answering the question
first is scored as wrong. With K, every synthetic question pools the top K documents of BM25 and of dense
retrieval over the full human corpus (how TREC chooses what to judge), less its source documents, and the
generation's relevance judge grades each one as `generate --pool-depth` grades chunks
(`programs.run.pooled_judging`: 2 fully, 1 partially, 0 not or unsupported, None unusable). The synthetic
side is then scored again with graded qrels: source documents 2, pooled documents their grade.

Each judgement is appended to OUT/pool.jsonl as it is made: a rerun judges only what is missing, and
another K judges only the new documents. Cost: one judge LM call per pooled document (at most 2K per
question). Memory: both indexes of the corpus and the questions' texts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from personaqa.programs.config import RunConfig
from personaqa.programs.core.records import Chunk
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.lm.build import build_lm
from personaqa.programs.recipe.build import build_program
from personaqa.programs.retrieval.beir import BeirCollection
from personaqa.programs.run.pooled_judging import PoolJudge, PoolLog, PoolOutcome, PoolQuestion, judge_pools

POOL_LOG = "pool.jsonl"
SOURCE_GRADE = 2


@dataclass
class PooledQrels:
    """question id → document id → grade (1 or 2; grade 0 documents are left out), and the judgements."""

    qrels: dict[str, dict[str, int]]
    outcome: PoolOutcome


def pooled_qrels(
    synthetic: list[dict[str, Any]],
    collection: BeirCollection,
    depth: int,
    config: RunConfig,
    program_path: Path | None,
    out: Path,
    workers: int = 1,
    show_progress: bool = False,
) -> PooledQrels:
    """Pool and judge every synthetic question (`{_id, text, doc_ids}` rows) over `collection`'s corpus.
    The judge is the generation program's relevance judge (`program_path`'s compiled state) on the judge
    LM if `config` sets one, else on the task LM; it is loaded only when a judgement is missing.
    Raises LMUnavailableError when the LM stops answering (the finished judgements stay in the log)."""
    chunks = [
        Chunk(chunk_id=doc.id, doc_id=doc.id, title=doc.title, text=doc.text, start=0)
        for doc in collection.corpus.values()
        if doc.text.strip()
    ]
    questions = [PoolQuestion(row["_id"], row["text"], frozenset(row["doc_ids"])) for row in synthetic]

    def judge() -> PoolJudge:
        return PoolJudge.of_program(build_program(config, program_path), lambda: build_lm(config.lm))

    outcome = judge_pools(
        questions,
        chunks,
        depth,
        load_embedder(config.embedder),
        PoolLog(out / POOL_LOG),
        judge,
        collection.root,
        workers,
        show_progress,
    )
    qrels = {
        row["_id"]: {
            **{j.chunk_id: j.grade for j in outcome.judgements.get(row["_id"], []) if j.grade},
            **dict.fromkeys(row["doc_ids"], SOURCE_GRADE),
        }
        for row in synthetic
    }
    return PooledQrels(qrels, outcome)
