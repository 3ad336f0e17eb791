"""Find chunk groups that share information: sentence-level semantic Jaccard between chunks.

Two chunks overlap when enough of their sentences say the same thing: a sentence is matched
when its embedding is within `sentence_threshold` cosine of a sentence in the other chunk, and
the semantic Jaccard is matched / (all sentences of both - matched). Candidate pairs come from
each chunk's nearest neighbours, so the cost grows with chunks × neighbours, not chunks²."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from personaqa.programs.core.records import Chunk
from personaqa.programs.corpus.chunking import sentence_spans
from personaqa.programs.corpus.embedding import Embedder


@dataclass(frozen=True)
class ChunkGroup:
    chunks: tuple[Chunk, ...]
    jaccard: float  # the weakest pairwise link in the group

    @property
    def group_id(self) -> str:
        return "+".join(c.chunk_id for c in self.chunks)


def sentences(chunk: Chunk, min_chars: int = 20) -> list[str]:
    found = [chunk.text[a:b].strip() for a, b in sentence_spans(chunk.text)]
    return [s for s in found if len(s) >= min_chars] or [chunk.text.strip()]


def semantic_jaccard(
    a: np.ndarray, b: np.ndarray, texts_a: list[str], texts_b: list[str], threshold: float
) -> float:
    """Jaccard over sentences matched by embedding similarity; verbatim repeats (chunk overlap) excluded."""
    similarity = a @ b.T
    for i, text in enumerate(texts_a):
        for j, other in enumerate(texts_b):
            if text == other:
                similarity[i, j] = -1.0
    matched = min(
        int((similarity.max(axis=1) >= threshold).sum()), int((similarity.max(axis=0) >= threshold).sum())
    )
    union = len(texts_a) + len(texts_b) - matched
    return matched / union if union else 0.0


def find_chunk_groups(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    sentence_threshold: float = 0.7,
    jaccard_threshold: float = 0.15,
    group_size: int = 2,
    cross_document: bool = True,
    neighbours: int = 5,
    max_groups: int | None = None,
    max_jaccard: float = 0.6,
) -> list[ChunkGroup]:
    """Groups of `group_size` (2 or 3) chunks whose every pair overlaps at least `jaccard_threshold` and at
    most `max_jaccard`: near-duplicates (a reworded copy) hold the same facts, so no question needs both."""
    if group_size not in (2, 3):
        raise ValueError("group_size must be 2 or 3")
    if len(chunks) < group_size:
        return []
    texts = [sentences(c) for c in chunks]
    flat = [s for t in texts for s in t]
    vectors = embedder.encode(flat)
    bounds = np.cumsum([0] + [len(t) for t in texts])
    per_chunk = [vectors[bounds[i] : bounds[i + 1]] for i in range(len(chunks))]
    centroids = np.stack([v.mean(axis=0) for v in per_chunk])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
    nearest = np.argsort(-(centroids @ centroids.T), axis=1)[:, 1 : neighbours + 1]

    links: dict[tuple[int, int], float] = {}
    for i in range(len(chunks)):
        for j in nearest[i]:
            a, b = sorted((i, int(j)))
            if (a, b) in links or a == b:
                continue
            if not cross_document and chunks[a].doc_id != chunks[b].doc_id:
                continue
            links[(a, b)] = semantic_jaccard(
                per_chunk[a], per_chunk[b], texts[a], texts[b], sentence_threshold
            )
    strong = {pair: j for pair, j in links.items() if jaccard_threshold <= j <= max_jaccard}
    groups = _pairs(strong) if group_size == 2 else _triples(strong)
    groups.sort(key=lambda g: (-g[1], g[0]))
    out = [ChunkGroup(tuple(chunks[i] for i in members), score) for members, score in groups]
    return out[:max_groups] if max_groups else out


def _pairs(strong: dict[tuple[int, int], float]) -> list[tuple[tuple[int, ...], float]]:
    return [(pair, score) for pair, score in strong.items()]


def _triples(strong: dict[tuple[int, int], float]) -> list[tuple[tuple[int, ...], float]]:
    nodes = sorted({i for pair in strong for i in pair})
    found = []
    for a in nodes:
        for b in nodes:
            for c in nodes:
                if a < b < c and (a, b) in strong and (a, c) in strong and (b, c) in strong:
                    found.append(((a, b, c), min(strong[(a, b)], strong[(a, c)], strong[(b, c)])))
    return found
