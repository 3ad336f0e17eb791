"""Chunks that are copies: the same paragraph in two files, a handbook copied into a new year's version.

A question labelled with one copy only caps every retriever: ranking the other copy first counts as a miss.
At export every question is also labelled with the copies of its chunk(s) that answer it as well
(`QuestionRecord.duplicate_chunk_ids`, one more qrels line each); the run warns how many chunks have copies.

The rule, measurable without an LM:
- identical: the same text after NFKC, lower-casing and collapsing whitespace (`normalised`);
  an identical copy is always labelled;
- near-identical: embedding cosine ≥ `NEAR_COPY_COSINE` (0.95 with MiniLM); such a copy is labelled for a
  question only when it contains each of the question's evidence spans verbatim (same normalisation), so the
  new year's version whose figure changed is not labelled with last year's answer.

Memory: one hash and one float32 vector (1.5 kB with MiniLM) per distinct chunk text."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
from personaqa.programs.core.records import Chunk, QuestionRecord
from personaqa.programs.corpus.embedding import Embedder

NEAR_COPY_COSINE = 0.95
BATCH = 256


def normalised(text: str) -> str:
    """`text` as copies and evidence are compared: NFKC, lower case, whitespace runs as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


@dataclass
class ChunkCopies:
    """chunk id → the other chunks that are identical / near-identical copies of it."""

    identical: dict[str, list[str]] = field(default_factory=dict)
    near: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # normalised text of every chunk with a near copy

    def chunks_with_copies(self) -> int:
        return len(self.identical.keys() | self.near.keys())

    def copies_for(self, record: QuestionRecord) -> list[str]:
        """The chunks, other than the record's own, that answer it too: identical copies of each of its
        chunks, and near-identical ones holding every evidence span the judge quoted from that chunk."""
        found: list[str] = []
        for chunk_id in record.chunk_ids:
            found += self.identical.get(chunk_id, [])
            spans = [normalised(e.text) for e in record.evidence if e.chunk_id == chunk_id]
            if spans:
                found += [c for c in self.near.get(chunk_id, []) if all(s in self.texts[c] for s in spans)]
        return [c for c in dict.fromkeys(found) if c not in record.chunk_ids]

    def warning(self) -> str:
        count = self.chunks_with_copies()
        return (
            f"{count} chunk(s) have an identical or near-identical copy in the documents (same paragraph in "
            f"two files?); each question is labelled with every copy that answers it (duplicate_chunk_ids, "
            f"BEIR qrels)"
        )


def find_chunk_copies(
    chunks: Callable[[], Iterable[Chunk]], embedder: Embedder, threshold: float = NEAR_COPY_COSINE
) -> ChunkCopies:
    """Copies among the chunks `chunks()` yields (called twice: the corpus is streamed, not held)."""
    groups: dict[str, list[str]] = {}  # hash of the normalised text → chunk ids, in corpus order
    distinct: list[str] = []  # hashes of the distinct texts, in embedding order
    vectors: list[np.ndarray] = []
    batch: list[str] = []

    def flush() -> None:
        vectors.append(embedder.encode(batch).astype(np.float32))
        batch.clear()

    for chunk in chunks():
        text = normalised(chunk.text)
        key = hashlib.sha1(text.encode()).hexdigest()
        if key not in groups:
            groups[key] = []
            distinct.append(key)
            batch.append(text)
            if len(batch) >= BATCH:
                flush()
        groups[key].append(chunk.chunk_id)
    if batch:
        flush()
    copies = ChunkCopies()
    for members in groups.values():
        for chunk_id in members if len(members) > 1 else []:
            copies.identical[chunk_id] = [c for c in members if c != chunk_id]
    for a, b in _near_pairs(vectors, threshold):
        for left, right in ((distinct[a], distinct[b]), (distinct[b], distinct[a])):
            for chunk_id in groups[left]:
                copies.near.setdefault(chunk_id, []).extend(groups[right])
    if copies.near:
        copies.texts = {c.chunk_id: normalised(c.text) for c in chunks() if c.chunk_id in copies.near}
    return copies


def _near_pairs(blocks: list[np.ndarray], threshold: float) -> list[tuple[int, int]]:
    """(i, j), i < j, of distinct texts whose cosine is ≥ `threshold`, compared one block at a time."""
    if not blocks:
        return []
    matrix = np.concatenate(blocks)
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(matrix), BATCH):
        scores = matrix[start : start + BATCH] @ matrix.T
        for row, col in zip(*np.nonzero(scores >= threshold)):
            i = start + int(row)
            if i < int(col):
                pairs.append((i, int(col)))
    return pairs
