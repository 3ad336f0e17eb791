"""Load personas from a YAML or JSON list of {name, description} (optionally own_wording_share, style,
examples)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from personaqa.programs.core.errors import InputError
from personaqa.programs.core.records import Persona, PersonaStyle
from personaqa.programs.corpus.documents import read_text
from pydantic import ValidationError


def _quoted(names: list[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return ", ".join(quoted[:-1]) + f" and {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)


_UNKNOWN_FIELD = (
    f"unknown field (a persona has {_quoted(list(Persona.model_fields))}; its 'style' has "
    f"{_quoted(list(PersonaStyle.model_fields))})"
)


def load_personas(path: Path | str) -> list[Persona]:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: persona file not found")
    text = read_text(path)
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f":{line + 1}" if line is not None else (f":{exc.lineno}" if hasattr(exc, "lineno") else "")
        raise InputError(f"{path}{where}: cannot parse persona file ({type(exc).__name__})") from None
    if isinstance(data, dict) and "personas" in data:
        data = data["personas"]
    if not isinstance(data, list) or not data:
        raise InputError(f"{path}: expected a non-empty list of personas with 'name' and 'description'")
    personas: list[Persona] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise InputError(f"{path}: persona #{index + 1} must be a mapping with 'name' and 'description'")
        try:
            personas.append(Persona(**item))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "persona"
            if err["loc"] == ("style",):
                raise InputError(
                    f"{path}: persona #{index + 1}: field 'style': must be a mapping such as "
                    "{length: short and quick, tone: casual, wording: everyday words}"
                ) from None
            message = _UNKNOWN_FIELD if err["type"] == "extra_forbidden" else err["msg"]
            raise InputError(f"{path}: persona #{index + 1}: field '{field}': {message}") from None
    names = [p.name for p in personas]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"{path}: duplicate persona name(s): {', '.join(duplicates)}")
    return personas
