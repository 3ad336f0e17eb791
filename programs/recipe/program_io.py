"""Save and load a program's compiled state as JSON only: instructions and demos, never pickles or keys."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import dspy
from personaqa.programs.core.errors import InputError

BASELINE = "baseline"


def default_program() -> Path:
    """The compiled program `generate` and `validate` run unless told otherwise: the generality filter's
    demos chosen from the labelled sample set for the default embedded LM
    (`experiments/build_default_program.sh` rebuilds it; its record is `compiled/default.log`)."""
    return Path(str(files("personaqa.programs") / "compiled" / "default.json"))


def resolve_program(spec: str | None) -> Path | None:
    """`--program` as given: None → the shipped default program, "baseline" → no compiled state (the
    prompts as written in signatures/), anything else → that JSON file."""
    if spec is None:
        return default_program()
    return None if spec == BASELINE else Path(spec)


def check_program_path(path: Path) -> None:
    if path.suffix.lower() in (".pkl", ".pickle"):
        raise InputError(f"--program {path}: only JSON program state is loaded (pickles are refused)")
    if path.suffix.lower() != ".json":
        raise InputError(
            f"--program {path}: give a .json program state from `personaqa compile`, or `baseline` "
            "for the prompts as written"
        )
    if not path.is_file():
        raise InputError(f"--program {path}: file not found")


def load_program_state(program: dspy.Module, path: Path) -> None:
    check_program_path(path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--program {path}: not valid JSON ({type(exc).__name__})") from None
    check_program_state(program, state, path)
    predictors = dict(program.named_predictors())
    try:
        for name, entry in state.items():  # merged over the program's own state: a predictor not in the file
            if name in predictors:  # keeps its prompts as written in signatures/
                predictors[name].load_state(entry)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"--program {path}: does not match this program ({type(exc).__name__}: {exc})"
        ) from None


# What `dump_state` writes per predictor. DSPy's Predict.load_state sets *every* other key as an attribute:
# a `config` key would become LM call arguments (e.g. an `api_base` that sends the user's API key elsewhere)
# and an `lm` key a model of the file's choosing, so a file holding anything else is refused, not loaded.
PREDICTOR_KEYS = frozenset({"signature", "demos", "traces", "train", "lm"})


def check_program_state(program: dspy.Module, state: object, path: Path) -> None:
    """Refuse program state that holds more than instructions and demos for this program's predictors."""
    if not isinstance(state, dict):
        raise InputError(
            f"--program {path}: does not match this program (expected a JSON object of predictors)"
        )
    names = {name for name, _ in program.named_parameters()}
    unknown = sorted(set(state) - names - {"metadata"})
    if unknown:
        raise InputError(
            f"--program {path}: does not match this program (unknown predictor(s): {', '.join(unknown[:5])})"
        )
    for name in sorted(names & set(state)):
        entry = state[name]
        if not isinstance(entry, dict):
            raise InputError(f"--program {path}: does not match this program ('{name}' is not an object)")
        extra = sorted(set(entry) - PREDICTOR_KEYS)
        if extra:
            raise InputError(
                f"--program {path}: '{name}' holds {', '.join(map(repr, extra))}; compiled "
                "programs hold only instructions and demos"
            )
        if entry.get("lm") is not None:
            raise InputError(
                f"--program {path}: '{name}' sets its own LM; compiled programs hold only "
                "instructions and demos (the LM comes from --lm / --config)"
            )
        if not isinstance(entry.get("demos", []), list):
            raise InputError(f"--program {path}: does not match this program ('{name}.demos' is not a list)")


def prompt_ready_demos(program: dspy.Module) -> None:
    """Keep only the signature's fields in each predictor's demos (as text), and only demos that show an
    output: optimizers copy whole training examples, whose other fields never reach a prompt."""
    from personaqa.programs.core.records import Persona
    from personaqa.programs.recipe.text_views import persona_text

    for _, predictor in program.named_predictors():
        fields = set(predictor.signature.fields) | {"augmented"}  # `augmented` marks bootstrapped demos
        outputs = set(predictor.signature.output_fields)
        kept = []
        for demo in predictor.demos:
            values = {
                k: (persona_text(v) if isinstance(v, Persona) else v)
                for k, v in dict(demo.items() if hasattr(demo, "items") else demo).items()
                if k in fields
            }
            if outputs & set(values):
                kept.append(dspy.Example(**values))
        predictor.demos = kept


def changed_state(program: dspy.Module, baseline: dspy.Module | None = None) -> dict:
    """The state of the predictors compilation changed: those with demos, or with other instructions than
    the same predictor of `baseline` (the program as built before compiling; every predictor when None).
    Stored so, a compiled program is what it changes, and a prompt edited in signatures/ or a predictor
    added later is neither overwritten nor refused when the program is loaded (a shipped program that held
    every predictor's instructions restored old prompts over new ones)."""
    state = program.dump_state()
    if baseline is None:
        return state
    before = dict(baseline.named_predictors())
    return {
        name: state[name]
        for name, predictor in program.named_predictors()
        if predictor.demos
        or name not in before
        or predictor.signature.instructions != before[name].signature.instructions
    }


def save_program_state(program: dspy.Module, path: Path, baseline: dspy.Module | None = None) -> None:
    """JSON state (instructions and prompt-ready demos of the predictors compilation changed against
    `baseline`, `changed_state`) written atomically; no LM settings, so no keys."""
    from personaqa.programs.core.atomic import write_json

    prompt_ready_demos(program)
    write_json(path, changed_state(program, baseline))
