"""`personaqa validate`: rank-agreement arithmetic by hand, and the command end to end on a fake endpoint."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import mlflow
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_endpoint import FakeEndpoint
from personaqa.programs.cli import main
from personaqa.programs.evaluation.validation import (
    agreement,
    bootstrap_agreement,
    kendall_tau,
    ranking,
    ranks,
    sample_documents,
    score_matrix,
    spearman_rho,
    split_half_baseline,
    split_half_taus,
    system_scores,
)
from personaqa.programs.retrieval.retrievers import BUILT_IN

# ---------------------------------------------------------------- pure functions


def test_identical_rankings_have_tau_and_rho_one() -> None:
    assert kendall_tau([0.1, 0.5, 0.3, 0.9], [0.2, 0.6, 0.4, 0.8]).value == pytest.approx(1.0)
    assert spearman_rho([0.1, 0.5, 0.3, 0.9], [0.2, 0.6, 0.4, 0.8]).value == pytest.approx(1.0)


def test_reversed_rankings_have_tau_and_rho_minus_one() -> None:
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]).value == pytest.approx(-1.0)
    assert spearman_rho([1, 2, 3, 4], [4, 3, 2, 1]).value == pytest.approx(-1.0)


def test_one_swapped_pair_by_hand() -> None:
    # pairs: 6; only (2, 3) is discordant -> tau = (5 - 1) / 6; rho = 1 - 6 * (0+1+1+0) / (4 * 15) = 0.8
    tau, rho = agreement({"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 1, "b": 3, "c": 2, "d": 4})
    assert tau.value == pytest.approx(4 / 6)
    assert rho.value == pytest.approx(0.8)


def test_constant_side_gives_undefined_correlation() -> None:
    tau = kendall_tau([0.0, 0.0, 0.0], [1, 2, 3])
    assert math.isnan(tau.value) and tau.as_json() == {"value": None, "p_value": None}


def test_system_scores_rankings_and_ranks() -> None:
    per_query = {
        "bm25": {"q1": 1.0, "q2": 0.0},
        "dense": {"q1": 0.5, "q2": 0.5},
        "overlap": {"q1": 0.0, "q2": 0.2},
    }
    scores = system_scores(per_query)
    assert scores == {"bm25": 0.5, "dense": 0.5, "overlap": pytest.approx(0.1)}
    assert ranking(scores) == ["bm25", "dense", "overlap"]  # tie broken by name
    assert ranks(scores) == {"bm25": 1, "dense": 1, "overlap": 3}
    systems, qids, matrix = score_matrix(per_query, ["dense", "bm25", "overlap"])
    assert systems == ["dense", "bm25", "overlap"] and qids == ["q1", "q2"]
    assert matrix.tolist() == [[0.5, 0.5], [1.0, 0.0], [0.0, 0.2]]
    with pytest.raises(ValueError):
        score_matrix({"a": {"q1": 1.0}, "b": {"q2": 1.0}})


def test_split_half_when_every_query_agrees_is_one() -> None:
    # 4 systems x 9 queries; every query orders the systems the same way (values differ per query)
    rng = np.random.default_rng(1)
    base = np.array([[0.9], [0.6], [0.3], [0.1]])
    matrix = base + rng.uniform(0, 0.05, size=(4, 9))
    baseline = split_half_baseline(matrix, n_splits=200, seed=3)
    assert baseline.median == 1.0 and baseline.q1 == 1.0 and baseline.q3 == 1.0 and baseline.iqr == 0.0
    assert baseline.n_splits == 200 and baseline.n_defined == 200 and baseline.half_size == 4


def test_split_half_by_hand_on_two_queries() -> None:
    # two queries that order three systems in opposite directions: each split compares q1 with q2 -> tau -1
    matrix = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    assert split_half_taus(matrix, n_splits=5, seed=0).tolist() == [-1.0] * 5


def test_split_half_is_seeded_and_skips_undefined_splits() -> None:
    rng = np.random.default_rng(0)
    matrix = rng.uniform(size=(5, 20))
    assert np.array_equal(split_half_taus(matrix, 50, seed=7), split_half_taus(matrix, 50, seed=7))
    flat = split_half_baseline(np.ones((3, 6)), n_splits=10)
    assert flat.n_defined == 0 and math.isnan(flat.median) and flat.as_json()["median"] is None


def test_split_half_reports_the_5_to_95_percent_range() -> None:
    rng = np.random.default_rng(2)
    matrix = rng.uniform(size=(6, 30)) + np.linspace(0.4, 0, 6)[:, None]
    baseline = split_half_baseline(matrix, n_splits=300, seed=4)
    taus = split_half_taus(matrix, 300, seed=4)
    assert (baseline.p5, baseline.p95) == tuple(np.percentile(taus, [5, 95]))
    assert baseline.p5 < baseline.q1 <= baseline.median <= baseline.q3 < baseline.p95
    assert baseline.as_json()["p5"] == baseline.p5 and baseline.as_json()["p95"] == baseline.p95


# ---------------------------------------------------------------- bootstrap over synthetic questions

HUMAN = {"a": 0.9, "b": 0.5, "c": 0.1}


def test_bootstrap_when_every_question_agrees_with_the_humans_is_one() -> None:
    # each question orders a > b > c (its values differ), so every resample's means do too
    synthetic = {
        "a": {"s1": 0.8, "s2": 1.0, "s3": 0.6},
        "b": {"s1": 0.4, "s2": 0.7, "s3": 0.5},
        "c": {"s1": 0.0, "s2": 0.2, "s3": 0.1},
    }
    boot = bootstrap_agreement(HUMAN, synthetic, n_resamples=200, seed=1)
    assert (boot.tau_low, boot.tau_high, boot.rho_low, boot.rho_high) == (1.0, 1.0, 1.0, 1.0)
    assert boot.n_resamples == boot.n_defined == 200 and boot.seed == 1 and boot.confidence == 0.95
    assert boot.as_json()["kendall_tau"] == [1.0, 1.0] and boot.as_json()["n_resamples"] == 200


def test_bootstrap_by_hand_on_two_opposite_questions() -> None:
    # s1 agrees with the humans (tau +1), s2 reverses them (tau -1), their mean is flat (undefined): a
    # resample is {s1, s1} (1/4), {s2, s2} (1/4) or one of each (1/2, dropped) -> interval -1 .. +1
    synthetic = {"a": {"s1": 1.0, "s2": 0.0}, "b": {"s1": 0.5, "s2": 0.5}, "c": {"s1": 0.0, "s2": 1.0}}
    boot = bootstrap_agreement(HUMAN, synthetic, n_resamples=2000, seed=0)
    assert (boot.tau_low, boot.tau_high) == (-1.0, 1.0) and (boot.rho_low, boot.rho_high) == (-1.0, 1.0)
    assert 0.45 < boot.n_defined / 2000 < 0.55


def test_agreement_by_subset_measures_each_axis_value_on_its_own_questions() -> None:
    """Three own-words questions order the systems as the humans do, three passage-worded ones reverse
    them: each subset's tau is +1 resp. -1 (intervals too), while the whole set's mean is flat."""
    from personaqa.programs.evaluation.subsets import agreement_by_subset

    agree, reverse = {"a": 1.0, "b": 0.5, "c": 0.0}, {"a": 0.0, "b": 0.5, "c": 1.0}
    rows, scores = [], {name: {} for name in HUMAN}
    for i in range(6):
        own = i < 3
        rows.append(
            {
                "_id": f"q{i}",
                "text": "one two three" if own else "one two",
                "persona": "p",
                "wording": "own" if own else "passage",
                "lexical_overlap": 0.2 if own else 0.8,
                "categories": {"premise": "with" if i % 2 else "without"},
            }
        )
        for name in HUMAN:
            scores[name][f"q{i}"] = (agree if own else reverse)[name] + (0.01 * i if name == "a" else 0)
    table = {(r["axis"], r["value"]): r for r in agreement_by_subset(HUMAN, scores, rows, n_resamples=100)}
    assert set(table) == {
        ("wording", "own"),
        ("wording", "passage"),
        ("category premise", "with"),
        ("category premise", "without"),
    }  # one persona: no persona rows
    own, passage = table["wording", "own"], table["wording", "passage"]
    assert (own["n"], own["kendall_tau"], own["tau_low"], own["tau_high"]) == (3, 1.0, 1.0, 1.0)
    assert (passage["kendall_tau"], passage["tau_high"]) == (-1.0, -1.0)
    assert (own["median_words"], own["median_lexical_overlap"]) == (3, 0.2)


def test_bootstrap_is_seeded_and_undefined_when_no_resample_orders_the_systems() -> None:
    rng = np.random.default_rng(5)
    synthetic = {name: {f"s{i}": float(v) for i, v in enumerate(rng.uniform(size=25))} for name in "abcd"}
    human = {"a": 0.4, "b": 0.3, "c": 0.2, "d": 0.1}
    boot = bootstrap_agreement(human, synthetic, 300, seed=3)
    assert boot == bootstrap_agreement(human, synthetic, 300, seed=3)
    assert -1.0 <= boot.tau_low < boot.tau_high <= 1.0 and boot.n_defined == 300
    flat = bootstrap_agreement(HUMAN, {name: {"s1": 0.5, "s2": 0.5} for name in HUMAN}, 50)
    assert flat.n_defined == 0 and math.isnan(flat.tau_low) and flat.as_json()["spearman_rho"] == [None, None]
    with pytest.raises(ValueError):
        bootstrap_agreement(HUMAN, {"a": {"s1": 1.0}, "b": {"s1": 0.0}}, 10)


def test_sample_prefers_relevant_documents_and_tops_up() -> None:
    ids = [f"d{i}" for i in range(10)]
    chosen, from_preferred = sample_documents(ids, {"d2", "d5", "d7"}, 2, seed=0)
    assert from_preferred == 2 and set(chosen) <= {"d2", "d5", "d7"}
    assert sample_documents(ids, {"d2", "d5", "d7"}, 2, seed=0) == (chosen, 2)
    chosen, from_preferred = sample_documents(ids, {"d2", "d5"}, 4, seed=1)
    assert from_preferred == 2 and {"d2", "d5"} <= set(chosen) and len(chosen) == 4
    assert chosen == sorted(chosen, key=ids.index)  # corpus order
    assert len(sample_documents(ids, set(), 50)[0]) == 10


# ---------------------------------------------------------------- end to end

# Words the fake endpoint writes its questions with appear in the documents, so lexical
# retrievers find something for the synthetic questions too.
DOCS = [
    (
        "d1",
        "Port merger review",
        "The regulator reviews the merger of two ports and sets a deadline for remedies.",
    ),
    (
        "d2",
        "Filter warranty",
        "The water filter has a two year warranty; a remote sensor reports when to replace it.",
    ),
    (
        "d3",
        "Parking fee policy",
        "The city policy raises the parking fee near the ports and adds a resident allowance.",
    ),
    (
        "d4",
        "Sensor calibration",
        "Calibrate the humidity sensor every month; a remote app shows the readings.",
    ),
    (
        "d5",
        "Travel allowance",
        "Staff claim a daily travel allowance; the policy lists the deadline for claims.",
    ),
    ("d6", "Volcanoes", "A volcano erupts lava, ash and gases from deep inside the Earth."),
    ("d7", "Bread baking", "Bakers knead dough with yeast and flour before it goes in the oven."),
    ("d8", "Chess openings", "The Sicilian defence is a popular first move sequence for black."),
    (
        "d9",
        "Warranty claims",
        "A warranty claim needs the receipt; the fee for late claims is waived by policy.",
    ),
    (
        "d10",
        "Remote work",
        "Remote work policy: employees get an allowance for a home office filter and chair.",
    ),
    ("d11", "Cats", "Small domestic felines; they often sit purring on a warm lap."),
    (
        "d12",
        "Harbour dredging",
        "Dredging keeps ports deep enough for large ships; the merger funds new dredgers.",
    ),
]
QUERIES = [
    ("q1", "deadline for remedies in a ports merger", ["d1", "d12"]),
    ("q2", "how long is the warranty on a water filter", ["d2", "d9"]),
    ("q3", "parking fee near the harbour", ["d3"]),
    ("q4", "travel allowance claim deadline", ["d5"]),
    ("q5", "lava and ash from a volcano", ["d6"]),
    ("q6", "home office allowance for remote staff", ["d10"]),
]
PERSONAS = """\
- name: analyst
  description: A market analyst who asks precise questions about fees, deadlines and mergers.
