"""Deterministic checks the recipe applies without an LM: is the text one question, does a styled question
give away the persona, do the sentences the judge cites hold its answer."""

from personaqa.programs.recipe.checks.evidence import cited, numbered, unsupported
from personaqa.programs.recipe.checks.persona_leak import leak_problem
from personaqa.programs.recipe.checks.question_form import form_problem

__all__ = ["cited", "form_problem", "leak_problem", "numbered", "unsupported"]
