"""Planning a run: the chunks of the documents, the (chunk or chunk group, persona) units in run order, and
the fingerprint of everything that decides the output (so a resumed run is the same run).

A run reads and chunks its documents once: the first pass (the fingerprint) writes every chunk to a spool
file (`ChunkSpool`), and every later pass (chunk groups, units, the BEIR corpus, the MLflow table) streams
that file, so memory stays flat however large the corpus."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Container, Iterable, Iterator
from pathlib import Path

from personaqa.programs.config import RunConfig
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.corpus.chunking import chunk_document
from personaqa.programs.corpus.documents import iter_documents
from personaqa.programs.corpus.embedding import load_embedder
from personaqa.programs.corpus.overlap import ChunkGroup, find_chunk_groups
from personaqa.programs.recipe.program_io import check_program_path
from personaqa.programs.run.job import GenerationJob
from personaqa.programs.run.units import Unit


def iter_chunks(job: GenerationJob) -> Iterator[Chunk]:
    count = 0
    for doc in iter_documents(job.doc_paths):
        for chunk in chunk_document(doc, job.config.chunk_size, job.config.chunk_overlap):
            if job.config.limit_chunks is not None and count >= job.config.limit_chunks:
                return
            count += 1
            yield chunk


class ChunkSpool:
    """The run's chunks, read from the documents once: the first complete pass chunks the documents and writes
    each chunk to `path` (JSON Lines); every later pass streams `path`. A pass left unfinished spools nothing,
    so the next one reads the documents again."""

    def __init__(self, job: GenerationJob, path: Path):
        self.job = job
        self.path = path
        self.complete = False

    def __iter__(self) -> Iterator[Chunk]:
        if self.complete:
            with self.path.open(encoding="utf-8") as spool:
                for line in spool:
                    yield Chunk.model_validate_json(line)
            return
        with self.path.open("w", encoding="utf-8") as spool:
            for chunk in iter_chunks(self.job):
                spool.write(chunk.model_dump_json() + "\n")
                yield chunk
        self.complete = True


def fingerprint(job: GenerationJob, chunks: Iterable[Chunk] | None = None) -> tuple[str, int]:
    """Hash of everything that decides the output, and the number of chunks (validates all input first).
    `chunks`: the run's chunks (default: read from `job.doc_paths`)."""
    digest = hashlib.sha256()
    # How an endpoint is reached (URL, key variable, timeout, retries, form) does not decide the output:
    # a run stopped by an endpoint fault may resume against a new URL or with a longer timeout.
    transport = {"api_base", "api_key_env", "timeout", "num_retries", "structured_output"}
    # Pooled judging comes after the units and is checkpointed apart: a finished run may be pooled later.
    config = job.config.model_dump(
        mode="json", exclude={"lm": transport, "judge_lm": transport, "pool_depth": True}
    )
    digest.update(json.dumps(config, sort_keys=True).encode())
    digest.update(json.dumps([p.model_dump() for p in job.personas]).encode())
    if job.program_path is not None:
        check_program_path(job.program_path)
        digest.update(job.program_path.read_bytes())
    count = 0
    for chunk in iter_chunks(job) if chunks is None else chunks:
        digest.update(chunk.chunk_id.encode() + b"\x00" + chunk.text.encode() + b"\x00")
        count += 1
    if count == 0:
        raise InputError("no chunks: the documents hold no text")
    return digest.hexdigest(), count


def chunk_groups(chunks: list[Chunk], config: RunConfig) -> list[ChunkGroup]:
    """The overlap finder with the run's embedder and `complex_*` settings."""
    return find_chunk_groups(
        chunks,
        load_embedder(config.embedder),
        config.complex_sentence_threshold,
        config.complex_jaccard_threshold,
        config.complex_group_size,
        config.complex_cross_document,
        max_jaccard=config.complex_max_jaccard,
    )


def complex_units(
    job: GenerationJob, total_chunks: int, chunks: Iterable[Chunk] | None = None
) -> list[tuple[ChunkGroup, Persona]]:
    """(group, persona) units for multi-chunk questions: `complex_ratio` of all units, personas spread."""
    config = job.config
    if config.complex_ratio <= 0:
        return []
    wanted = round(config.complex_ratio / (1 - config.complex_ratio) * total_chunks * len(job.personas))
    groups = chunk_groups(list(iter_chunks(job) if chunks is None else chunks), config)
    wanted = min(wanted, len(groups) * len(job.personas))
    # the k-th round over the groups gives group g the persona g + k: distinct pairs, personas spread
    return [
        (groups[i % len(groups)], job.personas[(i % len(groups) + i // len(groups)) % len(job.personas)])
        for i in range(wanted)
    ]


def pending_units(
    job: GenerationJob,
    done: Container[tuple[str, str]],
    groups: list[tuple[ChunkGroup, Persona]] = (),
    chunks: Iterable[Chunk] | None = None,
) -> Iterator[Unit]:
    """(order, chunk or group, persona) of every unit not finished yet, in run order: chunks, then groups."""
    order = 0
    for chunk in iter_chunks(job) if chunks is None else chunks:
        for persona in job.personas:
            if (chunk.chunk_id, persona.name) not in done:
                yield order, chunk, persona
            order += 1
    for group, persona in groups:
        if (group.group_id, persona.name) not in done:
            yield order, group, persona
        order += 1