- name: resident
  description: A resident who asks short practical questions about local rules.
"""


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    root = tmp_path / "human"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in DOCS)
    )
    (root / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t, _ in QUERIES)
    )
    qrels = "".join(f"{q}\t{d}\t1\n" for q, _, docs in QUERIES for d in docs)
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels)
    return root


@pytest.fixture
def personas(tmp_path: Path) -> Path:
    path = tmp_path / "personas.yaml"
    path.write_text(PERSONAS)
    return path


def test_validate_end_to_end_with_fake_endpoint(
    collection: Path, personas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "validate"
    config = tmp_path / "run.yaml"
    config.write_text("max_interests: 1\nmax_types_per_interest: 1\n")
    with FakeEndpoint() as endpoint:
        code = main(
            [
                "validate",
                "--beir",
                str(collection),
                "--personas",
                str(personas),
                "--sample-docs",
                "4",
                "--out",
                str(out),
                "--splits",
                "200",
                "--resamples",
                "300",
                "--config",
                str(config),
                "--lm",
                "openai/fake",
                "--api-base",
                endpoint.base_url,
                "--quiet",
            ]
        )
    assert code == 0
    stdout = capsys.readouterr().out
    assert "Kendall tau" in stdout and "split-half" in stdout and "5-95 % range" in stdout
    assert "single-qrel ceiling (20 draws of one relevant document per human query" in stdout
    assert "95% CI" in stdout and "300 resamples of the" in stdout and "seed 0" in stdout
    assert "Diagnosis: human queries vs synthetic questions" in stdout and "synthetic - human" in stdout

    result = json.loads((out / "validate.json").read_text())
    assert result["retrievers"] == list(BUILT_IN)
    assert sorted(result["human_ranking"]) == sorted(BUILT_IN) == sorted(result["synthetic_ranking"])
    assert result["n_human_queries"] == 6 and result["n_synthetic_questions"] > 0
    assert result["metric"] == "ndcg@10" and set(result["metrics"]) == {"ndcg@10", "recall@10", "mrr@10"}
    tau, rho = result["kendall_tau"]["value"], result["spearman_rho"]["value"]
    assert tau is not None and -1.0 <= tau <= 1.0 and rho is not None and -1.0 <= rho <= 1.0
    half = result["split_half"]
    assert half["n_splits"] == 200 and half["half_size"] == 3 and half["n_defined"] > 0
    assert -1.0 <= half["p5"] <= half["q1"] <= half["median"] <= half["q3"] <= half["p95"] <= 1.0
    ceiling = result["single_qrel_ceiling"]  # q1 and q2 have two relevant documents each, the rest one
    assert ceiling["draws"] == 20 and ceiling["relevant_per_query"] == pytest.approx(8 / 6, abs=0.01)
    assert (
        ceiling["metric"] == "ndcg@10" and -1.0 <= ceiling["p5"] <= ceiling["median"] <= ceiling["p95"] <= 1.0
    )
    boot = result["bootstrap"]
    assert boot["n_resamples"] == 300 and boot["seed"] == 0 and boot["n_defined"] > 0
    assert boot["metric"] == "ndcg@10" and boot["confidence"] == 0.95
    for low, high in (boot["kendall_tau"], boot["spearman_rho"]):
        assert -1.0 <= low <= high <= 1.0
    diagnosis = result["diagnosis"]
    assert diagnosis["human"]["n_queries"] == 6
    assert diagnosis["human"]["relevant_mean"] == pytest.approx(8 / 6)  # q1 and q2 have two each
    assert diagnosis["synthetic"]["n_queries"] == result["n_synthetic_questions"]
    assert sum(diagnosis["synthetic"]["question_types"].values()) == result["n_synthetic_questions"]
    by_name = {r["name"]: r for r in result["per_retriever"]}
    assert [g["name"] for g in diagnosis["retrievers"]] == result["human_ranking"]
    for gap in diagnosis["retrievers"]:
        row = by_name[gap["name"]]
        assert (gap["human"], gap["synthetic"]) == (row["human"]["ndcg@10"], row["synthetic"]["ndcg@10"])
        assert gap["difference"] == pytest.approx(gap["synthetic"] - gap["human"])
    for row in result["per_retriever"]:
        for side in ("human", "synthetic"):
            assert set(row[side]) == {"ndcg@10", "recall@10", "mrr@10"}
            assert all(0.0 <= v <= 1.0 for v in row[side].values())
    # the synthetic side is scored on the human corpus with source documents as the relevant ones
    sample = result["sample"]
    assert sample["n_docs"] == 4 and sample["n_relevant_to_a_human_query"] == 4
    relevant = {d for _, _, docs in QUERIES for d in docs}
    assert set(sample["doc_ids"]) <= relevant
    questions = [
        json.loads(line) for line in (out / "synthetic" / "questions.jsonl").read_text().splitlines()
    ]
    assert len(questions) == result["n_synthetic_questions"]
    assert {q["doc_id"] for q in questions} <= set(sample["doc_ids"])
    assert "full human corpus" in result["comparability"]
    assert result["synthetic_text_checks"]["n"] == result["n_synthetic_questions"]
    assert (out / "human_vs_synthetic.png").read_bytes().startswith(b"\x89PNG")
    rows = (out / "per_query.jsonl").read_text().splitlines()
    assert len(rows) == len(BUILT_IN) * (6 + result["n_synthetic_questions"])
    assert not list(out.glob(".*.tmp"))

    # the run is logged to MLflow with the intervals and the diagnosis
    client = mlflow.MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    experiment = client.get_experiment_by_name("personaqa")
    runs = client.search_runs([experiment.experiment_id], "tags.`personaqa.command` = 'validate'")
    logged = next(r for r in runs if r.data.params["out_dir"] == result["out_dir"])
    assert logged.data.params["resamples"] == "300"
    assert logged.data.metrics["kendall_tau_ci_low"] == pytest.approx(boot["kendall_tau"][0])
    assert logged.data.metrics["split_half_p95_tau"] == pytest.approx(half["p95"])
    assert logged.data.metrics["diagnosis.human.n_queries"] == 6.0
    artifacts = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"validate.json", "per_query.jsonl", "human_vs_synthetic.png"} <= artifacts


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--retrievers", "bm25", "tfidf"], "need at least 3 retrievers"),
        (["--retrievers", "bm25,nope,tfidf"], "unknown retriever 'nope'"),
        (["--metric", "ndcg"], "--metric must be family@k"),
        (["--sample-docs", "0"], "--sample-docs must be at least 1"),
        (["--resamples", "0"], "--resamples must be at least 1"),
        (["--pool-depth", "-1"], "--pool-depth must be 0 (no pooling) or more"),
        (["--program", "baselne"], "give a .json program state from `personaqa compile`, or `baseline`"),
        (["--program", "PROGRAM_JSON"], "not valid JSON"),
        (
            ["--lm", "openai/x", "--api-key-env", "PQA_TEST_UNSET_KEY"],
            "environment variable PQA_TEST_UNSET_KEY",
        ),
        (["--lm", "gguf:/nowhere/model.gguf"], "GGUF file not found"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    collection: Path, personas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], extra, expected
) -> None:
    program = tmp_path / "broken.json"
    program.write_text("{not json")
    extra = [str(program) if arg == "PROGRAM_JSON" else arg for arg in extra]
    code = main(
        [
            "validate",
            "--beir",
            str(collection),
            "--personas",
            str(personas),
            "--out",
            str(tmp_path / "o"),
            "--no-mlflow",
            *extra,
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("personaqa: error:") and expected in err and "\n" not in err
    assert not (tmp_path / "o").exists()


def test_missing_collection(personas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "validate",
                "--beir",
                str(tmp_path / "none"),
                "--personas",
                str(personas),
                "--out",
                str(tmp_path / "o"),
                "--no-mlflow",
            ]
        )
        == 2
    )
    assert "dataset folder not found" in capsys.readouterr().err


def test_generation_chunk_size_defaults_to_whole_abstracts(tmp_path: Path) -> None:
    import argparse

    from personaqa.programs.cli.validate import DEFAULT_CHUNK_SIZE, _generation_config

    def config_for(chunk_size: int | None, config: Path | None):
        args = argparse.Namespace(
            config=config,
            chunk_size=chunk_size,
            lm=None,
            api_base=None,
            api_key_env=None,
            judge_lm=None,
            temperature=None,
            max_tokens=None,
            embedder=None,
        )
        return _generation_config(args)

    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text("chunk_size: 2000\nmax_interests: 1\n")
    assert config_for(None, None).chunk_size == DEFAULT_CHUNK_SIZE == 4000
    assert config_for(None, yaml_file).chunk_size == 2000 and config_for(None, yaml_file).max_interests == 1
    assert config_for(900, yaml_file).chunk_size == 900


def test_text_checks_flag_placeholders_and_repeats() -> None:
    from personaqa.programs.evaluation.validation import text_checks

    checks = text_checks(["{styled_question}", "{styled_question}", "What is MARC?", "how are titles chosen"])
    assert checks == {"n": 4, "n_distinct": 3, "n_with_placeholder": 2, "n_without_question_mark": 3}


def test_multi_chunk_questions_are_relevant_to_every_source_document(
    tmp_path: Path, collection: Path
) -> None:
    from personaqa.programs.evaluation.validate import _read_synthetic
    from personaqa.programs.retrieval.beir import load_beir

    (tmp_path / "syn" / "beir").mkdir(parents=True)
    (tmp_path / "syn" / "beir" / "corpus.jsonl").write_text(
        "".join(
            json.dumps({"_id": f"{d}#c0", "title": "", "text": "x", "doc_id": d}) + "\n" for d in ("d1", "d3")
        )
    )
    (tmp_path / "syn" / "questions.jsonl").write_text(
        json.dumps(
            {
                "question_id": "s1",
                "question": "fees and mergers?",
                "doc_id": "d1",
                "chunk_id": "d1#c0",
                "persona": "analyst",
                "question_type": "comparative",
                "complexity": "multi",
                "chunk_ids": ["d1#c0", "d3#c0"],
            }
        )
        + "\n"
        + json.dumps(
            {
                "question_id": "s2",
                "question": "what fee?",
                "doc_id": "d3",
                "chunk_id": "d3#c0",
                "persona": "resident",
                "question_type": "extractive",
            }
        )
        + "\n"
    )
    rows = _read_synthetic(tmp_path / "syn", load_beir(collection))
    assert [(r["_id"], r["doc_ids"], r["complexity"]) for r in rows] == [
        ("s1", ["d1", "d3"], "multi"),
        ("s2", ["d3"], "single"),
    ]


def test_diagnosis_hook_reads_qrels_and_synthetic_records(tmp_path: Path, collection: Path) -> None:
    from personaqa.programs.evaluation.validate import _diagnosis, _read_synthetic
    from personaqa.programs.retrieval.beir import load_beir

    (collection / "qrels" / "test.tsv").write_text(
        "q1\td1\t1\nq1\td12\t0\nq3\td3\t2\n"
    )  # d12 judged not relevant
    beir = load_beir(collection)
    (tmp_path / "syn").mkdir()
    (tmp_path / "syn" / "questions.jsonl").write_text(
        "".join(
            json.dumps(r) + "\n"
            for r in [
                {
                    "question_id": "s1",
                    "question": "Which deadline does the regulator set for remedies?",
                    "doc_id": "d1",
                    "chunk_id": "d1#c0",
                    "persona": "analyst",
                    "question_type": "factoid",
                },
                {
                    "question_id": "s2",
                    "question": "Is the parking fee raised near the ports?",
                    "doc_id": "d3",
                    "chunk_id": "d3#c0",
                    "persona": "resident",
                    "question_type": "yes-no",
                },
            ]
        )
    )
    synthetic = _read_synthetic(tmp_path / "syn", beir)
    scores = {"bm25": (0.6, 0.9), "dense": (0.7, 0.8), "overlap": (0.1, 0.5)}
    result = {
        "metric": "ndcg@10",
        "per_retriever": [
            {"name": n, "human": {"ndcg@10": h}, "synthetic": {"ndcg@10": s}} for n, (h, s) in scores.items()
        ],
    }
    diagnosis = _diagnosis(beir, beir.judged_queries(), synthetic, result)
    human, synth = diagnosis["human"], diagnosis["synthetic"]
    # q1 "deadline for remedies in a ports merger" (7 words): {deadline, remedies, ports, merger}, all in d1
    # ("Port merger review: ... ports ... a deadline for remedies"); q3 "parking fee near the harbour" (5
    # words): {parking, fee, near, harbour}, 3 of 4 in d3 -> medians 6 words and (1 + 3/4) / 2
    assert human["n_queries"] == 2 and human["relevant_mean"] == 1.0 and human["words"] == 6.0
    assert human["term_overlap_best"] == pytest.approx(0.875)
    # s1 {does, deadline, regulator, set, remedies}: 3 of 5 in d1 ("sets" is not "set"); s2 {parking, fee,
    # raised, near, ports}: 4 of 5 in d3 ("raises" is not "raised") -> median (3/5 + 4/5) / 2
    assert synth["term_overlap_best"] == pytest.approx(0.7)
    assert synth["question_types"] == {"factoid": 1, "yes-no": 1} and synth["words"] == 8.0
    assert [(g["name"], g["difference"]) for g in diagnosis["retrievers"]] == [
        ("dense", pytest.approx(0.1)),
        ("bm25", pytest.approx(0.3)),
        ("overlap", pytest.approx(0.4)),
    ]


# ---------------------------------------------------------------- fail before the LM


@pytest.fixture
def no_generation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the order of human scoring and generation; generation stops the command."""
    from personaqa.programs.core.errors import InputError
    from personaqa.programs.evaluation import validate

    calls: list[str] = []
    scoring = validate.per_query_values

    def score(*args, **kwargs):
        calls.append("score")
        return scoring(*args, **kwargs)

    def generate(*args, **kwargs):
        calls.append("generate")
        raise InputError("generation reached")

    monkeypatch.setattr(validate, "per_query_values", score)
    monkeypatch.setattr(validate, "_generate", generate)
    return calls


