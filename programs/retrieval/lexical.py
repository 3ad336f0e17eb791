"""Lexical retrievers: BM25 (bm25s, optionally stemmed), TF-IDF cosine and term overlap (scikit-learn).

They read any script: text written without spaces (Chinese, Japanese, Thai ...) is cut into words by ICU's
word breaker first (`lexical_texts`), and a query sharing no term with any document is reported in one
warning, as these retrievers score it 0."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from personaqa.programs.core.errors import InputError
from personaqa.programs.retrieval.ranking import Corpus, Hit, doc_texts, lexical_texts, top_k, warn_unmatched

if TYPE_CHECKING:
    from scipy.sparse import spmatrix


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
            lexical_texts(texts),
            stopwords="en",
            stemmer=self._stemmer,
            return_ids=False,
            show_progress=False,
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
