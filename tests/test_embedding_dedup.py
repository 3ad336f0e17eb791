"""Semantic deduplication with the real embedded MiniLM."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import CachingEmbedder
from personaqa.programs.corpus.embedding import semantic_dedup
from personaqa.programs.recipe.filters import near_duplicates

QUESTIONS = [
    "What is the break fee?",
    "When does the competition authority's review end?",
    "How large is the break fee?",
    "Which ports use the terminal scheduling software?",
    "What is the break fee?",
]


@pytest.fixture(scope="module")
def minilm(embedder):
    """The real MiniLM, memoised per text so repeated look-ups cost one model call."""
    return CachingEmbedder(embedder)


def test_embeddings_are_unit_normalised(embedder):
    vectors = embedder.encode(QUESTIONS)
    assert vectors.shape[0] == len(QUESTIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert embedder.encode([]).shape[0] == 0


def test_paraphrase_is_more_similar_than_unrelated_question(minilm):
    v = minilm.encode(QUESTIONS)
    assert float(v[0] @ v[2]) > 0.9
    assert float(v[0] @ v[1]) < 0.6
    assert float(v[0] @ v[3]) < 0.6


def test_semantic_dedup_drops_paraphrase_and_keeps_distinct(minilm):
    assert semantic_dedup(QUESTIONS, minilm, threshold=0.9) == [0, 1, 3]


def test_semantic_dedup_keeps_first_occurrence(minilm):
    reordered = [QUESTIONS[2], QUESTIONS[0]]
    assert semantic_dedup(reordered, minilm, threshold=0.9) == [0]


def test_semantic_dedup_threshold_one_keeps_distinct_texts(minilm):
    distinct = QUESTIONS[:4]
    assert semantic_dedup(distinct, minilm, threshold=1.0) == [0, 1, 2, 3]


def test_semantic_dedup_low_threshold_keeps_only_unrelated(minilm):
    kept = semantic_dedup(QUESTIONS[:4], minilm, threshold=0.5)
    assert kept[0] == 0
    assert 2 not in kept
    assert len(kept) < 4


def test_semantic_dedup_empty(minilm):
    assert semantic_dedup([], minilm, threshold=0.9) == []


def test_near_duplicates_maps_repeat_to_kept_original(minilm):
    assert near_duplicates(QUESTIONS, minilm, threshold=0.9) == {2: 0, 4: 0}


def test_near_duplicates_points_at_a_kept_text_not_at_a_repeat(minilm):
    # the third text repeats the second (a repeat itself) and the first; it must point at the first
    texts = ["What is the break fee?", "How large is the break fee?", "How big is the break fee?"]
    repeats = near_duplicates(texts, minilm, threshold=0.9)
    assert set(repeats) == {1, 2}
    assert all(target == 0 for target in repeats.values())


def test_near_duplicates_threshold_one_keeps_distinct_texts(minilm):
    assert near_duplicates(QUESTIONS[:4], minilm, threshold=1.0) == {}


def test_near_duplicates_agrees_with_semantic_dedup(minilm):
    for threshold in (0.5, 0.8, 0.9, 0.99):
        repeats = near_duplicates(QUESTIONS, minilm, threshold)
        kept = semantic_dedup(QUESTIONS, minilm, threshold)
        assert [i for i in range(len(QUESTIONS)) if i not in repeats] == kept, threshold


@pytest.mark.parametrize("texts", [[], ["only one question?"]])
def test_near_duplicates_trivial_inputs(minilm, texts):
    assert near_duplicates(texts, minilm, threshold=0.9) == {}