def _validate(collection: Path, personas: Path, out: Path, *extra: str) -> int:
    return main(
        [
            "validate",
            "--beir",
            str(collection),
            "--personas",
            str(personas),
            "--out",
            str(out),
            "--splits",
            "10",
            "--no-mlflow",
            "--quiet",
            *extra,
        ]
    )


def test_human_side_is_scored_before_generation(
    collection: Path, personas: Path, tmp_path: Path, no_generation: list[str]
) -> None:
    assert _validate(collection, personas, tmp_path / "o") == 2
    assert no_generation == ["score", "generate"]


@pytest.mark.parametrize(
    ("qrels", "extra", "expected"),
    [
        ("q1\td1\t1\nq2\td2\t0\n", (), "only 1 query has a relevant document; the human split-half"),
        ("q1\td1\t0\n", (), "field 'score': no judgement is relevant"),
        (
            "q1\td1\t1\nq2\td2\t1\n",
            ("--retrievers", "bm25-title", "dense-title", "tfidf"),
            "--retrievers: only 1 of 3 retrievers can index",
        ),
    ],
)
def test_collections_the_panel_cannot_score_fail_before_the_lm(
    collection: Path,
    personas: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_generation: list[str],
    qrels: str,
    extra: tuple[str, ...],
    expected: str,
) -> None:
    (collection / "qrels" / "test.tsv").write_text(qrels)
    untitled = [json.dumps({"_id": i, "text": x}) for i, _, x in DOCS]
    (collection / "corpus.jsonl").write_text("\n".join(untitled) + "\n")
    assert _validate(collection, personas, tmp_path / "o", *extra) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("personaqa: error:") == 1 and "Traceback" not in err
    assert "generate" not in no_generation and not (tmp_path / "o").exists()


