"""A persona's example questions as MiniLM vectors, encoded once per run.

Three steps read them: the stake gate (`stake.py`: does the chunk concern the persona at all?), the
sentences a persona is offered in a chunk (`generation.offered_sentences`: those nearest its examples),
and the check that a written question is not one of them over again (`styling.example_repeat`). Encoding
them again for every unit and every question cost one embedder call each."""

from __future__ import annotations

import threading

import numpy as np
from personaqa.programs.core.records import Persona
from personaqa.programs.corpus.embedding import Embedder


class ExampleVectors:
    """persona → its example questions' unit vectors (n × d) and their renormalised centroid (d), cached
    by the examples' text; None for a persona without examples. Thread-safe."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._cache: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray | None]] = {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> ExampleVectors:
        return ExampleVectors(self.embedder)  # a copy of a program starts with an empty cache

    def _encoded(self, persona: Persona) -> tuple[np.ndarray, np.ndarray | None] | None:
        if not persona.examples:
            return None
        key = tuple(persona.examples)
        with self._lock:
            if key not in self._cache:
                vectors = self.embedder.encode(list(key))
                centroid = vectors.mean(axis=0)
                norm = float(np.linalg.norm(centroid))
                self._cache[key] = (vectors, centroid / norm if norm > 0 else None)
            return self._cache[key]

    def vectors(self, persona: Persona) -> np.ndarray | None:
        """The unit vectors of the persona's example questions, one row each; None without examples."""
        encoded = self._encoded(persona)
        return None if encoded is None else encoded[0]

    def centroid(self, persona: Persona) -> np.ndarray | None:
        """The unit-length centroid of the persona's example questions; None without examples (or when
        they cancel out)."""
        encoded = self._encoded(persona)
        return None if encoded is None else encoded[1]

    def affinity(self, persona: Persona, texts: list[str]) -> np.ndarray | None:
        """Cosine of each text with the centroid of the persona's examples, in [-1, 1]; None without
        examples."""
        centroid = self.centroid(persona)
        if centroid is None or not texts:
            return None
        return self.embedder.encode(texts) @ centroid
