"""Near-duplicate questions across units: one set, not one list per (chunk, persona).

Within a unit the pipeline drops near-duplicates before any judge; the same chunk read by three
personas, or two chunks saying the same thing, can still yield one question three times. This pass
runs over the kept questions of the whole run, in run order, before export.

It runs at the end, not as units finish: a check against the questions other units had written so far
made the set depend on which unit finished first (with `--workers 3` a later unit's copy could drop an
earlier unit's question that the serial run kept), and on where a run was resumed. The price is the
style and judge calls spent on a question that is dropped here."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from personaqa.programs.core.records import QuestionRecord, Rejection
from personaqa.programs.corpus.embedding import Embedder

BATCH = 256


def run_duplicates(records: Iterable[QuestionRecord], embedder: Embedder, threshold: float) -> dict[str, str]:
    """question_id → question_id of the earlier kept question it repeats (cosine of the final texts ≥
    `threshold`), for every record after the first of its kind, in the order given.

    Memory: one float16 vector per kept question (384 dimensions with MiniLM: 768 bytes)."""
    kept_ids: list[str] = []
    blocks: list[np.ndarray] = []  # float16 vectors of kept questions, one block per batch
    repeats: dict[str, str] = {}
    batch: list[QuestionRecord] = []

    def flush() -> None:
        vectors = embedder.encode([r.question for r in batch]).astype(np.float32)
        earlier = np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, vectors.shape[1]))
        new: list[int] = []
        for row, (record, vector) in enumerate(zip(batch, vectors)):
            scores = np.concatenate([earlier @ vector, vectors[new] @ vector])
            if scores.size and float(scores.max()) >= threshold:
                repeats[record.question_id] = kept_ids[int(scores.argmax())]
            else:
                kept_ids.append(record.question_id)
                new.append(row)
        blocks.append(vectors[new].astype(np.float16))
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return repeats


def duplicate_rejection(record: QuestionRecord, original_id: str) -> Rejection:
    """The `dedup` rejection of a kept question that repeats an earlier one of the run."""
    fields = record.model_dump(include=set(Rejection.model_fields) - {"stage", "reason"})
    return Rejection(
        **fields, stage="dedup", reason=f"near-duplicate of {original_id} (another unit of the run)"
    )
