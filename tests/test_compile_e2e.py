"""`personaqa compile` end to end on the real embedded SmolLM2 model (the smallest, for speed) and MiniLM
embedder (no fakes).

About 18 LM calls (baseline, bootstrap and compiled evaluation of 2 dev examples: writer + 2 judges each),
each with a 300-950 token prompt; the LM response cache is fresh so the model really runs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import dspy
import pytest
from personaqa.programs.cli import main
from personaqa.programs.config import RunConfig
from personaqa.programs.recipe.build import build_program
from personaqa.programs.recipe.program_io import load_program_state

pytestmark = pytest.mark.e2e

REPO = Path(__file__).parents[1]


@pytest.fixture()
def fresh_lm_cache():
    """No answers from earlier runs (~/.dspy_cache): the embedded model answers every call."""
    previous = dspy.cache
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)
    try:
        yield
    finally:
        dspy.cache = previous


def test_compile_writer_with_bootstrap_on_the_embedded_model(tmp_path: Path, capsys, fresh_lm_cache) -> None:
    out = tmp_path / "c.json"
    started = time.monotonic()

    code = main(
        [
            "compile",
            "--trainset",
            str(REPO / "experiments/labelled/train.jsonl"),
            "--devset",
            str(REPO / "experiments/labelled/dev.jsonl"),
            "--stage",
            "writer",
            "--optimizer",
            "bootstrap",
            "--limit-train",
            "1",
            "--limit-dev",
            "1",
            "--max-demos",
            "1",
            "--no-agreement",
            "--out",
            str(out),
            "--max-tokens",
            "96",
            "--lm",
            "embedded:smollm2-135m",
        ]
    )

    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    assert code == 0, captured.err
    state = json.loads(out.read_text())
    writer = state["writer.write"]
    assert isinstance(writer["demos"], list) and len(writer["demos"]) <= 1 + 2  # bootstrapped + labelled
    assert "compiled program" in captured.out and "dev-set scores" in captured.out
    # the saved state loads into a fresh program built the way `personaqa generate --program` builds it
    program = build_program(RunConfig())
    load_program_state(program, out)
    assert dict(program.named_predictors())["writer.write"].dump_state() == writer
    with capsys.disabled():
        print(f"\n[e2e] personaqa compile on the embedded model took {elapsed:.1f}s")
