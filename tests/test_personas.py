"""Personas from YAML or JSON, and one-line errors that name the file and the problem."""

from __future__ import annotations

import json

import pytest
from personaqa.programs.core.errors import InputError
from personaqa.programs.corpus.personas import load_personas


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_list(tmp_path):
    path = write(
        tmp_path,
        "p.yaml",
        (
            "- name: lawyer\n"
            "  description: >-\n"
            "    Writes formal questions\n"
            "    about deadlines.\n"
            "- name: parent\n"
            "  description: '  short casual questions  '\n"
        ),
    )
    personas = load_personas(path)
    assert [p.name for p in personas] == ["lawyer", "parent"]
    assert personas[0].description == "Writes formal questions about deadlines."
    assert personas[1].description == "short casual questions"  # stripped


def test_yaml_mapping_with_personas_key(tmp_path):
    path = write(
        tmp_path,
        "p.yml",
        "personas:\n  - {name: a, description: first}\n  - {name: b, description: second}\n",
    )
    assert [(p.name, p.description) for p in load_personas(path)] == [("a", "first"), ("b", "second")]


def test_json_list(tmp_path):
    path = write(tmp_path, "p.json", json.dumps([{"name": "journalist", "description": "wants numbers"}]))
    (persona,) = load_personas(str(path))
    assert persona.name == "journalist" and persona.description == "wants numbers"


def test_shipped_sample_personas_load():
    from personaqa.programs.cli.generate import sample_dir

    personas = load_personas(sample_dir() / "personas.yaml")
    assert len(personas) >= 2
    assert len({p.name for p in personas}) == len(personas)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="persona file not found") as err:
        load_personas(tmp_path / "none.yaml")
    assert "none.yaml" in str(err.value)


def test_broken_yaml_names_line(tmp_path):
    path = write(tmp_path, "p.yaml", "- name: a\n  description: ok\n- name: [unclosed\n  description: x\n")
    with pytest.raises(InputError) as err:
        load_personas(path)
    message = str(err.value)
    assert message.startswith(f"{path}:")
    assert "cannot parse persona file" in message
    line = int(message[len(str(path)) + 1 :].split(":")[0])
    assert line >= 3


def test_broken_json_names_line(tmp_path):
    path = write(tmp_path, "p.json", '[\n  {"name": "a", "description": "x"},\n  {"name": "b",,}\n]')
    with pytest.raises(InputError) as err:
        load_personas(path)
    assert str(err.value).startswith(f"{path}:3: cannot parse persona file")


def test_missing_field(tmp_path):
    path = write(tmp_path, "p.yaml", "- name: a\n  description: fine\n- name: b\n")
    with pytest.raises(InputError) as err:
        load_personas(path)
    message = str(err.value)
    assert "persona #2" in message and "'description'" in message


@pytest.mark.parametrize("description", ["''", "'   '"])
def test_blank_description(tmp_path, description):
    path = write(tmp_path, "p.yaml", f"- name: a\n  description: {description}\n")
    with pytest.raises(InputError) as err:
        load_personas(path)
    assert "persona #1" in str(err.value) and "'description'" in str(err.value)


def test_duplicate_names_after_trimming(tmp_path):
    path = write(
        tmp_path,
        "p.yaml",
        "- {name: ann, description: one}\n- {name: ' ann ', description: two}\n"
        "- {name: bob, description: three}\n",
    )
    with pytest.raises(InputError) as err:
        load_personas(path)
    assert "duplicate persona name(s): ann" in str(err.value)
    assert "bob" not in str(err.value)


@pytest.mark.parametrize("text", ["[]\n", "", "personas: []\n", "name: a\ndescription: b\n"])
def test_empty_or_not_a_list(tmp_path, text):
    path = write(tmp_path, "p.yaml", text)
    with pytest.raises(InputError, match="expected a non-empty list"):
        load_personas(path)


def test_item_that_is_not_a_mapping(tmp_path):
    path = write(tmp_path, "p.yaml", "- {name: a, description: b}\n- just a string\n")
    with pytest.raises(InputError, match="persona #2 must be a mapping"):
        load_personas(path)


def test_extra_field(tmp_path):
    path = write(tmp_path, "p.yaml", "- name: a\n  description: b\n  role: admin\n")
    with pytest.raises(InputError) as err:
        load_personas(path)
    assert "persona #1" in str(err.value) and "'role'" in str(err.value)


def test_non_string_name(tmp_path):
    path = write(tmp_path, "p.yaml", "- name: 42\n  description: b\n")
    with pytest.raises(InputError, match="field 'name'"):
        load_personas(path)
