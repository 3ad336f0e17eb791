"""Loading documents: text, markdown, JSONL and BEIR corpora, folders, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from personaqa.programs.core.errors import InputError
from personaqa.programs.corpus.documents import iter_documents


def load(*paths):
    return list(iter_documents(list(paths)))


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# -- formats ------------------------------------------------------------------------------------


def test_txt_file_text_and_title_from_file_name(tmp_path):
    path = tmp_path / "remote_work-policy.txt"
    path.write_text("# not a heading in a .txt\nStaff may work remotely.\n", encoding="utf-8")
    (doc,) = load(path)
    assert doc.doc_id == "remote_work-policy"
    assert doc.title == "remote work policy"
    assert doc.text == path.read_text(encoding="utf-8")


def test_markdown_title_is_first_top_level_heading(tmp_path):
    path = tmp_path / "merger.md"
    path.write_text(
        "Some preamble.\n\n## Background\n\n#   Harbor merger review  \n\nBody text.\n", encoding="utf-8"
    )
    (doc,) = load(path)
    assert doc.title == "Harbor merger review"
    assert doc.doc_id == "merger"
    assert "Body text." in doc.text


def test_markdown_without_heading_falls_back_to_file_name(tmp_path):
    path = tmp_path / "air-purifier_manual.md"
    path.write_text("Just text, no heading.\n", encoding="utf-8")
    (doc,) = load(path)
    assert doc.title == "air purifier manual"


def test_utf8_bom_is_stripped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffCafé prices rose.".encode())
    (doc,) = load(path)
    assert doc.text == "Café prices rose."


def test_jsonl_with_id_title_text(tmp_path):
    path = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            {"id": "d1", "title": "First", "text": "Alpha text."},
            {"id": 2, "text": "Beta text."},
        ],
    )
    docs = load(path)
    assert [(d.doc_id, d.title, d.text) for d in docs] == [
        ("d1", "First", "Alpha text."),
        ("2", "", "Beta text."),
    ]


def test_beir_corpus_with_underscore_id(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        json.dumps({"_id": "c-1", "title": "Fees", "text": "The break fee is 40 million."})
        + "\n\n"
        + json.dumps({"_id": "c-2", "title": "", "text": "Review ends in June.", "metadata": {}})
        + "\n",
        encoding="utf-8",
    )
    docs = load(path)
    assert [d.doc_id for d in docs] == ["c-1", "c-2"]
    assert docs[0].title == "Fees"
    assert docs[1].text == "Review ends in June."


def test_jsonl_rows_with_blank_text_are_skipped(tmp_path):
    path = write_jsonl(tmp_path / "docs.jsonl", [{"id": "a", "text": "  "}, {"id": "b", "text": "kept"}])
    assert [d.doc_id for d in load(path)] == ["b"]


def test_jsonl_text_may_contain_unicode_line_separator(tmp_path):
    path = write_jsonl(tmp_path / "docs.jsonl", [{"id": "d1", "text": "first part\u2028second part"}])
    (doc,) = load(path)
    assert doc.text == "first part\u2028second part"


# -- folders ------------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("B body.", encoding="utf-8")
    (root / "a.md").write_text("# Doc A\nA body.", encoding="utf-8")
    (root / "sub" / "c.txt").write_text("C body.", encoding="utf-8")
    (root / "notes.pdf").write_bytes(b"%PDF-1.4 ignored in folders")
    return root


def test_folder_walk_is_sorted_recursive_and_ids_are_relative(folder):
    docs = load(folder)
    assert [d.doc_id for d in docs] == ["a", "b", "sub/c"]
    assert docs[0].title == "Doc A"


def test_folder_order_does_not_depend_on_creation_order(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    for name in ["zeta.txt", "alpha.txt", "mid.txt"]:
        (root / name).write_text(f"text of {name}", encoding="utf-8")
    assert [d.doc_id for d in load(root)] == ["alpha", "mid", "zeta"]


def test_files_and_folders_combined_in_argument_order(folder, tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text("Extra body.", encoding="utf-8")
    assert [d.doc_id for d in load(extra, folder)] == ["extra", "a", "b", "sub/c"]


def test_string_paths_are_accepted(folder):
    assert [d.doc_id for d in iter_documents([str(folder)])] == ["a", "b", "sub/c"]


def test_generator_of_paths_gives_same_ids_as_list(folder):
    assert [d.doc_id for d in iter_documents(p for p in [folder])] == ["a", "b", "sub/c"]


def test_folder_without_documents_is_an_error(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    (root / "x.pdf").write_bytes(b"nope")
    with pytest.raises(InputError, match="folder holds no"):
        load(root)


# -- errors -------------------------------------------------------------------------------------


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as err:
        load(missing)
    assert str(missing) in str(err.value)
    assert "no such file" in str(err.value)


def test_empty_file(tmp_path):
    path = tmp_path / "blank.md"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(path) in str(err.value) and "empty" in str(err.value)


def test_empty_jsonl(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no documents with text") as err:
        load(path)
    assert str(path) in str(err.value)


def test_binary_file(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(path) in str(err.value) and "binary" in str(err.value)


def test_non_utf8_file_names_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 menu".encode("latin-1"))
    with pytest.raises(InputError) as err:
        load(path)
    message = str(err.value)
    assert str(path) in message and "UTF-8" in message and "byte 3" in message


def test_malformed_jsonl_line_names_line_number(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n\n{"id": "b", "text": "broken"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:3: malformed JSON")


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "text": "ok"}\n["id", "text"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r":2: expected a JSON object"):
        load(path)


@pytest.mark.parametrize(
    "row", [{"text": "no id"}, {"id": "", "text": "blank id"}, {"id": None, "text": "x"}]
)
def test_missing_id_field_names_line(tmp_path, row):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "first", "text": "ok"}, row])
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:2: missing field 'id'")


@pytest.mark.parametrize("row", [{"id": "x"}, {"id": "x", "text": 5}, {"id": "x", "text": None}])
def test_missing_or_non_string_text_names_line(tmp_path, row):
    path = write_jsonl(tmp_path / "c.jsonl", [row])
    with pytest.raises(InputError) as err:
        load(path)
    assert str(err.value).startswith(f"{path}:1: field 'text'")


def test_duplicate_ids_within_jsonl(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", [{"id": "d", "text": "one"}, {"_id": "d", "text": "two"}])
    with pytest.raises(InputError) as err:
        load(path)
    assert str(path) in str(err.value) and "duplicate document id 'd'" in str(err.value)


def test_duplicate_ids_across_files(tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "policy.md").write_text("# Policy\nOne.", encoding="utf-8")
    (root / "policy.txt").write_text("Two.", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load(root)
    assert "policy.txt" in str(err.value) and "duplicate document id 'policy'" in str(err.value)


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError) as err:
        load(path)
    assert str(path) in str(err.value) and ".pdf" in str(err.value)


def test_file_without_suffix(tmp_path):
    path = tmp_path / "README"
    path.write_text("text", encoding="utf-8")
    with pytest.raises(InputError, match=r"unsupported document type \(none\)"):
        load(path)


def test_errors_are_raised_lazily_after_earlier_documents(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("fine", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text("", encoding="utf-8")
    stream = iter_documents([good, bad])
    assert next(stream).doc_id == "good"
    with pytest.raises(InputError, match="bad.txt"):
        next(stream)
