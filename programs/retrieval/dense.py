"""Dense retrieval: cosine similarity of sentence-transformers embeddings, with the project's shared embedder
(the bundled all-MiniLM-L6-v2 by default) so one process holds one copy of a model."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from personaqa.programs.core.errors import InputError
from personaqa.programs.retrieval.ranking import Corpus, Hit, doc_texts, top_k

if TYPE_CHECKING:
    from personaqa.programs.corpus.embedding import Embedder


def load_encoder(model: str | None = None) -> Embedder:
    """The project's shared embedder (`programs.corpus.embedding`, cached per name); default: bundled MiniLM.

    Any sentence-transformers model name or local path works too.
    """
    from personaqa.programs.corpus.embedding import DEFAULT_EMBEDDER, load_embedder

    name = model or DEFAULT_EMBEDDER
    try:
        with _quiet_weight_loading():
            return load_embedder(name)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot load embedding model {name!r}: {str(exc).splitlines()[0]}") from None


@contextlib.contextmanager
def _quiet_weight_loading() -> Iterator[None]:
    """Hide transformers' "Loading weights" progress bar; restore the setting afterwards."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


class DenseRetriever:
    """Cosine similarity of unit-normalised sentence embeddings (sentence-transformers batches them)."""

    def __init__(
        self, corpus: Corpus, embedder: str | Embedder | None = None, *, fields: str = "title+text"
    ) -> None:
        self._encoder = embedder if _is_encoder(embedder) else load_encoder(embedder and str(embedder))
        self._doc_ids = list(corpus)
        self._docs = self._encoder.encode(doc_texts(corpus, fields))

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        if not queries:
            return []
        scores = self._encoder.encode(queries) @ self._docs.T
        return top_k(scores, k, self._doc_ids, positive_only=False)


def _is_encoder(embedder: object) -> bool:
    return embedder is not None and not isinstance(embedder, str | os.PathLike)
