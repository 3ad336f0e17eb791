"""The lexical-distance control: a share of questions asked in the person's own words, and the measured
overlap of every question's wording with its chunk."""

from __future__ import annotations

import pytest
from fakes import BagOfWordsEmbedder, ScriptedEngine, build_program, run_program
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.recipe.wording import OWN_WORDS, lexical_overlap, sample_wording

CHUNK = Chunk(
    chunk_id="aero#c0",
    doc_id="aero",
    title="AeroFlow 300 manual",
    text="Replace the HEPA filter of the AeroFlow 300 every six months. The fan has three speeds.",
    start=0,
)


def test_lexical_overlap_is_the_share_of_question_words_found_in_the_passage():
    # often, should, HEPA, filter, replaced: the last three are in the passage ("replaced" as "Replace")
    assert lexical_overlap("How often should the HEPA filter be replaced?", CHUNK.text) == pytest.approx(
        3 / 5
    )
    assert lexical_overlap("When do I swap the air cleaner's screen?", CHUNK.text) == 0.0
    assert lexical_overlap("AeroFlow filter swap schedule", CHUNK.text) == pytest.approx(2 / 4)
    assert lexical_overlap("?", CHUNK.text) == 0.0


def test_the_own_words_share_is_drawn_per_question_and_repeatable():
    draws = [sample_wording(0.3, f"q-{i}") for i in range(3000)]
    assert abs(draws.count("own") / len(draws) - 0.3) < 0.03
    assert sample_wording(0.3, "q-5") == draws[5]
    assert {sample_wording(0.0, f"q-{i}") for i in range(100)} == {"passage"}
    assert {sample_wording(1.0, f"q-{i}") for i in range(100)} == {"own"}


@pytest.mark.parametrize(
    "run_share, persona_share, expected",
    [(1.0, None, "own"), (0.0, None, "passage"), (0.0, 1.0, "own"), (1.0, 0.0, "passage")],
)
def test_own_words_reach_the_writer_and_the_record(run_share, persona_share, expected):
    persona = Persona(name="parent", description="A busy parent.", own_wording_share=persona_share)
    engine = ScriptedEngine(
        {
            "interests": ["HEPA filter"],
            "question": "How often should the AeroFlow 300 HEPA filter be replaced?",
        }
    )
    out = run_program(
        build_program(BagOfWordsEmbedder(), own_wording_share=run_share), engine, CHUNK, persona
    )
    (record,) = out.records
    (written,) = engine.texts("question")
    assert record.wording == expected and (OWN_WORDS in written.inputs["question_type"]) == (
        expected == "own"
    )
    assert record.lexical_overlap == round(lexical_overlap(record.question, CHUNK.text), 3) > 0
