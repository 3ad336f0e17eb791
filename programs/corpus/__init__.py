"""The user's documents and personas: loading, sentence and word segmentation in any script, chunking,
embeddings and semantic dedup, chunk groups that share information, language detection."""

from personaqa.programs.corpus.chunking import chunk_document
from personaqa.programs.corpus.documents import iter_documents
from personaqa.programs.corpus.embedding import DEFAULT_EMBEDDER, Embedder, load_embedder, semantic_dedup
from personaqa.programs.corpus.language import detect_language, language_name, language_problem
from personaqa.programs.corpus.overlap import ChunkGroup, find_chunk_groups, semantic_jaccard
from personaqa.programs.corpus.personas import load_personas

__all__ = [
    "DEFAULT_EMBEDDER",
    "ChunkGroup",
    "Embedder",
    "chunk_document",
    "detect_language",
    "find_chunk_groups",
    "iter_documents",
    "language_name",
    "language_problem",
    "load_embedder",
    "load_personas",
    "semantic_dedup",
    "semantic_jaccard",
]
