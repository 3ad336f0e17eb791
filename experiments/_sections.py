"""Scripts under experiments/ write their figures into their own section of a markdown file
(docs/BENCHMARKS.md, README.md), so no figure in the docs is typed by hand.

A section is the text between `<!-- NAME -->` and `<!-- /NAME -->`. `replace_section` replaces it with a
first line naming the date, the commit and the command with its settings, then the figures. A script that
prints its figures:

    @writes_section("grammar_first")    # with --write FILE, what main() prints becomes the section
    def main() -> None:
        parser = argparse.ArgumentParser(...)
        add_write_argument(parser, "grammar_first")
        ...

From the shell (a script that is not Python, e.g. experiments/validate_cisi.sh):

    some command | tee out.txt
    python experiments/_sections.py NAME FILE --command "the command" < out.txt
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import io
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def marker_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- {re.escape(name)} -->\n).*?(<!-- /{re.escape(name)} -->)", re.DOTALL)


def commit() -> str:
    """The checkout's short commit, with '+changes' when its code has uncommitted edits (edited markdown, such
    as the file being written, does not count)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!*.md"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def stamp(command: str, settings: dict[str, object] | None = None, today: datetime.date | None = None) -> str:
    """The section's first line: date, commit, command and settings."""
    shown = ", ".join(f"{key} {shown_value(value)}" for key, value in (settings or {}).items())
    return (
        f"Written {today or datetime.date.today()} by `{command}` (checkout at commit {commit()})"
        + (f"; settings: {shown}" if shown else "")
        + ".\n"
    )


def shown_value(value: object) -> str:
    """A setting as it would be typed: lists space-separated, paths inside the checkout relative to it."""
    if isinstance(value, (list, tuple)):
        return " ".join(shown_value(item) for item in value)
    return str(value).replace(f"{ROOT}{os.sep}", "")


def replace_section(
    path: Path, name: str, body: str, command: str, settings: dict[str, object] | None = None
) -> None:
    """Replace the `name` section of the markdown file `path` with the stamp and `body`. SystemExit when the
    file has no such section (add the two markers where it belongs first)."""
    text = path.read_text(encoding="utf-8")
    pattern = marker_pattern(name)
    if not pattern.search(text):
        raise SystemExit(f"{path}: no <!-- {name} --> ... <!-- /{name} --> section to replace")
    content = stamp(command, settings) + "\n" + body.rstrip("\n") + "\n"
    path.write_text(pattern.sub(lambda m: m[1] + content + m[2], text, count=1), encoding="utf-8")
    print(f"wrote the {name} section of {path}", file=sys.stderr)


_PARSERS: dict[str, argparse.ArgumentParser] = {}


def add_write_argument(parser: argparse.ArgumentParser, name: str) -> None:
    """--write FILE on `parser`; `writes_section(name)` reads the settings back through it."""
    parser.add_argument(
        "--write",
        type=Path,
        metavar="FILE",
        help=f"also write the printed figures into the <!-- {name} --> section of FILE "
        "(e.g. docs/BENCHMARKS.md)",
    )
    _PARSERS[name] = parser


def command_line() -> str:
    """How this script was run, as one would type it again."""
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(ROOT)
    return shlex.join(["python", str(script), *sys.argv[1:]])


def settings_of(args: argparse.Namespace) -> dict[str, object]:
    """Every parsed setting, defaults included, but --write itself."""
    return {key: value for key, value in vars(args).items() if key != "write"}


class _Tee(io.TextIOBase):
    def __init__(self, *streams: io.TextIOBase) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


def writes_section(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Decorate a script's main(): what it prints is also captured and, when the command line has --write FILE
    (declared with `add_write_argument(parser, name)`), written as a text block into FILE's `name` section
    with the date, the command and every setting, once main() returns without an error."""

    def decorate(main: Callable[[], None]) -> Callable[[], None]:
        @functools.wraps(main)
        def run() -> None:
            captured = io.StringIO()
            real = sys.stdout
            sys.stdout = _Tee(real, captured)  # type: ignore[assignment]
            try:
                main()
            finally:
                sys.stdout = real
            parser = _PARSERS.get(name)
            if parser is None:
                return
            args, _ = parser.parse_known_args()
            if args.write:
                replace_section(
                    args.write, name, fenced(captured.getvalue()), command_line(), settings_of(args)
                )

        return run

    return decorate


def fenced(text: str) -> str:
    return "```text\n" + text.rstrip("\n") + "\n```\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Write standard input into a section of a markdown file.")
    parser.add_argument("name", help="the section: the text between <!-- NAME --> and <!-- /NAME -->")
    parser.add_argument("file", type=Path, help="the markdown file, e.g. docs/BENCHMARKS.md")
    parser.add_argument(
        "--command", required=True, help="the command that printed the input, with its settings"
    )
    parser.add_argument("--raw", action="store_true", help="write the input as markdown, not as a text block")
    args = parser.parse_args()
    text = sys.stdin.read()
    replace_section(args.file, args.name, text if args.raw else fenced(text), args.command)


if __name__ == "__main__":
    main()
