"""docs/configuration.md is generated from RunConfig and must not drift from it."""

from __future__ import annotations

from pathlib import Path

from personaqa.programs.cli.config_reference import markdown
from personaqa.programs.config import LMConfig, RunConfig

PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_committed_page_equals_the_generated_one():
    assert PAGE.read_text(encoding="utf-8") == markdown(), (
        "docs/configuration.md is stale: "
        "python -m personaqa.programs.cli.config_reference > docs/configuration.md"
    )


def test_every_setting_is_documented():
    page = markdown()
    for name, field in RunConfig.model_fields.items():
        assert f"`{name}`" in page or name in ("lm", "judge_lm")
        assert field.description or name == "lm", f"{name} has no description"
    for name, field in LMConfig.model_fields.items():
        assert f"`lm.{name}`" in page and field.description, name
