"""Run configuration: defaults, YAML, dotted overrides, and errors that name the field."""

from __future__ import annotations

import pytest
from personaqa.programs.config import RunConfig, load_config
from personaqa.programs.core.errors import InputError
from personaqa.signatures import QUESTION_TYPE_DESCRIPTIONS


def write(tmp_path, text, name="run.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_valid():
    config = load_config(None)
    assert config == RunConfig()
    assert config.chunk_overlap < config.chunk_size
    assert config.judge_lm is None
    assert config.type_descriptions() == QUESTION_TYPE_DESCRIPTIONS


def test_yaml_file_values(tmp_path):
    path = write(
        tmp_path,
        "chunk_size: 800\nchunk_overlap: 100\nquestion_types: [extractive, comparative]\n"
        "lm:\n  model: openai/gpt-4o-mini\n  temperature: 0.3\n",
    )
    config = load_config(path)
    assert (config.chunk_size, config.chunk_overlap) == (800, 100)
    assert config.question_types == ["extractive", "comparative"]
    assert config.lm.model == "openai/gpt-4o-mini"
    assert config.lm.temperature == 0.3
    assert config.lm.max_tokens == 256  # untouched default


def test_empty_yaml_file_gives_defaults(tmp_path):
    assert load_config(write(tmp_path, "# nothing set\n")) == RunConfig()


def test_overrides_win_over_file_and_none_is_ignored(tmp_path):
    path = write(tmp_path, "limit_chunks: 5\nlm:\n  model: openai/gpt-4o-mini\n  max_tokens: 300\n")
    config = load_config(
        path,
        {
            "lm.model": "hosted_vllm/llama",
            "lm.api_base": "http://localhost:8000/v1",
            "limit_chunks": None,
            "lm.temperature": None,
        },
    )
    assert config.lm.model == "hosted_vllm/llama"
    assert config.lm.api_base == "http://localhost:8000/v1"
    assert config.lm.max_tokens == 300  # kept from the file
    assert config.limit_chunks == 5  # None override does not erase the file value
    assert config.lm.temperature == 0.0


def test_dotted_override_creates_nested_section():
    config = load_config(None, {"judge_lm.model": "openai/gpt-4o", "judge_lm.api_key_env": "JUDGE_KEY"})
    assert config.judge_lm is not None
    assert config.judge_lm.model == "openai/gpt-4o"
    assert config.judge_lm.api_key_env == "JUDGE_KEY"


def test_unknown_top_level_key_names_field(tmp_path):
    path = write(tmp_path, "chunk_sise: 800\n")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: field 'chunk_sise'")


def test_unknown_nested_key_names_dotted_field(tmp_path):
    path = write(tmp_path, "lm:\n  model: x\n  api_key: sk-123\n")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert "field 'lm.api_key'" in str(err.value)


def test_unknown_override_names_field_and_command_line():
    with pytest.raises(InputError) as err:
        load_config(None, {"lm.modle": "x"})
    assert str(err.value).startswith("command line: field 'lm.modle'")


@pytest.mark.parametrize(
    "text, field",
    [
        ("chunk_size: big\n", "chunk_size"),
        ("max_interests: 9\n", "max_interests"),
        ("question_dedup_threshold: 1.5\n", "question_dedup_threshold"),
        ("question_types: extractive\n", "question_types"),
        ("lm:\n  temperature: hot\n", "lm.temperature"),
    ],
)
def test_wrong_type_or_range_names_field(tmp_path, text, field):
    with pytest.raises(InputError) as err:
        load_config(write(tmp_path, text))
    assert f"field '{field}'" in str(err.value)


def test_unknown_question_type():
    with pytest.raises(InputError) as err:
        load_config(None, {"question_types": ["extractive", "riddle"]})
    assert "riddle" in str(err.value) and "custom_question_types" in str(err.value)


def test_empty_question_types_rejected():
    with pytest.raises(InputError, match="question_types must not be empty"):
        load_config(None, {"question_types": []})


def test_custom_question_type_accepted_and_described(tmp_path):
    path = write(
        tmp_path,
        "question_types: [howto, extractive]\n"
        "custom_question_types:\n  howto: asks for the steps to do something\n",
    )
    config = load_config(path)
    assert config.type_descriptions() == {
        "howto": "asks for the steps to do something",
        "extractive": QUESTION_TYPE_DESCRIPTIONS["extractive"],
    }
    assert list(config.type_descriptions()) == ["howto", "extractive"]  # configured order


def test_custom_type_can_redefine_a_builtin_description():
    config = load_config(
        None, {"question_types": ["extractive"], "custom_question_types": {"extractive": "asks for a number"}}
    )
    assert config.type_descriptions() == {"extractive": "asks for a number"}


@pytest.mark.parametrize("size, overlap", [(500, 500), (500, 800)])
def test_overlap_not_smaller_than_size_rejected(size, overlap):
    with pytest.raises(InputError, match="chunk_overlap must be smaller than chunk_size"):
        load_config(None, {"chunk_size": size, "chunk_overlap": overlap})


def test_missing_config_file(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_that_is_not_a_mapping(tmp_path):
    with pytest.raises(InputError, match="expected a mapping"):
        load_config(write(tmp_path, "- chunk_size\n- 800\n"))


def test_broken_yaml(tmp_path):
    with pytest.raises(InputError, match="cannot parse YAML"):
        load_config(write(tmp_path, "chunk_size: [800\n"))
