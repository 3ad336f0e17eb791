"""End to end on real embedded models: a tiny document, one persona, every output file (SmolLM2, the
smallest), and kept questions with answers and evidence found in the chunk (the default model)."""

from __future__ import annotations

import json

import pytest
from personaqa.programs.cli import main

pytestmark = pytest.mark.e2e

DOC = """# Kestrel K2 kettle
The Kestrel K2 kettle boils 1.5 litres of water in about four minutes. Descale it every two months with
white vinegar. If the red light blinks, the kettle is empty and the heater has switched off for safety.
"""


def inputs(tmp_path, max_interests: int) -> list[str]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text(DOC)
    personas = tmp_path / "personas.yaml"
    personas.write_text("- name: home_cook\n  description: A home cook who asks short practical questions.\n")
    config = tmp_path / "run.yaml"
    config.write_text(f"max_interests: {max_interests}\nmax_types_per_interest: 1\n")
    return ["generate", "--docs", str(docs), "--personas", str(personas), "--config", str(config), "--quiet"]


def test_generate_with_embedded_model_writes_every_output(tmp_path, capsys):
    out = tmp_path / "out"
    code = main([*inputs(tmp_path, 1), "--out", str(out), "--lm", "embedded:smollm2-135m"])

    assert code in (
        0,
        4,
    )  # 4: the 135M model kept nothing, which it often does; the files are written either way
    run = json.loads((out / "run.json").read_text())
    kept = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert run["counts"]["chunks"] == 1 and run["counts"]["units"] == 1
    assert run["lm_usage"]["interests"]["calls"] == 1
    assert run["lm_usage_total"]["output_tokens"] > 0
    # every generated candidate ends up either kept or rejected with a stage and a reason
    assert len(kept) + len([r for r in rejected if r["question"]]) == run["counts"]["generated"]
    assert all(r["stage"] and r["reason"] for r in rejected)
    corpus = [json.loads(line) for line in (out / "beir" / "corpus.jsonl").read_text().splitlines()]
    assert [c["_id"] for c in corpus] == ["kettle#c0"]
    qrels = (out / "beir" / "qrels" / "test.tsv").read_text().splitlines()
    assert qrels[0] == "query-id\tcorpus-id\tscore"
    assert len(qrels) - 1 == len(kept)
    assert (out / "dataset" / "dataset_info.json").exists()


def test_the_default_model_keeps_only_answered_questions_with_evidence_from_the_chunk(tmp_path):
    """What the product guarantees on the default model, whatever it writes: every candidate ends up kept
    or rejected with its stage, and every kept question carries its answer and evidence spans cut from the
    chunk. Neither a kept question nor a passing verdict is required: greedy text differs from one CPU to
    the next."""
    out = tmp_path / "out"
    assert main([*inputs(tmp_path, 2), "--out", str(out), "--no-mlflow"]) in (0, 4)
    run = json.loads((out / "run.json").read_text())
    kept = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    chunk = json.loads((out / "beir" / "corpus.jsonl").read_text().splitlines()[0])["text"]
    assert len(kept) + len([r for r in rejected if r["question"]]) == run["counts"]["generated"]
    assert all(r["stage"] and r["reason"] for r in rejected)
    for question in kept:
        assert question["answer"] and question["evidence"]
        assert all(chunk[e["start"] : e["end"]] == e["text"] for e in question["evidence"])


def test_an_answer_cut_at_the_token_cap_is_rejected_not_kept(tmp_path, capsys):
    """The real model forced to its token cap (8 tokens cannot hold any stage's JSON): every LM stage's
    answer is cut, each cut answer is an `lm_error` rejection naming max_tokens, nothing is kept, and the
    run says so with exit 4 (a run that keeps nothing) after writing its files."""
    out = tmp_path / "out"
    code = main(
        [
            *inputs(tmp_path, 1),
            "--out",
            str(out),
            "--lm",
            "embedded:smollm2-135m",
            "--max-tokens",
            "8",
            "--no-mlflow",
        ]
    )

    assert code == 4
    assert (out / "questions.jsonl").read_text() == ""
    rejected = [json.loads(line) for line in (out / "rejected.jsonl").read_text().splitlines()]
    assert rejected and all(r["stage"] == "lm_error" for r in rejected)
    assert all("max_tokens=8" in r["reason"] for r in rejected)
    captured = capsys.readouterr()
    assert "no question was kept" in captured.err + captured.out
