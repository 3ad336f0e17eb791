"""Load the user's documents (.txt, .md, .jsonl, BEIR corpus.jsonl, folders) as a stream."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from personaqa.programs.core.errors import InputError
from personaqa.programs.core.jsonl import parse_json_line
from personaqa.programs.core.records import Document

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = TEXT_SUFFIXES | JSONL_SUFFIXES
_HEADING = re.compile(r"^\s*#\s+(.+?)\s*$", re.MULTILINE)


def read_text(path: Path) -> str:
    """UTF-8 text of a file, refusing binary and non-UTF-8 content with a clear error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file, expected UTF-8 text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}:{line}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from None


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """A usable-input warning: one line on stderr, once per process (a run reads its documents more than
    once)."""
    if message not in _warned:
        _warned.add(message)
        print(f"personaqa: warning: {message}", file=sys.stderr)


def _expand(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
            if not found:
                raise InputError(f"{path}: folder holds no .txt, .md or .jsonl documents")
            files.extend(found)
        elif path.suffix.lower() in SUPPORTED:
            files.append(path)
        else:
            raise InputError(
                f"{path}: unsupported document type {path.suffix or '(none)'}; use .txt, .md or .jsonl"
            )
    return files


def _text_document(path: Path, root: Path | None) -> Document:
    text = read_text(path)
    if not text.strip():
        raise InputError(f"{path}: document is empty")
    heading = _HEADING.search(text) if path.suffix.lower() != ".txt" else None
    title = heading.group(1) if heading else path.stem.replace("_", " ").replace("-", " ")
    doc_id = (path.relative_to(root) if root else Path(path.name)).with_suffix("").as_posix()
    if problem := id_problem(doc_id):
        raise InputError(f"{path}: the file name, used as document id, {problem}")
    return Document(doc_id=doc_id, title=title, text=text)


def id_problem(doc_id: str) -> str | None:
    """Why a document id cannot be used, or None. Ids become chunk ids in the BEIR export, whose qrels file
    is tab-separated lines with trimmed cells: a tab, line break or surrounding space would break or change
    them."""
    bad = next((ch for ch in doc_id if unicodedata.category(ch) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        return f"holds a tab, line break or control character (U+{ord(bad):04X}): {doc_id!r}"
    if doc_id != doc_id.strip():
        return f"starts or ends with whitespace: {doc_id!r}"
    return None


def _jsonl_documents(path: Path) -> Iterator[Document]:
    text = read_text(path)
    count = 0
    blank: list[int] = []
    # split on \n only: JSON strings may hold U+2028/U+2029/U+0085, which str.splitlines() would break on
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        row = parse_json_line(path, number, line)
        doc_id = row.get("id", row.get("_id"))
        if doc_id is None or str(doc_id).strip() == "":
            raise InputError(f"{path}:{number}: missing field 'id' (or '_id')")
        if problem := id_problem(str(doc_id)):
            raise InputError(f"{path}:{number}: field 'id' {problem}")
        body = row.get("text")
        if not isinstance(body, str):
            raise InputError(f"{path}:{number}: field 'text' must be a string")
        if not body.strip():
            blank.append(number)
            continue
        count += 1
        yield Document(doc_id=str(doc_id), title=str(row.get("title") or ""), text=body)
    if count == 0:
        raise InputError(f"{path}: no documents with text")
    if blank:
        lines = ", ".join(map(str, blank[:10])) + (", ..." if len(blank) > 10 else "")
        warn_once(f"{path}: skipped {len(blank)} row(s) with empty text (line {lines})")


def iter_documents(paths: Iterable[Path | str]) -> Iterator[Document]:
    """Documents from files and folders, in a stable order; duplicate ids are an error."""
    seen: set[str] = set()
    roots = [Path(p) for p in paths]  # read once: `paths` may be a one-shot iterator
    for path in _expand(roots):
        root = next((r for r in roots if r.is_dir() and r in path.parents), None)
        docs = (
            _jsonl_documents(path) if path.suffix.lower() in JSONL_SUFFIXES else [_text_document(path, root)]
        )
        for doc in docs:
            if doc.doc_id in seen:
                raise InputError(f"{path}: duplicate document id {doc.doc_id!r}")
            seen.add(doc.doc_id)
            yield doc
