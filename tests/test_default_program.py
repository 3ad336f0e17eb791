"""The compiled program `generate` runs by default: shipped, loaded unless `--program baseline`, and in
step with the prompts in signatures/ (a prompt edited without rebuilding it fails here)."""

from __future__ import annotations

import json

import pytest
from personaqa.programs.recipe.program_io import BASELINE, default_program, resolve_program

from tests.fakes import BagOfWordsEmbedder, build_program


@pytest.fixture
def bow():
    return BagOfWordsEmbedder()


def test_generate_runs_the_shipped_program_unless_told_otherwise(tmp_path):
    assert resolve_program(None) == default_program() and default_program().is_file()
    assert resolve_program(BASELINE) is None
    assert resolve_program(str(tmp_path / "mine.json")) == tmp_path / "mine.json"


def test_the_default_program_holds_only_what_compiling_changed_in_step_with_the_code(bow):
    """The shipped program is stored as what compiling changed (program_io.changed_state): the generality
    filter's demos. Its instructions and fields are the code's, so loading it never restores an older
    prompt; every other predictor keeps the prompt written in signatures/."""
    fresh = build_program(bow).dump_state()
    shipped = json.loads(default_program().read_text(encoding="utf-8"))
    assert set(shipped) == {"generality.classify"}
    for name, state in shipped.items():
        # same instructions and fields as the code: rebuild with experiments/build_default_program.sh
        assert state["signature"] == fresh[name]["signature"], name
    verdicts = {d["verdict"] for d in shipped["generality.classify"]["demos"]}
    assert verdicts <= {"insightful", "pedantic_or_general", "missing_context"} and "insightful" in verdicts


def test_a_program_file_leaves_the_predictors_it_does_not_name_as_written(bow, tmp_path):
    from personaqa.programs.recipe.program_io import load_program_state

    program = build_program(bow)
    written = program.writer.write.signature.instructions
    (tmp_path / "p.json").write_text(
        json.dumps(
            {
                "generality.classify": json.loads(default_program().read_text(encoding="utf-8"))[
                    "generality.classify"
                ]
            }
        ),
        encoding="utf-8",
    )
    load_program_state(program, tmp_path / "p.json")
    assert program.writer.write.signature.instructions == written and program.generality.classify.demos


def test_loading_the_default_program_gives_the_generality_filter_its_demos(bow):
    from personaqa.programs.recipe.program_io import load_program_state

    program = build_program(bow)
    load_program_state(program, default_program())
    assert len(program.generality.classify.demos) >= 3
    assert program.writer.write.demos == []
