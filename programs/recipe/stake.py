"""Whether a chunk concerns a persona at all: a persona passes on a chunk it has no stake in.

NVIDIA's recipe has each persona find *its own* points of interest in a chunk, and a chunk that holds none
for a persona gives none. Asked that in the interests call ("does the passage concern this persona?"), the
1.5B default model said "no" for all 12 units of the sample; asked alone, "yes" for all 12, and with a
three-level scale "a lot" for 11 of 12 (probe, 2026-12-03). The embedder separates them: the cosine of the
chunk with the persona's description, or with the centroid of its example questions, whichever is higher
(`python experiments/persona_stake.py` prints the matrix on the sample, with its README figures). Below `threshold` the persona passes: no LM call
is spent on the unit."""

from __future__ import annotations

import numpy as np

from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.embedding import Embedder


def stake(chunk: Chunk, persona: Persona, embedder: Embedder) -> float:
    """How much the chunk concerns the persona, in [-1, 1]: the higher of the cosines of the chunk's text
    with the persona's description and with the centroid of its example questions (MiniLM vectors are
    unit length; the centroid is renormalised). One example alone is a noisy stand-in: a lawyer's
    "market-share threshold" example scored 0.16 with an air-purifier manual; their centroid 0.08."""
    vectors = embedder.encode([chunk.text, persona.description, *persona.examples])
    scores = [float(vectors[1] @ vectors[0])]
    if persona.examples:
        centroid = vectors[2:].mean(axis=0)
        norm = float(np.linalg.norm(centroid))
        if norm > 0:
            scores.append(float(centroid @ vectors[0]) / norm)
    return max(scores)
