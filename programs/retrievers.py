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
                (`programs.segmentation.spaced`); a query sharing no term with any document is
                reported in one warning, as these retrievers score it 0.
    dense       sentence-transformers embeddings of title + text, cosine (dot product of
                normalised vectors); default model: the bundled all-MiniLM-L6-v2, loaded
                through `programs.embedding` so one process holds one copy
    dense-title the same over titles only
    hybrid      reciprocal-rank fusion (k=60) of `bm25` and `dense`
    module:function
                a user factory: `function(corpus: dict[str, CorpusDoc]) -> Retriever`, i.e. it
                receives the corpus once and returns the `(queries, k)` callable. The module must
                be importable (the current directory is put on `sys.path`).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from personaqa.programs.beir import CorpusDoc
from personaqa.programs.documents import warn_once
from personaqa.programs.errors import InputError
from personaqa.programs.segmentation import spaced

if TYPE_CHECKING:
    from scipy.sparse import spmatrix

    from personaqa.programs.embedding import Embedder

Hit = tuple[str, float]
Corpus = Mapping[str, CorpusDoc]

BUILT_IN = ("bm25", "bm25-stem", "bm25-title", "tfidf", "overlap", "dense", "dense-title", "hybrid")
RRF_K = 60
FUSION_DEPTH = 100


@runtime_checkable
class Retriever(Protocol):
    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]: ...


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


# ---------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------- lexical


