"""The validate diagnosis on a three-document corpus, every figure worked out by hand."""

from __future__ import annotations

import math

import pytest
from personaqa.programs.evaluation.diagnosis import JudgedQuery, diagnose, mlflow_metrics, print_diagnosis
from personaqa.programs.retrieval.beir import CorpusDoc
from rich.console import Console

# Terms the `overlap` retriever counts (stop words and question words removed):
#   a: cat care cats need fresh water warm bed         (8 BM25 tokens)
#   b: dog walks dogs need long fresh water            (8 BM25 tokens: "walks" twice)
#   c: fish tanks need clean                           (6 BM25 tokens)
CORPUS = {
    "a": CorpusDoc("a", "Cat care", "Cats need fresh water and a warm bed."),
    "b": CorpusDoc("b", "Dog walks", "Dogs need long walks and fresh water."),
    "c": CorpusDoc("c", "Fish tanks", "Fish need clean tanks."),
}
HUMAN = [
    # {warm, bed, cats}: all in a (1); only a has any -> BM25 rank 1
    JudgedQuery("h1", "warm bed for cats", ("a",)),
    # {fresh, water, pets}: 2 of 3 in a and in b (best 2/3, mean 2/3); a and b tie -> rank 1
    JudgedQuery("h2", "fresh water for pets", ("a", "b")),
    # {long, walks}: none in c (0); c scores 0, b scores > 0 -> rank 2, no shared term
    JudgedQuery("h3", "long walks", ("c",)),
]
SYNTHETIC = [
    JudgedQuery("s1", "Do cats need a warm bed?", ("a",), "factoid"),  # 6 words, 4/4 terms, rank 1
    JudgedQuery("s2", "What do fish need?", ("c",), "factoid"),  # 4 words, 2/2, rank 1 (fish only in c)
    JudgedQuery("s3", "How long are dog walks?", ("b",), "open-ended"),  # 5 words, 3/3, rank 1 (only b)
    # {pets, drink, fresh, water}: 2/4 in a; a and b score the same (same terms, same length) -> rank 1
    JudgedQuery("s4", "Which pets drink fresh water?", ("a",), "open-ended"),
    # {dogs, need, fresh, water}: 3/4 in a; b has them all at the same length -> ranks above a; c has
    # only "need" -> below a: rank 2
    JudgedQuery("s5", "Which dogs need fresh water?", ("a",), "open-ended"),
]
HUMAN_SCORES = {"bm25": 0.5, "dense": 0.7, "overlap": 0.2}
SYNTHETIC_SCORES = {"bm25": 0.9, "dense": 0.6, "overlap": 0.8}


@pytest.fixture(scope="module")
def diagnosis() -> dict:
    return diagnose(CORPUS, HUMAN, SYNTHETIC, HUMAN_SCORES, SYNTHETIC_SCORES, "ndcg@10").as_json()


def test_human_profile_by_hand(diagnosis: dict) -> None:
    human = dict(diagnosis["human"])
    assert human.pop("question_types") == {}  # human queries carry no type
    assert human == pytest.approx(
        {
            "n_queries": 3,
            "words": 4.0,  # 4, 4, 2
            "term_overlap_best": 2 / 3,  # 1, 2/3, 0
            "term_overlap_mean": 2 / 3,  # 1, (2/3 + 2/3) / 2, 0
            "bm25_rank": 1.0,  # 1, 1, 2
            "bm25_first": 2 / 3,
            "no_shared_term": 1 / 3,  # h3
            "relevant_median": 1.0,  # 1, 2, 1
            "relevant_mean": 4 / 3,
        }
    )


def test_synthetic_profile_by_hand(diagnosis: dict) -> None:
    synthetic = dict(diagnosis["synthetic"])
    assert list(synthetic.pop("question_types").items()) == [("open-ended", 3), ("factoid", 2)]  # most first
    assert synthetic == pytest.approx(
        {
            "n_queries": 5,
            "words": 5.0,  # 6, 4, 5, 5, 5
            "term_overlap_best": 1.0,  # 1, 1, 1, 0.5, 0.75
            "term_overlap_mean": 1.0,
            "bm25_rank": 1.0,  # 1, 1, 1, 1, 2
            "bm25_first": 0.8,
            "no_shared_term": 0.0,
            "relevant_median": 1.0,
            "relevant_mean": 1.0,
        }
    )


def test_retrievers_side_by_side_best_human_first(diagnosis: dict) -> None:
    assert diagnosis["metric"] == "ndcg@10"
    assert diagnosis["retrievers"] == [
        {"name": "dense", "human": 0.7, "synthetic": 0.6, "difference": pytest.approx(-0.1)},
        {"name": "bm25", "human": 0.5, "synthetic": 0.9, "difference": pytest.approx(0.4)},
        {"name": "overlap", "human": 0.2, "synthetic": 0.8, "difference": pytest.approx(0.6)},
    ]


def test_a_query_of_stop_words_only_has_no_overlap() -> None:
    # "what is it" has no overlap term: left out of the overlap medians, counted everywhere else
    queries = [JudgedQuery("q1", "what is it", ("a",)), JudgedQuery("q2", "warm bed for cats", ("a",))]
    human = diagnose(CORPUS, queries, queries[1:], HUMAN_SCORES, SYNTHETIC_SCORES, "ndcg@10").human
    assert human.n_queries == 2 and human.term_overlap_best == 1.0 and human.words == 3.5
    assert human.no_shared_term == 0.5  # no document contains "what"


def test_unknown_or_missing_relevant_documents_are_refused() -> None:
    with pytest.raises(ValueError, match="'z' is not in the corpus"):
        diagnose(CORPUS, [JudgedQuery("q", "cats", ("z",))], [], HUMAN_SCORES, SYNTHETIC_SCORES, "ndcg@10")
    with pytest.raises(ValueError, match="'q' has no relevant document"):
        diagnose(CORPUS, [JudgedQuery("q", "cats", ())], [], HUMAN_SCORES, SYNTHETIC_SCORES, "ndcg@10")


def test_an_empty_side_gives_undefined_figures() -> None:
    empty = diagnose(CORPUS, HUMAN, [], HUMAN_SCORES, SYNTHETIC_SCORES, "ndcg@10").as_json()["synthetic"]
    assert empty["n_queries"] == 0 and empty["words"] is None and empty["bm25_first"] is None


def test_printed_section_and_mlflow_metrics(diagnosis: dict) -> None:
    console = Console(record=True, width=140)
    print_diagnosis(diagnosis, console)
    text = console.export_text()
    assert "Diagnosis: human queries vs synthetic questions" in text
    assert "synthetic question types: open-ended 3 (60%), factoid 2 (40%)" in text
    assert "human question types" not in text
    assert _cells(text, "share of query terms in the best relevant")[1:] == ["0.67", "1.00"]
    assert _cells(text, "queries whose best relevant document BM25 ranks first")[1:] == ["67%", "80%"]
    assert _cells(text, "overlap ")[1:] == ["0.200", "0.800", "+0.600"]
    metrics = mlflow_metrics(diagnosis)
    assert metrics["diagnosis.human.bm25_first"] == pytest.approx(2 / 3)
    assert metrics["diagnosis.synthetic.words"] == 5.0 and len(metrics) == 18
    assert all(isinstance(v, float) and not math.isnan(v) for v in metrics.values())


def _cells(text: str, start: str) -> list[str]:
    """The cells of the first table row whose first cell starts with `start`."""
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("│")[1:-1]]
        if cells and (cells[0] + " ").startswith(start):
            return cells
    raise AssertionError(f"no row starting with {start!r} in:\n{text}")
