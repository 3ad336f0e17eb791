"""Retrievers to score on a BEIR collection, built from a short spec string.

`personaqa evaluate --retriever SPEC` needs a handful of honest baselines of clearly
different quality (lexical, dense, fused, deliberately weak) plus a way to plug in the
user's own system. Every retriever is a plain callable
`(queries, k) -> [[(doc_id, score), ...] per query]`, best first.

Specs:
    bm25        BM25 (bm25s, Lucene variant) over title + text
    bm25-stem   the same with English Snowball stemming (PyStemmer)
    bm25-title  BM25 over titles only
    tfidf       TF-IDF cosine (scikit-learn, sublinear tf)
    overlap     number of distinct query terms found in the document (a weak floor)
                The lexical retrievers read any script: text written without spaces (Chinese,
                Japanese, Thai ...) is cut into words by ICU's word breaker first
                (`programs.corpus.segmentation.spaced`); a query sharing no term with any document is
                reported in one warning, as these retrievers score it 0.
    dense       sentence-transformers embeddings of title + text, cosine (dot product of
                normalised vectors); default model: the bundled all-MiniLM-L6-v2, loaded
                through `programs.corpus.embedding` so one process holds one copy
    dense-title the same over titles only
    hybrid      reciprocal-rank fusion (k=60) of `bm25` and `dense`
    module:function
                a user factory: `function(corpus: dict[str, CorpusDoc]) -> Retriever`, i.e. it
                receives the corpus once and returns the `(queries, k)` callable. The module must
                be importable (the current directory is put on `sys.path`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from personaqa.programs.core.errors import InputError
from personaqa.programs.retrieval.dense import DenseRetriever, load_encoder
from personaqa.programs.retrieval.lexical import (
    BM25Retriever,
    OverlapRetriever,
    TfidfRetriever,
    overlap_terms,
)
from personaqa.programs.retrieval.plugins import CheckedRetriever, load_plugin
from personaqa.programs.retrieval.ranking import Corpus, Hit, Retriever, top_k

if TYPE_CHECKING:
    from personaqa.programs.corpus.embedding import Embedder

BUILT_IN = ("bm25", "bm25-stem", "bm25-title", "tfidf", "overlap", "dense", "dense-title", "hybrid")
RRF_K = 60
FUSION_DEPTH = 100

__all__ = [
    "BUILT_IN",
    "BM25Retriever",
    "CheckedRetriever",
    "Corpus",
    "DenseRetriever",
    "FusionRetriever",
    "Hit",
    "OverlapRetriever",
    "Retriever",
    "TfidfRetriever",
    "build_retriever",
    "check_spec",
    "load_encoder",
    "load_plugin",
    "overlap_terms",
    "top_k",
]


# ---------------------------------------------------------------- factory


def build_retriever(
    spec: str,
    corpus: Corpus,
    embedder: str | Embedder | None = None,
    built: dict[str, Retriever] | None = None,
) -> Retriever:
    """Build the retriever named by `spec`; `built` caches parts shared by several specs."""
    built = {} if built is None else built
    spec = spec.strip()
    if spec not in built:
        built[spec] = _make(spec, corpus, embedder, built)
    return built[spec]


def _make(spec: str, corpus: Corpus, embedder: object, built: dict[str, Retriever]) -> Retriever:
    if spec == "bm25":
        return BM25Retriever(corpus)
    if spec == "bm25-stem":
        return BM25Retriever(corpus, stem=True)
    if spec == "bm25-title":
        return BM25Retriever(corpus, fields="title")
    if spec == "tfidf":
        return TfidfRetriever(corpus)
    if spec == "overlap":
        return OverlapRetriever(corpus)
    if spec == "dense":
        return DenseRetriever(corpus, embedder)
    if spec == "dense-title":
        return DenseRetriever(corpus, embedder, fields="title")
    if spec == "hybrid":
        parts = [build_retriever(name, corpus, embedder, built) for name in ("bm25", "dense")]
        return FusionRetriever(parts)
    check_spec(spec)
    return load_plugin(spec, corpus)


def check_spec(spec: str) -> None:
    """Reject a misspelt spec before any expensive index is built."""
    if spec not in BUILT_IN and ":" not in spec:
        raise InputError(f"unknown retriever {spec!r}; use one of {', '.join(BUILT_IN)} or module:function")


# ---------------------------------------------------------------- fusion


class FusionRetriever:
    """Reciprocal-rank fusion of several retrievers' top `FUSION_DEPTH` lists.

    score(d) = sum over lists of 1 / (rrf_k + rank of d), rank from 1 (Cormack et al., 2009).
    Written out rather than via `ranx.fuse`: same numbers, but ranx's numba start-up added
    5-20 s to every run.
    """

    def __init__(self, parts: Sequence[Retriever], rrf_k: int = RRF_K) -> None:
        self._parts = list(parts)
        self._rrf_k = rrf_k

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        depth = max(k, FUSION_DEPTH)
        per_part = [part(queries, depth) for part in self._parts]
        return [self._fuse(lists)[:k] for lists in zip(*per_part, strict=True)] if queries else []

    def _fuse(self, rankings: Sequence[list[Hit]]) -> list[Hit]:
        fused: dict[str, float] = {}
        for hits in rankings:
            for rank, (doc_id, _) in enumerate(hits, start=1):
                fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (self._rrf_k + rank)
        return sorted(fused.items(), key=lambda hit: (-hit[1], hit[0]))
