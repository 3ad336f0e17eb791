"""The `personaqa` command line: one sub-command per job, errors as one line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from personaqa.programs.cli.options import CommandParser, HelpFormatter
from personaqa.programs.core.errors import PersonaqaError

DESCRIPTION = """\
Persona-written retrieval evaluation sets from your own documents (questions,
qrels and answers), then scores for your retrievers."""

EXAMPLES = """\
examples:
  personaqa generate --out sample_run       # the shipped sample, embedded LM
  personaqa evaluate --dataset sample_run/beir   # score BM25, dense, hybrid
  personaqa export-train sample_run --out train   # fine-tuning data
  personaqa init myproject                  # config and personas to edit
  personaqa generate --docs my_docs/ --personas myproject/personas.yaml \\
      --out my_run --dry-run                # LM calls, tokens, cost first

`personaqa COMMAND --help` shows each command's options and an example."""


def package_version() -> str:
    """The installed personaqa version ("unknown" when run from a source tree that is not installed)."""
    try:
        return version("personaqa")
    except PackageNotFoundError:
        return "unknown"


def _offline_defaults() -> None:
    """Keep DSPy/LiteLLM from waiting on the network for model metadata."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # judges return typed Judgements, not Predictions; DSPy's per-call notice about that is noise
    logging.getLogger("dspy.primitives.module").setLevel(logging.ERROR)


def build_parser() -> argparse.ArgumentParser:
    # Imported here, after `_offline_defaults`: the commands import DSPy and LiteLLM, which read them.
    from personaqa.programs.cli import compare, compile, evaluate, export_train, generate, init, validate

    parser = CommandParser(
        prog="personaqa", description=DESCRIPTION, epilog=EXAMPLES, formatter_class=HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"personaqa {package_version()}")
    subparsers = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=CommandParser
    )
    # Each command module exposes `register(subparsers)` and sets `func` on its parser.
    for command in (generate, evaluate, validate, export_train, compile, compare, init):
        command.register(subparsers)
    return parser


def _quiet_progress_bars() -> None:
    """`--quiet`: no progress bars on stderr (tqdm, Hugging Face model loading, dataset export)."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    # Modules imported before this call read the variables already: switch their bars off directly.
    for module, name in (
        ("huggingface_hub.utils", "disable_progress_bars"),
        ("transformers.utils.logging", "disable_progress_bar"),
        ("datasets.utils.tqdm", "disable_progress_bars"),
    ):
        if module in sys.modules:
            try:
                getattr(sys.modules[module], name)()
            except Exception:  # noqa: BLE001, S110 - cosmetic only
                pass


def main(argv: list[str] | None = None) -> int:
    _offline_defaults()
    args = build_parser().parse_args(argv)
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        _quiet_progress_bars()  # progress bars only on a terminal: redrawn into a pipe they are noise
    if getattr(args, "experiment", None):
        from personaqa.programs.tracking.log import use_experiment

        use_experiment(args.experiment)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args) or 0
    except PersonaqaError as exc:
        print(f"personaqa: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # A path that cannot be read or written (an --out below a file, a full disk, no permission): one line
        # naming the path, not a traceback. Errors without a path are not the user's input: let them show.
        if exc.filename is None:
            raise
        print(f"personaqa: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("personaqa: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
