"""Every `RunConfig` setting as documentation, generated from the model so it cannot drift from the code:
a Markdown reference (docs/configuration.md) and a commented run.yaml (`personaqa init`).

`python -m personaqa.programs.cli.config_reference > docs/configuration.md` rewrites the reference page;
tests/test_config_reference.py fails when the committed page differs from this output.
"""

from __future__ import annotations

import sys
import textwrap
from typing import Any

import annotated_types
import yaml
from personaqa.programs.config import LMConfig, RunConfig
from pydantic import BaseModel
from pydantic.fields import FieldInfo

INTRO = """\
# Configuration

Generated from `RunConfig` in `programs/config.py` by
`python -m personaqa.programs.cli.config_reference > docs/configuration.md`; do not edit by hand
(`tests/test_config_reference.py` fails when this page and the code disagree).

Settings come from a YAML file (`--config run.yaml`; `personaqa init DIR` writes a commented one) and
are overridden by the command-line flags (`--lm`, `--api-base`, `--api-key-env`, `--temperature`,
`--max-tokens`, `--judge-lm`, `--embedder`, `--limit-chunks`, `--complex-ratio`, `--pool-depth`,
`--chunk-size` for `validate`). An unknown or misspelt setting is an error naming the closest one.
The whole configuration is recorded in each run's `run.json` and MLflow run (API keys never are:
only the name of the variable that holds one).
"""


def _default(field: FieldInfo) -> Any:
    return field.get_default(call_default_factory=True)


_BOUNDS = (
    (annotated_types.Ge, "ge", ">="),
    (annotated_types.Gt, "gt", ">"),
    (annotated_types.Le, "le", "<="),
    (annotated_types.Lt, "lt", "<"),
    (annotated_types.MaxLen, "max_length", "at most"),
)


def _bounds(field: FieldInfo) -> str:
    """The field's limits, e.g. ">= 200, <= 20000"."""
    return ", ".join(
        f"{symbol} {getattr(item, attribute)}"
        for item in field.metadata
        for kind, attribute, symbol in _BOUNDS
        if isinstance(item, kind)
    )


def _yaml_value(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000).strip()
    return text.removesuffix("\n...").strip()


def _type(field: FieldInfo) -> str:
    text = str(field.annotation)
    for noise in ("typing.", "personaqa.programs.config."):
        text = text.replace(noise, "")
    return text.replace("<class '", "").replace("'>", "")


def _rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        if name == "lm" or name == "judge_lm":
            continue
        default = _default(field)
        cells = [
            f"`{prefix}{name}`",
            f"`{_type(field)}`",
            f"`{_yaml_value(default)}`",
            _bounds(field),
            field.description or "",
        ]
        cells = [cell.replace("|", "\\|") for cell in cells]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def markdown() -> str:
    """The reference page: one table for the run's settings, one for an LM's (`lm:` and `judge_lm:`)."""
    header = ["| setting | type | default | allowed | what it does |", "| --- | --- | --- | --- | --- |"]
    lines = [
        INTRO,
        "## Run settings",
        "",
        *header,
        *_rows(RunConfig),
        "",
        "## LM settings (`lm:`, and `judge_lm:` for the judges)",
        "",
        (LMConfig.__doc__ or "").strip().replace("\n", " "),
        "",
        "`judge_lm` is unset by default: the judges use `lm`. Set it (or `--judge-lm`) to judge apart.",
        "",
        *header,
        *_rows(LMConfig, "lm."),
        "",
    ]
    return "\n".join(lines)


def commented_yaml() -> str:
    """A run.yaml that loads as the default RunConfig: `lm.model` set, every other setting commented out
    with its default and what it does."""
    lines = [
        "# personaqa run settings: `personaqa generate --config run.yaml ...`. Every setting is shown",
        "# with its default, commented out; uncomment one to change it. Flags on the command line win.",
        "# Reference: docs/configuration.md",
        "",
    ]
    for name, field in RunConfig.model_fields.items():
        if name in ("lm", "judge_lm"):
            continue
        lines += _commented(name, field, "")
    lines += ["", "# The LM that writes the questions (and judges them unless judge_lm is set).", "lm:"]
    for name, field in LMConfig.model_fields.items():
        if name == "model":
            lines += [
                f"  # {field.description or 'embedded | embedded:NAME | gguf:PATH | a LiteLLM model string'}",
                "  model: embedded",
            ]
        else:
            lines += _commented(name, field, "  ")
    lines += [
        "",
        "# judge_lm:              # another LM for the judges, same settings as lm",
        "#   model: openai/gpt-4o-mini",
        "#   api_key_env: OPENAI_API_KEY",
        "",
    ]
    return "\n".join(lines)


def _commented(name: str, field: FieldInfo, indent: str) -> list[str]:
    about = field.description or ""
    bounds = _bounds(field)
    comment = "; ".join(part for part in (about, bounds) if part)
    wrapped = textwrap.wrap(comment, width=100 - len(indent), initial_indent="# ", subsequent_indent="#   ")
    return [*(f"{indent}{line}" for line in wrapped), f"{indent}# {name}: {_yaml_value(_default(field))}"]


if __name__ == "__main__":
    sys.stdout.write(commented_yaml() if "--yaml" in sys.argv[1:] else markdown())
