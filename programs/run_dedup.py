"""Near-duplicate questions across units: one set, not one list per (chunk, persona).

Within a unit the pipeline drops near-duplicates before any judge; the same chunk read by three
personas, or two chunks saying the same thing, can still yield one question three times. This pass
runs over the kept questions of the whole run, in run order, before export."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from personaqa.programs.embedding import Embedder
from personaqa.programs.records import QuestionRecord, Rejection

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
    return Rejection(**fields, stage="dedup", reason=f"near-duplicate of {original_id} (another unit of the run)")


class WrittenQuestions:
    """The questions written so far in this run, to drop a repeat of another unit's question before any
    LM work is spent on it (style, judges): the same chunk read by three personas often yields one
    question three times. Thread-safe; one float16 vector per question (768 bytes with MiniLM).

    Only this process's units are seen (Ray workers each keep their own), and a resumed run starts empty;
    the pass over kept questions before export (`run_duplicates`) still catches what gets past."""

    def __init__(self, embedder: Embedder, threshold: float):
        self.embedder = embedder
        self.threshold = threshold
        self._ids: list[str] = []
        self._vectors = np.zeros((0, 0), dtype=np.float16)
        self._lock = threading.Lock()

    def claim(self, question_ids: list[str], texts: list[str]) -> dict[int, str]:
        """Index in `texts` → id of the earlier question of another claim it repeats (cosine ≥ threshold);
        the others are added to the index. Texts of one call are not compared with each other."""
        if not texts:
            return {}
        vectors = self.embedder.encode(texts).astype(np.float32)
        with self._lock:
            repeats: dict[int, str] = {}
            if self._ids:
                scores = vectors @ self._vectors.astype(np.float32).T
                repeats = {i: self._ids[int(row.argmax())] for i, row in enumerate(scores)
                           if float(row.max()) >= self.threshold}
            fresh = [i for i in range(len(texts)) if i not in repeats]
            if fresh:
                new = vectors[fresh].astype(np.float16)
                self._vectors = new if not self._ids else np.concatenate([self._vectors, new])
                self._ids.extend(question_ids[i] for i in fresh)
            return repeats
