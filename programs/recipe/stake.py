"""Whether a chunk concerns a persona at all: a persona passes on a chunk it has no stake in.

NVIDIA's recipe has each persona find *its own* points of interest in a chunk, and a chunk that holds none
for a persona gives none. Asked that in the interests call ("does the passage concern this persona?"), the
1.5B default model said "no" for all 12 units of the sample; asked alone, "yes" for all 12, and with a
three-level scale "a lot" for 11 of 12 (probe, 2026-12-03). The embedder separates them: the cosine of the
chunk with the centroid of the persona's example questions (`python experiments/persona_stake.py` prints
the matrix on the sample). A persona without examples is asked about every chunk. Below `threshold` the
persona passes: no LM call is spent on the unit."""

from __future__ import annotations

from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.embedding import Embedder
from personaqa.programs.recipe.examples import ExampleVectors


def stake(
    chunk: Chunk, persona: Persona, embedder: Embedder, examples: ExampleVectors | None = None
) -> float | None:
    """How much the chunk concerns the persona, in [-1, 1]: the cosine of the chunk's text with the
    centroid of the persona's example questions (MiniLM vectors are unit length; the centroid is
    renormalised). None for a persona without examples: its description says mostly how it writes (the
    busy parent's scored -0.03 to 0.11 on every sample chunk, its own air-purifier manual included), so
    it is no measure of stake. One example alone is noisy too: a lawyer's "market-share threshold"
    example scored 0.16 with the air-purifier manual, the centroid 0.08. `examples`: the run's cache of
    example vectors (default: encoded afresh)."""
    scores = (examples or ExampleVectors(embedder)).affinity(persona, [chunk.text])
    return None if scores is None else float(scores[0])
