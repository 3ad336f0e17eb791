"""Question categorisations with target proportions (recipe/categories.py): drawn per question, told to the
writer, carried by every record, counted by the run summary, exported beside persona for `evaluate`."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, run_program
from personaqa.programs.config import Category, load_config
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.recipe.categories import draw_categories, instructions

PREMISE = {
    "premise": {
        "with_premise": Category(weight=3, instruction="opens with the asker's situation"),
        "no_premise": Category(weight=1),
    },
    "answer_form": {
        "factoid": Category(instruction="answered by one short fact"),
        "open_ended": Category(weight=0, instruction="never drawn"),
    },
}
CHUNK = Chunk(
    chunk_id="aero#c0",
    doc_id="aero",
    title="AeroFlow 300 manual",
    text="Replace the HEPA filter of the AeroFlow 300 every six months. The fan has three speeds.",
    start=0,
)
PARENT = Persona(name="parent", description="A busy parent.")


def test_categories_are_drawn_in_their_target_proportions_and_repeatably():
    draws = [draw_categories(PREMISE, f"q-{i}") for i in range(3000)]
    premise = Counter(d["premise"] for d in draws)
    assert abs(premise["with_premise"] / len(draws) - 0.75) < 0.03
    assert {d["answer_form"] for d in draws} == {"factoid"}  # weight 0 is never drawn
    assert draw_categories(PREMISE, "q-7") == draws[7]
    # the axes are drawn independently: a second axis does not change the first one's draw
    assert draw_categories({"premise": PREMISE["premise"]}, "q-7")["premise"] == draws[7]["premise"]
    assert instructions(PREMISE, {"premise": "no_premise", "answer_form": "factoid"}) == [
        "answered by one short fact"
    ]


def test_the_writer_is_told_the_drawn_categories_and_the_record_carries_them():
    asked = {
        "HEPA filter": "How often is the HEPA filter of the AeroFlow 300 replaced?",
        "three speeds": "How many speeds does the AeroFlow 300 fan have?",
    }
    engine = ScriptedEngine({"interests": list(asked), "question": lambda t: asked[t.inputs["interest"]]})
    out = run_program(
        build_program(BagOfWordsEmbedder(), max_interests=2, categorisations=PREMISE), engine, CHUNK, PARENT
    )
    assert len(out.records) == 2
    for record, written in zip(out.records, engine.texts("question")):
        assert record.categories == draw_categories(PREMISE, record.question_id)
        told = written.inputs["question_type"]
        assert ("opens with the asker's situation" in told) == (
            record.categories["premise"] == "with_premise"
        )
        assert "answered by one short fact" in told and "never drawn" not in told


@pytest.mark.parametrize(
    "axes, message",
    [
        ({"persona": {"a": {}}}, "axis name 'persona'"),
        ({"Premise": {"a": {}}}, "lower_snake_case"),
        ({"premise": {"a": {"weight": 0}}}, "weight above 0"),
        ({"premise": {"a": {"weigth": 1}}}, "unknown setting"),
    ],
)
def test_a_bad_categorisation_is_one_clear_error(tmp_path, axes, message):
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"categorisations": axes}))
    with pytest.raises(InputError, match=message):
        load_config(path)
