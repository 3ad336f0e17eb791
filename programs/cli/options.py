"""How every sub-command is declared: its parser (help formatter, example, short usage), the option groups
commands share (LM, tracking, output) and the hidden aliases that keep old flag spellings working."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

MAX_HELP_WIDTH = 100  # help wraps at the terminal's width, but never wider than this


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Description and examples kept as written; every option with a default shows it."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 26, width: int | None = None
    ):
        width = min(width or shutil.get_terminal_size().columns - 2, MAX_HELP_WIDTH)
        super().__init__(prog, indent_increment, max_help_position, width)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or action.required
            or "(default" in text
            or "%(default)" in text
            or default is None
            or default is False
            or default == argparse.SUPPRESS
            or isinstance(action, argparse._HelpAction)
        ):
            return text
        shown = " ".join(map(str, default)) if isinstance(default, (list, tuple)) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})"

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        """`SPEC ...` for a list option, not argparse's wider `SPEC [SPEC ...]`."""
        if action.nargs == argparse.ONE_OR_MORE:
            return f"{self._metavar_formatter(action, default_metavar)(1)[0]} ..."
        return super()._format_args(action, default_metavar)


class CommandParser(argparse.ArgumentParser):
    """A sub-command's parser: an unknown flag is reported with this command's usage, not the top-level one
    (argparse leaves unknown arguments to the top-level parser otherwise)."""

    def parse_known_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._given = list(sys.argv[1:] if args is None else args)
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def unknown_flags(self) -> list[str]:
        """The --flags given to this parser that none of its options takes (nor abbreviates)."""
        given = getattr(self, "_given", [])
        given = given[: given.index("--")] if "--" in given else given
        if self._subparsers is not None:  # `personaqa`: only its own flags, before the command's name
            given = given[: next((i for i, arg in enumerate(given) if not arg.startswith("-")), len(given))]
        known = self._option_string_actions
        return [
            arg
            for arg in given
            if arg.startswith("--") and not any(o.startswith(arg.split("=", 1)[0]) for o in known)
        ]

    def error(self, message: str) -> NoReturn:
        """Usage, then one `error:` line, exit 2 (argparse's form), plus where to read more. A flag this
        command does not know is named first, also when argparse stopped at a missing required one (a
        misspelt `--datset` would otherwise be reported as `--dataset` missing)."""
        unknown = self.unknown_flags()
        if unknown and not message.startswith("unrecognized arguments"):
            message = f"unrecognized arguments: {' '.join(unknown)}; {message}"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n(see `{self.prog} --help`)\n")


def add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    *,
    summary: str,
    description: str,
    usage: str,
    examples: str,
) -> argparse.ArgumentParser:
    """A sub-command parser: `summary` in `personaqa --help`, `description` above its options, `usage` the
    short usage line (after the program name), `examples` (shell lines) below them."""
    return subparsers.add_parser(
        name,
        help=summary,
        description=description,
        usage=f"personaqa {name} {usage}",
        epilog=f"example:\n{_indent(examples)}",
        formatter_class=HelpFormatter,
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.strip("\n").splitlines())


def add_alias(parser: argparse.ArgumentParser, flag: str, dest: str, **kwargs: Any) -> None:
    """An old spelling of a flag, kept working but not shown in the help (one release)."""
    parser.add_argument(flag, dest=dest, help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)


def require(parser: argparse.ArgumentParser, args: argparse.Namespace, dest: str, flag: str) -> None:
    """A required flag that also has a hidden alias (argparse's `required` would refuse the alias)."""
    if getattr(args, dest, None) is None:
        parser.error(f"the following arguments are required: {flag}")


def add_lm_arguments(parser: argparse.ArgumentParser) -> None:
    """--config and the LM, judge LM and embedder flags, as one group (defaults from LMConfig)."""
    from personaqa.programs.config import LMConfig

    lm = LMConfig()
    group = parser.add_argument_group("settings and LMs")
    group.add_argument("--config", metavar="YAML", help="settings file (`personaqa init` writes one)")
    group.add_argument("--lm", metavar="MODEL", help=f"{lm.model}[:NAME] (default), gguf:PATH, LiteLLM model")
    group.add_argument("--api-base", metavar="URL", help="--lm's endpoint (OpenAI-compatible server)")
    group.add_argument("--api-key-env", metavar="VAR", help="environment variable holding --lm's API key")
    group.add_argument(
        "--judge-lm",
        metavar="MODEL",
        help="judges' LM (default: --lm); --judge-api-base/-key-env",
    )
    group.add_argument("--judge-api-base", help=argparse.SUPPRESS)
    group.add_argument("--judge-api-key-env", help=argparse.SUPPRESS)
    group.add_argument(
        "--temperature", type=float, metavar="T", help=f"sampling temperature (default: {lm.temperature})"
    )
    group.add_argument(
        "--max-tokens", type=int, metavar="N", help=f"cap per LM answer (default: {lm.max_tokens})"
    )
    group.add_argument("--embedder", metavar="MODEL", help="sentence-transformers model (default: MiniLM)")


def add_output_arguments(parser: argparse.ArgumentParser, *, quiet: str = "no progress bars") -> None:
    """--quiet, --no-mlflow and --experiment: what a command shows and where its run is logged."""
    from personaqa.programs.tracking.log import EXPERIMENT

    group = parser.add_argument_group("output and tracking")
    group.add_argument("--quiet", action="store_true", help=quiet)
    group.add_argument("--no-mlflow", action="store_true", help="log no MLflow run")
    group.add_argument("--experiment", metavar="NAME", default=EXPERIMENT, help="MLflow experiment")


def add_format_argument(parser: argparse.ArgumentParser) -> None:
    """--format: how `evaluate` and `validate` print their tables (80-column table, markdown or JSON)."""
    from personaqa.programs.evaluation.render import FORMATS

    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        metavar="FMT",
        help="table (80 columns), markdown or json",
    )


def add_retrievers_argument(
    parser: argparse.ArgumentParser, default: str, *, alias: str | None = None
) -> None:
    """--retrievers: built-in names or module:factory plug-ins, space or comma separated, repeatable; `alias`
    an old spelling kept hidden. `default` is shown in the help."""
    parser.add_argument(
        "--retrievers",
        nargs="+",
        action="extend",
        metavar="SPEC",
        dest="retrievers",
        help=f"built-in names or module:factory (default: {default})",
    )
    if alias:
        add_alias(parser, alias, "retrievers", action="extend", nargs=1)


def lm_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Config overrides (dotted keys) from the LM flags; None values leave the config as it is."""
    overrides: dict[str, Any] = {
        "lm.model": args.lm,
        "lm.api_base": args.api_base,
        "lm.api_key_env": args.api_key_env,
        "lm.temperature": args.temperature,
        "lm.max_tokens": args.max_tokens,
        "embedder": args.embedder,
    }
    if args.judge_lm:
        overrides.update(
            {
                "judge_lm.model": args.judge_lm,
                "judge_lm.api_base": args.judge_api_base,
                "judge_lm.api_key_env": args.judge_api_key_env,
            }
        )
    return overrides
