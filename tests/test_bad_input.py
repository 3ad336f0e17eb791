"""Bad input through the real CLI (`personaqa generate ...`): each unusable input is one stderr line
`personaqa: error: ...` naming the file, line or setting, exit code 2, no traceback, no LM call and nothing
written to --out (the folder is not even created). Usable-but-odd input runs, with a warning where something
is skipped. The outcomes are listed in docs/errors.md.

Runs use the loopback fake endpoint (tests/fake_endpoint.py) with `--no-mlflow --quiet`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dspy
import pytest
from robustness_helpers import (
    REPO,
    FaultEndpoint,
    assert_one_error_line,
    check_complete_outputs,
    read_jsonl,
    run_cli,
    subprocess_env,
    write_docs,
    write_personas,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"


@pytest.fixture(scope="module")
def endpoint():
    with FaultEndpoint() as ep:
        yield ep


@pytest.fixture(autouse=True)
def _restore_dspy_cache(monkeypatch):
    monkeypatch.setattr(dspy, "cache", dspy.cache)  # run_generation reconfigures the global LM cache


@dataclass
class Setup:
    """The pieces of one `generate` command line; a case changes some of them."""

    tmp: Path
    docs: list[Path]
    personas: Path
    out: Path
    extra: list[str] = field(default_factory=list)
    lm: list[str] = field(default_factory=list)

    def file(self, name: str, data: str | bytes) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(textwrap.dedent(data), encoding="utf-8")
        return path

    def argv(self) -> list[str]:
        return [
            "generate",
            "--docs",
            *map(str, self.docs),
            "--personas",
            str(self.personas),
            "--out",
            str(self.out),
            *self.lm,
            "--no-mlflow",
            "--quiet",
            *self.extra,
        ]


@pytest.fixture
def setup(tmp_path, endpoint) -> Setup:
    docs = write_docs(tmp_path / "docs")
    personas = write_personas(tmp_path / "personas.yaml")
    return Setup(
        tmp_path,
        [docs],
        personas,
        tmp_path / "out",
        lm=["--lm", "openai/fake", "--api-base", endpoint.base_url],
    )


# -- unusable input: exit 2, one line, nothing written ----------------------------------------------------
# Each case edits the set-up and returns the fragments the error line must name.


def _docs(s: Setup, name: str, data: str | bytes) -> Path:
    s.docs = [s.file(name, data)]
    return s.docs[0]


def _personas(s: Setup, name: str, data: str) -> Path:
    s.personas = s.file(name, data)
    return s.personas


def _config(s: Setup, data: str) -> Path:
    path = s.file("run.yaml", data)
    s.extra += ["--config", str(path)]
    return path


def case_empty_file(s):
    p = _docs(s, "empty.txt", "")
    return [str(p), "document is empty"]


def case_whitespace_only_markdown(s):
    p = _docs(s, "blank.md", "  \n\n\t\n")
    return [str(p), "document is empty"]


def case_binary_file(s):
    p = _docs(s, "scan.txt", PNG)
    return [str(p), "binary"]


def case_latin1_file(s):
    p = _docs(s, "menu.txt", "Caf\xe9 cr\xe8me br\xfbl\xe9e.".encode("latin-1"))
    return [f"{p}:1:", "not valid UTF-8", "byte 3"]


def case_mixed_encodings(s):
    data = b"# Menu\n" + "Crème brûlée.\n".encode() + "Caf\xe9 au lait.\n".encode("latin-1")
    p = _docs(s, "mixed.md", data)
    return [f"{p}:3:", "not valid UTF-8"]


def case_jsonl_malformed_line(s):
    p = _docs(
        s,
        "corpus.jsonl",
        '{"id": "a", "text": "Fine."}\n{"id": "b", "text": "cut\n{"id": "c", "text": "x"}\n',
    )
    return [f"{p}:2:", "malformed JSON"]


def case_jsonl_line_not_an_object(s):
    p = _docs(s, "corpus.jsonl", '{"id": "a", "text": "Fine."}\n["b", "text"]\n')
    return [f"{p}:2:", "expected a JSON object"]


def case_jsonl_missing_id(s):
    p = _docs(s, "corpus.jsonl", '{"id": "a", "text": "Fine."}\n{"title": "t", "text": "No id."}\n')
    return [f"{p}:2:", "missing field 'id'"]


def case_jsonl_id_with_a_tab(s):
    p = _docs(s, "corpus.jsonl", '{"id": "a", "text": "Fine."}\n{"id": "b\\tc", "text": "Tab in the id."}\n')
    return [f"{p}:2:", "field 'id'", "tab, line break or control character"]


def case_jsonl_text_not_a_string(s):
    p = _docs(s, "corpus.jsonl", '{"id": "a", "text": ["list", "of", "words"]}\n')
    return [f"{p}:1:", "field 'text'"]


def case_jsonl_without_any_text(s):
    p = _docs(s, "corpus.jsonl", '{"id": "a", "text": ""}\n{"id": "b", "text": "   "}\n')
    return [str(p), "no documents with text"]


def case_duplicate_ids_in_jsonl(s):
    p = _docs(s, "corpus.jsonl", '{"id": "a", "text": "One."}\n{"id": "a", "text": "Two."}\n')
    return [str(p), "duplicate document id 'a'"]


def case_duplicate_ids_across_files(s):
    md = s.file("mixed/harbor.md", "# Harbor\n\nThe fee is 40 million euros.\n")
    jsonl = s.file("more.jsonl", '{"id": "harbor", "text": "Another document claiming the same id."}\n')
    s.docs = [md, jsonl]
    return [str(jsonl), "duplicate document id 'harbor'"]


def case_missing_docs_path(s):
    s.docs = [s.tmp / "no-such-folder"]
    return [str(s.docs[0]), "no such file or folder"]


def case_unsupported_extension(s):
    p = _docs(s, "report.pdf", b"%PDF-1.4\n")
    return [str(p), "unsupported document type .pdf"]


def case_folder_without_documents(s):
    s.file("pdfs/report.pdf", b"%PDF-1.4\n")
    s.docs = [s.tmp / "pdfs"]
    return [str(s.docs[0]), "holds no .txt, .md or .jsonl"]


def case_personas_empty_file(s):
    p = _personas(s, "personas.yaml", "")
    return [str(p), "non-empty list of personas"]


def case_personas_missing_field(s):
    p = _personas(
        s,
        "personas.yaml",
        """\
        - name: analyst
          description: A data journalist.
        - name: parent
        """,
    )
    return [str(p), "persona #2", "field 'description'"]


def case_personas_extra_field(s):
    p = _personas(s, "personas.yaml", "- name: analyst\n  description: A data journalist.\n  age: 41\n")
    return [str(p), "persona #1", "field 'age'", "unknown field"]


def case_personas_duplicate_names(s):
    p = _personas(
        s, "personas.yaml", "- {name: analyst, description: A.}\n- {name: analyst, description: B.}\n"
    )
    return [str(p), "duplicate persona name(s): analyst"]


def case_personas_broken_yaml(s):
    p = _personas(s, "personas.yaml", "- name: analyst\n  description: [A data journalist\n- name: parent\n")
    return [f"{p}:", "cannot parse persona file"]


def case_personas_broken_json(s):
    p = _personas(s, "personas.json", '[{"name": "analyst", "description": "A."},\n')
    return [f"{p}:", "cannot parse persona file"]


def case_personas_not_mappings(s):
    p = _personas(s, "personas.yaml", "- analyst\n- parent\n")
    return [str(p), "persona #1 must be a mapping"]


def case_personas_blank_name(s):
    p = _personas(s, "personas.yaml", "- name: '   '\n  description: A data journalist.\n")
    return [str(p), "persona #1", "field 'name'"]


def case_personas_missing_file(s):
    s.personas = s.tmp / "nobody.yaml"
    return [str(s.personas), "persona file not found"]


def case_config_unknown_key(s):
    p = _config(s, "chunk_sise: 400\n")
    return [str(p), "field 'chunk_sise'", "did you mean 'chunk_size'"]


def case_config_unknown_lm_key(s):
    p = _config(s, "lm:\n  modle: openai/gpt-4o-mini\n")
    return [str(p), "field 'lm.modle'", "did you mean 'model'"]


def case_config_wrong_type(s):
    p = _config(s, "lm:\n  max_tokens: lots\n")
    return [str(p), "field 'lm.max_tokens'", "valid integer"]


def case_config_wrong_type_top_level(s):
    p = _config(s, "batched_filters: perhaps\n")
    return [str(p), "field 'batched_filters'", "boolean"]


def case_config_unknown_question_type(s):
    p = _config(s, "question_types: [extractive, telepathic]\n")
    return [str(p), "field 'question_types'", "telepathic", "custom_question_types"]


def case_config_overlap_not_below_size(s):
    p = _config(s, "chunk_size: 400\nchunk_overlap: 400\n")
    return [str(p), "chunk_overlap must be smaller than chunk_size"]


def case_config_broken_yaml(s):
    p = _config(s, "lm: [openai\n")
    return [str(p), "cannot parse YAML"]


def case_config_not_a_mapping(s):
    p = _config(s, "- chunk_size\n- 400\n")
    return [str(p), "expected a mapping of settings"]


def case_config_missing_file(s):
    s.extra += ["--config", str(s.tmp / "nowhere.yaml")]
    return [str(s.tmp / "nowhere.yaml"), "config file not found"]


def case_flag_limit_chunks_zero(s):
    s.extra += ["--limit-chunks", "0"]
    return ["command line", "field 'limit_chunks'"]


def case_flag_negative_temperature(s):
    s.extra += ["--temperature", "-1"]
    return ["command line", "field 'lm.temperature'"]


def case_out_is_a_file(s):
    s.out = s.file("out.txt", "an existing file\n")
    return ["--out", str(s.out), "not a directory"]


def case_program_pickle(s):
    p = s.file("compiled.pkl", b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00K\x01.")
    s.extra += ["--program", str(p)]
    return ["--program", str(p), "pickles are refused"]


def case_program_malformed_json(s):
    p = s.file("compiled.json", '{"writer.write": {"demos": [')
    s.extra += ["--program", str(p)]
    return ["--program", str(p), "not valid JSON"]


def case_program_of_another_shape(s):
    p = s.file("compiled.json", '{"some.other.module": {"demos": []}}')
    s.extra += ["--program", str(p)]
    return ["--program", str(p), "does not match this program"]


def case_program_missing(s):
    s.extra += ["--program", str(s.tmp / "nothing.json")]
    return ["--program", "file not found"]


def case_api_key_env_unset(s):
    os.environ.pop("PERSONAQA_SURELY_UNSET_KEY", None)
    s.extra += ["--api-key-env", "PERSONAQA_SURELY_UNSET_KEY"]
    return ["api_key_env", "PERSONAQA_SURELY_UNSET_KEY", "not set"]


def case_lm_string_without_provider(s):
    s.lm = ["--lm", "nonsense-model"]
    return ["--lm nonsense-model", "check --lm"]


def case_lm_gguf_missing(s):
    s.lm = ["--lm", f"gguf:{s.tmp / 'model.gguf'}"]
    return ["GGUF file not found"]


CASES: dict[str, Callable[[Setup], list[str]]] = {
    name.removeprefix("case_"): fn for name, fn in globals().items() if name.startswith("case_")
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_unusable_input_is_one_error_line_and_writes_nothing(name, setup, endpoint, capsys):
    fragments = CASES[name](setup)
    existing_out = setup.out.read_bytes() if setup.out.is_file() else None
    calls = endpoint.calls

    code, out, err = run_cli(setup.argv(), capsys)

    assert code == 2, err
    assert_one_error_line(err, *fragments)
    assert out == ""
    if existing_out is not None:
        assert setup.out.read_bytes() == existing_out  # untouched
    else:
        assert not setup.out.exists(), sorted(p.name for p in setup.out.rglob("*"))
    if name != "lm_string_without_provider":  # that one is found by the endpoint probe (which never reaches
        assert endpoint.calls == calls  # this endpoint); all others before any LM call


def test_out_below_a_file_is_one_error_line(setup, capsys):
    """An --out whose parent is a file: found by the start-up check of the output folder, before any LM
    call."""
    parent = setup.file("results", "a file, not a folder\n")
    setup.out = parent / "run1"

    code, _, err = run_cli(setup.argv(), capsys)

    assert code == 2
    assert_one_error_line(err, str(parent), "is not a directory")
    assert parent.read_text() == "a file, not a folder\n"


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root ignores directory permissions (see "
    "test_out_below_a_file_is_one_error_line for an --out that cannot be created as root)",
)
def test_out_not_writable(setup, capsys):
    locked = setup.tmp / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    setup.out = locked / "out"
    try:
        code, _, err = run_cli(setup.argv(), capsys)
    finally:
        locked.chmod(0o700)
    assert code == 2
    assert_one_error_line(err, str(setup.out), "not writable")
    assert not setup.out.exists()


def test_unreachable_endpoint_is_exit_3_and_writes_nothing(setup, capsys):
    setup.lm = ["--lm", "openai/fake", "--api-base", "http://127.0.0.1:9/v1"]

    code, _, err = run_cli(setup.argv(), capsys)

    assert code == 3
    assert_one_error_line(
        err, "--lm openai/fake @ http://127.0.0.1:9/v1", "unreachable", "Connection refused"
    )
    assert not setup.out.exists()


# -- usable input: runs (with a warning where something is skipped) -----------------------------------------


def _run_ok(setup: Setup, capsys) -> tuple[str, str]:
    code, out, err = run_cli(setup.argv(), capsys)
    assert code == 0, err
    assert "questions from" in out
    present = check_complete_outputs(setup.out)
    assert all(present[name] for name in ("questions.jsonl", "rejected.jsonl", "run.json", "beir", "dataset"))
    return out, err


def test_markdown_with_tables_and_code_blocks_runs(setup, capsys):
    table = "| port | share |\n|------|-------|\n| Rotterdam | 40% |\n| Antwerp | 25% |"
    code_block = '```python\nprint("break fee: 40")\n```'
    text = f"# Port shares\n\n{table}\n\n{code_block}\n\nThe fee is 40 million euros.\n"
    setup.docs = [setup.file("tables.md", text)]

    _, err = _run_ok(setup, capsys)

    assert err.strip() == ""
    corpus = read_jsonl(setup.out / "beir" / "corpus.jsonl")
    text = "\n".join(c["text"] for c in corpus)
    assert table in text and code_block in text  # kept verbatim, nothing parsed away
    assert {c["title"] for c in corpus} == {"Port shares"}


def test_one_giant_line_is_hard_split_into_bounded_chunks(setup, capsys):
    line = "".join(f"token{i:07d}" for i in range(250_000))  # 3 MB, no sentence break, no whitespace
    setup.docs = [setup.file("line.txt", line)]
    setup.extra += ["--limit-chunks", "3"]

    _run_ok(setup, capsys)

    corpus = read_jsonl(setup.out / "beir" / "corpus.jsonl")
    assert [c["_id"] for c in corpus] == ["line#c0", "line#c1", "line#c2"]
    assert all(0 < len(c["text"]) <= 1200 for c in corpus)
    joined = "".join(c["text"] for c in corpus)
    assert joined == line[: len(joined)]  # verbatim slices, in order, no gap


def test_jsonl_rows_without_text_are_skipped_with_one_warning(setup, capsys):
    corpus = setup.file(
        "corpus.jsonl",
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "a",
                        "title": "Harbor",
                        "text": "The break fee is 40 million euros.",
                        "url": "https://x",
                    }
                ),
                json.dumps({"id": "b", "title": "Empty", "text": ""}),
                "",
                json.dumps(
                    {
                        "_id": "c",
                        "title": "Kettle",
                        "text": "The kettle boils in four minutes.",
                        "metadata": {},
                    }
                ),
                json.dumps({"id": "d", "text": "   "}),
            ]
        )
        + "\n",
    )
    setup.docs = [corpus]

    _, err = _run_ok(setup, capsys)

    lines = [l for l in err.splitlines() if l.strip()]
    assert lines == [f"personaqa: warning: {corpus}: skipped 2 row(s) with empty text (line 2, 5)"]
    assert [c["doc_id"] for c in read_jsonl(setup.out / "beir" / "corpus.jsonl")] == ["a", "c"]


_BIG_RUN = """
import json, resource, sys, time
from personaqa.programs.cli import main
small, big = json.loads(sys.argv[1])
assert main(small) == 0
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()
code = main(big)
print(json.dumps({"code": code, "seconds": time.monotonic() - started,
                  "growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))
"""


def test_50_mb_document_runs_in_bounded_memory_and_time(setup, endpoint, tmp_path):
    """A 50 MB text file with --limit-chunks 1: runs and succeeds. Peak memory grows by a few times the file
    size at most (the file is read whole, and the chunker splits all of it into sentence spans before the
    first chunk), not by a copy per chunk; measured in a child process after a small warm-up run."""
    big = tmp_path / "big.txt"
    paragraph = ("The harbor fee is forty million euros and the review ends in June. " * 200 + "\n").encode()
    with big.open("wb") as handle:
        while handle.tell() < 50 * 2**20:
            handle.write(paragraph)
    small_out, big_out = tmp_path / "small", tmp_path / "big-out"
    setup.out = small_out
    small = setup.argv()
    setup.docs, setup.out, setup.extra = [big], big_out, ["--limit-chunks", "1"]
    result = subprocess.run(
        [sys.executable, "-c", _BIG_RUN, json.dumps([small, setup.argv()])],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
        env=subprocess_env(),
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"\n50 MB document: {stats}")
    assert stats["code"] == 0
    assert stats["seconds"] < 45, stats
    assert stats["growth_mb"] < 400, stats  # file is 50 MB: about 250 MB measured
    corpus = read_jsonl(big_out / "beir" / "corpus.jsonl")
    assert len(corpus) == 1 and len(corpus[0]["text"]) <= 1200
    assert json.loads((big_out / "run.json").read_text())["counts"]["chunks"] == 1
