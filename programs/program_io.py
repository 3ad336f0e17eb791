"""Save and load a program's compiled state as JSON only: instructions and demos, never pickles or keys."""

from __future__ import annotations

import json
from pathlib import Path

import dspy

from personaqa.programs.errors import InputError


def check_program_path(path: Path) -> None:
    if path.suffix.lower() != ".json":
        raise InputError(f"--program {path}: only JSON program state is loaded (pickles are refused)")
    if not path.is_file():
        raise InputError(f"--program {path}: file not found")


def load_program_state(program: dspy.Module, path: Path) -> None:
    check_program_path(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--program {path}: not valid JSON ({type(exc).__name__})") from None
    try:
        program.load_state(state)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"--program {path}: does not match this program ({type(exc).__name__}: {exc})") from None


def save_program_state(program: dspy.Module, path: Path) -> None:
    from personaqa.programs.atomic import write_json

    write_json(path, program.dump_state())
