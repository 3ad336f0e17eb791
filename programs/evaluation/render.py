"""How `evaluate` and `validate` print their tables: `table` (rich, fits the terminal or 80 columns when
piped), `markdown` (pipe tables, for a report or an issue) or `json` (the results file, on stdout)."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

Format = Literal["table", "markdown", "json"]
FORMATS: tuple[Format, ...] = ("table", "markdown", "json")


def wrote_line(artifacts: Sequence[Path], width: int = 80) -> str:
    """ "wrote DIR/:" and the names of the files a command wrote there, wrapped at `width` below it (one line
    of full paths, 279 columns for the sample run, is unreadable in an 80-column terminal or a pipe)."""
    folder = Path(os.path.commonpath([str(p.parent) for p in artifacts])) if artifacts else Path()
    names = ", ".join(str(p.relative_to(folder)) for p in artifacts)
    wrapped = textwrap.fill(
        names,
        width,
        initial_indent="  ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return f"wrote {folder}{os.sep}:\n{wrapped}"


class MarkdownConsole:
    """Stands in for a rich Console: a Table becomes a Markdown pipe table, any other text is printed as
    plain text (its rich markup removed)."""

    def __init__(self, file: TextIO | None = None):
        self.file = file or sys.stdout

    def print(self, item: Any = "", *args: Any, **kwargs: Any) -> None:
        text = markdown_table(item) if isinstance(item, Table) else _plain(item)
        print(text, file=self.file)


def markdown_table(table: Table) -> str:
    """`table` as a Markdown pipe table, its title as a bold line above it."""
    headers = [_plain(column.header) for column in table.columns]
    cells = [[_plain(cell) for cell in column.cells] for column in table.columns]
    rows = list(zip(*cells, strict=True)) if cells else []
    align = ["---:" if column.justify == "right" else "---" for column in table.columns]
    lines = [f"**{_plain(table.title)}**", ""] if table.title else []
    lines += [_row(headers), _row(align), *(_row(list(row)) for row in rows)]
    return "\n".join(lines) + "\n"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _plain(item: Any) -> str:
    if isinstance(item, Text):
        return item.plain
    return Text.from_markup(str(item)).plain if isinstance(item, str) else str(item)


def console_for(fmt: Format) -> Console | MarkdownConsole:
    """Where a command's tables go in format `fmt` (`json` prints no tables: the caller prints the data)."""
    return MarkdownConsole() if fmt == "markdown" else Console()


def print_json(data: Any) -> None:
    """The results as indented JSON on stdout."""
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
