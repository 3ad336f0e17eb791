"""The deterministic form check that catches LM text which is not a question at all."""

from __future__ import annotations

import pytest

from personaqa.programs.question_form import form_problem


@pytest.mark.parametrize("text, problem", [
    ("{styled_question}", "placeholder"),
    ("What does [[ ## question ## ]] mean?", "placeholder"),
    ("The break fee is 40 million euros.", "no question mark"),
    ("Fee?", "too short"),
    ("Which question type asks for a fact stated in the passage?", "echoes"),
    ("Each list is a JSON object that contains a list of strings?", "echoes"),
])
def test_bad_forms_are_named(text, problem):
    assert problem in form_problem(text)


def test_real_questions_pass_and_rewrites_may_drop_the_question_mark():
    assert form_problem("How large is the break fee owed to Vessel Systems?") is None
    assert form_problem("how big is the harbor break fee", rewrite=True) is None
    assert form_problem("how big is the harbor break fee") is not None
    assert "placeholder" in form_problem("{conversational_question}", rewrite=True)
