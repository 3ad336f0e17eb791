"""The `personaqa` command line: one sub-command per job, errors as one line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from personaqa.programs.errors import PersonaqaError

# Each command module exposes `register(subparsers)` and sets `func` on its parser.
COMMAND_MODULES = (
    "personaqa.programs.generate_cli",
    "personaqa.programs.compile_cli",
    "personaqa.programs.compare_cli",
    "personaqa.programs.evaluate_cli",
    "personaqa.programs.validate_cli",
)


def _offline_defaults() -> None:
    """Keep DSPy/LiteLLM from waiting on the network for model metadata."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="personaqa", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    _offline_defaults()
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args) or 0
    except PersonaqaError as exc:
        print(f"personaqa: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("personaqa: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
