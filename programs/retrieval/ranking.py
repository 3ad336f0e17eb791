"""What every retriever shares: the `Retriever` interface, a hit `(doc_id, score)`, the texts a retriever
indexes, and turning a score matrix into top-k lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from personaqa.programs.core.errors import InputError
from personaqa.programs.corpus.documents import warn_once
from personaqa.programs.corpus.segmentation import spaced
from personaqa.programs.retrieval.beir import CorpusDoc

Hit = tuple[str, float]
Corpus = Mapping[str, CorpusDoc]


@runtime_checkable
class Retriever(Protocol):
    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]: ...


def doc_texts(corpus: Corpus, fields: str) -> list[str]:
    if fields == "title":
        return [doc.title for doc in corpus.values()]
    if fields == "title+text":
        return [doc.full_text for doc in corpus.values()]
    raise InputError(f"unknown fields {fields!r}; use 'title' or 'title+text'")


def lexical_texts(texts: Sequence[str]) -> list[str]:
    """Texts as the lexical retrievers tokenise them: words of scripts without spaces spaced apart."""
    return [spaced(text) for text in texts]


def warn_unmatched(name: str, queries: Sequence[str], matched: Sequence[bool]) -> None:
    """One warning line when some queries share no term with any document (`matched` is False for them):
    retriever `name` scores them 0, which reads like a bad retriever rather than, say, another language."""
    missed = [query for query, hit in zip(queries, matched, strict=True) if not hit]
    if missed:
        warn_once(
            f"{name}: {len(missed)} of {len(queries)} queries share no term with any document, so it "
            f"scores them 0 (first: {missed[0][:80]!r}); are the queries in the language of the corpus?"
        )


def top_k(scores: np.ndarray, k: int, doc_ids: Sequence[str], positive_only: bool) -> list[list[Hit]]:
    """Best `k` documents per row of a (queries x docs) score matrix; ties keep corpus order."""
    rankings = []
    for row in scores:
        order = _best_indices(row, k)
        rankings.append([(doc_ids[i], float(row[i])) for i in order if not positive_only or row[i] > 0])
    return rankings


def _best_indices(row: np.ndarray, k: int) -> np.ndarray:
    if k < len(row):
        kth_best = -np.partition(-row, k - 1)[k - 1]
        candidates = np.flatnonzero(row >= kth_best)
    else:
        candidates = np.arange(len(row))
    return candidates[np.lexsort((candidates, -row[candidates]))][:k]