class BM25Retriever:
    """BM25 via bm25s; English stopwords removed, optional Snowball stemming."""

    def __init__(
        self, corpus: Corpus, *, stem: bool = False, fields: str = "title+text", method: str = "lucene"
    ) -> None:
        import bm25s

        self._bm25s = bm25s
        self._name = "bm25-stem" if stem else "bm25-title" if fields == "title" else "bm25"
        self._doc_ids = list(corpus)
        self._stemmer = _english_stemmer() if stem else None
        self._index = bm25s.BM25(method=method)
        texts = lexical_texts(doc_texts(corpus, fields))
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._index.index(tokens, show_progress=False)

    def terms(self, texts: Sequence[str]) -> list[list[str]]:
        """The terms this retriever matches in each text, in order: lower-cased words of 2+ characters,
        bm25s' short English stop word list removed, stemmed for `bm25-stem`."""
        return self._bm25s.tokenize(
            lexical_texts(texts), stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False,
        )

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query`, in corpus order (0 for a document sharing no term)."""
        return np.asarray(self._index.get_scores(self.terms([query])[0]), dtype=float)

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        if not queries:
            return []
        tokens = self.terms(queries)
        vocabulary = self._index.vocab_dict
        warn_unmatched(self._name, queries, [any(t and t in vocabulary for t in row) for row in tokens])
        k = min(k, len(self._doc_ids))
        indices, scores = self._index.retrieve(tokens, k=k, show_progress=False)
        return [
            [(self._doc_ids[i], float(s)) for i, s in zip(row_i, row_s, strict=True) if s > 0]
            for row_i, row_s in zip(indices, scores, strict=True)
        ]


def _english_stemmer() -> Callable[[list[str]], list[str]]:
    try:
        import Stemmer
    except ImportError:
        raise InputError("bm25-stem needs PyStemmer: pip install PyStemmer") from None
    return Stemmer.Stemmer("english").stemWords


class _SparseRetriever:
    """Shared core of the scikit-learn vectoriser retrievers: score = doc matrix . query."""

    def __init__(self, corpus: Corpus, vectorizer: object, name: str, fields: str = "title+text") -> None:
        self._doc_ids = list(corpus)
        self._vectorizer = vectorizer
        self._name = name
        texts = lexical_texts(doc_texts(corpus, fields))
        self._docs: spmatrix = vectorizer.fit_transform(texts)  # type: ignore[attr-defined]

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        if not queries:
            return []
        query_matrix = self._vectorizer.transform(lexical_texts(queries))  # type: ignore[attr-defined]
        warn_unmatched(self._name, queries, query_matrix.getnnz(axis=1) > 0)
        scores = (query_matrix @ self._docs.T).toarray()
        return top_k(scores, k, self._doc_ids, positive_only=True)


class TfidfRetriever(_SparseRetriever):
    """TF-IDF cosine similarity (vectors are L2-normalised by scikit-learn)."""

    def __init__(self, corpus: Corpus) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        super().__init__(corpus, TfidfVectorizer(stop_words="english", sublinear_tf=True), "tfidf")


class OverlapRetriever(_SparseRetriever):
    """How many distinct non-stopword query terms a document contains: a deliberately weak floor."""

    def __init__(self, corpus: Corpus) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

        super().__init__(corpus, CountVectorizer(stop_words="english", binary=True), "overlap")


def overlap_terms(texts: Sequence[str]) -> list[set[str]]:
    """The distinct terms `OverlapRetriever` counts in each text: lower-cased words of 2+ characters
    minus scikit-learn's 318 English stop words (which include question words: what, how, which)."""
    from sklearn.feature_extraction.text import CountVectorizer

    analyse = CountVectorizer(stop_words="english").build_analyzer()
    return [set(analyse(text)) for text in lexical_texts(texts)]


# ---------------------------------------------------------------- dense


def load_encoder(model: str | None = None) -> Embedder:
    """The project's shared embedder (`programs.embedding`, cached per name); default: bundled MiniLM.

    Any sentence-transformers model name or local path works too.
    """
    from personaqa.programs.embedding import DEFAULT_EMBEDDER, load_embedder

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


# ---------------------------------------------------------------- plug-ins


def load_plugin(spec: str, corpus: Corpus) -> Retriever:
    """Import `module:function`, call it with the corpus, and check the result is a retriever."""
    factory = _import_callable(spec)
    try:
        inspect.signature(factory).bind(corpus)
    except (TypeError, ValueError):
        raise InputError(f"retriever {spec!r}: the factory must accept one argument, the corpus") from None
    retriever = factory(corpus)
    if not callable(retriever):
        raise InputError(
            f"retriever {spec!r}: the factory returned {type(retriever).__name__}, not a callable"
        )
    return CheckedRetriever(retriever, spec, set(corpus))


def _import_callable(spec: str) -> Callable[..., object]:
    module_name, _, attr = spec.rpartition(":")
    if not module_name or not attr:
        raise InputError(f"retriever {spec!r}: expected module:function")
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"retriever {spec!r}: cannot import {module_name!r} ({exc})") from None
    factory = getattr(module, attr, None)
    if not callable(factory):
        raise InputError(f"retriever {spec!r}: {module_name} has no callable {attr!r}")
    return factory


class CheckedRetriever:
    """Wraps a user retriever: rejects malformed output with a one-line error, truncates to k."""

    def __init__(self, inner: Callable[[list[str], int], object], name: str, doc_ids: set[str]) -> None:
        self._inner = inner
        self._name = name
        self._doc_ids = doc_ids

    def __call__(self, queries: list[str], k: int) -> list[list[Hit]]:
        output = self._inner(queries, k)
        if not isinstance(output, Sequence) or len(output) != len(queries):
            raise InputError(f"retriever {self._name!r}: expected one result list per query ({len(queries)})")
        return [self._check(hits)[:k] for hits in output]

    def _check(self, hits: object) -> list[Hit]:
        if not isinstance(hits, list | tuple):
            raise InputError(f"retriever {self._name!r}: expected a list of (doc_id, score) per query")
        checked: list[Hit] = []
        for hit in hits:
            if not (
                isinstance(hit, Sequence)
                and len(hit) == 2
                and isinstance(hit[0], str)
                and isinstance(hit[1], int | float | np.number)
            ):
                raise InputError(
                    f"retriever {self._name!r}: each hit must be (doc_id: str, score: float), got {hit!r}"
                )
            if hit[0] not in self._doc_ids:
                raise InputError(f"retriever {self._name!r}: returned unknown doc id {hit[0]!r}")
            checked.append((hit[0], float(hit[1])))
        if len({doc_id for doc_id, _ in checked}) != len(checked):
            raise InputError(f"retriever {self._name!r}: returned the same doc id twice for one query")
        return checked
