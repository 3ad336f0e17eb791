"""Read JSON Lines files one object at a time, with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from personaqa.programs.core.errors import InputError
from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with 1-based numbers, streamed; binary or non-UTF-8 content is an InputError."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        # newline="\n": JSON strings may hold U+2028/U+2029/U+0085 or \r, which are not line breaks here
        with path.open(encoding="utf-8-sig", newline="\n") as handle:
            for line_no, line in enumerate(handle, start=1):
                if "\x00" in line:
                    raise InputError(f"{path}:{line_no}: looks like a binary file, expected UTF-8 text")
                if line.strip():
                    yield line_no, line.rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


def parse_json_line(path: Path, line_no: int, line: str) -> dict[str, Any]:
    """One JSON object from one line; anything else is an InputError naming the file and line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{line_no}: malformed JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise InputError(f"{path}:{line_no}: expected a JSON object")
    return record


def json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a malformed line is an InputError naming it."""
    for line_no, line in text_lines(path):
        yield line_no, parse_json_line(path, line_no, line)


def complete_lines(path: Path, model: type[ModelT]) -> Iterator[tuple[int, ModelT]]:
    """(byte offset, parsed line) of an append-only JSONL log, each line validated as `model`, in file
    order. The log's tail from the first line that is unterminated or does not parse (a write killed
    half-way) is cut off the file once the lines before it have been read, so the next append starts on
    a clean line. A missing file has no lines."""
    if not path.exists():
        return
    offset = 0
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            try:
                item = model.model_validate(json.loads(raw))
            except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
                break
            yield offset, item
            offset += len(raw)
    if offset != path.stat().st_size:
        with path.open("r+b") as handle:
            handle.truncate(offset)