def test_pooled_qrels_grade_the_retrievers_top_documents_once(
    collection: Path, personas: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--pool-depth K: each synthetic question's top K documents of BM25 and dense (not its source) are
    judged once, checkpointed, and the synthetic side is scored again with them as graded qrels."""
    out = tmp_path / "validate"
    config = tmp_path / "run.yaml"
    config.write_text("max_interests: 1\nmax_types_per_interest: 1\n")
    with FakeEndpoint() as endpoint:
        argv = [
            "validate",
            "--beir",
            str(collection),
            "--personas",
            str(personas),
            "--sample-docs",
            "4",
            "--out",
            str(out),
            "--splits",
            "50",
            "--resamples",
            "50",
            "--config",
            str(config),
            "--lm",
            "openai/fake",
            "--api-base",
            endpoint.base_url,
            "--quiet",
            "--no-mlflow",
            "--program",
            "baseline",
            "--pool-depth",
            "2",
        ]
        assert main(argv) == 0
        first = endpoint.calls
        assert main(argv) == 0
        assert endpoint.calls == first  # units and judgements finished: the rerun makes no LM call
    stdout = capsys.readouterr().out
    assert (
        "With pooled qrels: top 2 of BM25 and dense" in stdout and "Kendall tau with pooled qrels" in stdout
    )
    result = json.loads((out / "validate.json").read_text())
    pooled = result["pooled"]
    judged = [json.loads(line) for line in (out / "pool.jsonl").read_text().splitlines()]
    questions = {
        json.loads(line)["question_id"]: json.loads(line)["doc_id"]
        for line in (out / "synthetic" / "questions.jsonl").read_text().splitlines()
    }
    assert pooled["depth"] == 2 and pooled["counts"]["judged"] == len(judged) > 0
    assert {entry["question_id"] for entry in judged} == set(questions)
    assert all(entry["judgement"]["chunk_id"] != questions[entry["question_id"]] for entry in judged)
    assert all(
        len({e["judgement"]["chunk_id"] for e in judged if e["question_id"] == q}) <= 4 for q in questions
    )
    relevant = sum(1 for entry in judged if entry["judgement"]["grade"])
    assert pooled["relevant_per_question_mean"] == pytest.approx(round(1 + relevant / len(questions), 3))
    assert sorted(row["name"] for row in pooled["per_retriever"]) == sorted(BUILT_IN)
    unpooled = {r["name"]: r["synthetic"]["ndcg@10"] for r in result["per_retriever"]}
    assert all(row["unpooled"] == unpooled[row["name"]] for row in pooled["per_retriever"])
    assert result["generation"]["program"] == "baseline"


def test_validate_generates_with_the_shipped_program_unless_told(
    collection: Path, personas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from personaqa.programs.evaluation import validate
    from personaqa.programs.recipe.program_io import default_program

    seen: list[Path | None] = []

    def generate(job, *args, **kwargs):
        seen.append(job.program_path)
        raise validate.InputError("generation reached")

    monkeypatch.setattr(validate, "_generate", generate)
    assert _validate(collection, personas, tmp_path / "a") == 2
    assert _validate(collection, personas, tmp_path / "b", "--program", "baseline") == 2
    assert seen == [default_program(), None]
    assert _validate(collection, personas, tmp_path / "c", "--program", "state.pkl") == 2
    assert _validate(collection, personas, tmp_path / "d", "--pool-depth", "-1") == 2
    assert len(seen) == 2  # both refused before any generation
