"""The command line as a new user meets it: --version, help that fits a screen with an example and defaults,
old flag spellings still accepted, errors with the sub-command's usage, and `personaqa init`."""

from __future__ import annotations

import argparse

import pytest
from personaqa.programs.cli import main
from personaqa.programs.cli.app import build_parser
from personaqa.programs.config import RunConfig, load_config
from personaqa.programs.corpus.personas import load_personas

COMMANDS = ("generate", "evaluate", "validate", "export-train", "compile", "compare", "init")
SCREEN_LINES = 45  # one terminal screen at 80 columns


def help_text(capsys, monkeypatch, *argv: str, columns: int = 80) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("personaqa ")


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_fits_one_screen_with_an_example(command, capsys, monkeypatch):
    text = help_text(capsys, monkeypatch, *([command] if command else []))
    lines = text.splitlines()
    assert len(lines) <= SCREEN_LINES, f"{len(lines)} lines"
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    assert "example" in text and "personaqa " in text.split("example", 1)[1]


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.help != argparse.SUPPRESS]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_flag_has_help_and_every_default_is_shown(command, capsys, monkeypatch):
    parser = _subparsers(build_parser())[command]
    for action in _options(parser):
        assert action.help, f"{command} {action.option_strings} has no help"
    text = " ".join(help_text(capsys, monkeypatch, command, columns=200).split())
    for action in _options(parser):
        if action.default not in (None, False, argparse.SUPPRESS) and not isinstance(
            action, argparse._HelpAction
        ):
            shown = action.default if not isinstance(action.default, list) else " ".join(action.default)
            assert shown == "" or f"default: {shown}" in text, f"{command} {action.option_strings}"


def test_shared_ideas_have_one_name_in_every_command():
    commands = _subparsers(build_parser())
    flags = {name: {o for a in p._actions for o in a.option_strings} for name, p in commands.items()}
    for name in ("generate", "evaluate", "validate", "compile", "compare"):
        assert {"--quiet", "--no-mlflow", "--experiment"} <= flags[name], name
    for name in ("evaluate", "validate"):
        assert {"--dataset", "--retrievers", "--k", "--format", "--out"} <= flags[name], name


def test_old_spellings_still_parse_but_are_not_shown(capsys, monkeypatch):
    parser = build_parser()
    args = parser.parse_args(["validate", "--beir", "data", "--personas", "p.yaml"])
    assert str(args.dataset) == "data"
    args = parser.parse_args(
        ["evaluate", "--dataset", "d", "--retriever", "bm25,overlap", "--retriever", "dense"]
    )
    assert args.retrievers == ["bm25,overlap", "dense"]
    args = parser.parse_args(["evaluate", "--dataset", "d", "--retrievers", "bm25", "overlap,dense"])
    assert args.retrievers == ["bm25", "overlap,dense"]
    assert "--beir" not in help_text(capsys, monkeypatch, "validate")
    assert "--retriever " not in help_text(capsys, monkeypatch, "evaluate")


REQUIRED = {
    "generate": ["--out", "o"],
    "evaluate": ["--dataset", "d"],
    "validate": ["--personas", "p"],
    "compile": ["--trainset", "t", "--devset", "d", "--out", "o"],
    "compare": ["--devset", "d", "--out", "o"],
}


@pytest.mark.parametrize("command", list(REQUIRED))
def test_unknown_flag_shows_the_commands_usage_and_exits_2(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, *REQUIRED[command], "--no-such-flag"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: personaqa {command} ")
    assert f"personaqa {command}: error: unrecognized arguments: --no-such-flag" in err


def test_a_misspelt_required_flag_is_named_as_unknown(capsys):
    """argparse stops at the missing --dataset; the typo that caused it is named too, with the command's
    usage."""
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--datset", "out/beir", "--k", "10"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: personaqa evaluate ")
    assert (
        "personaqa evaluate: error: unrecognized arguments: --datset; "
        "the following arguments are required: --dataset" in err
    )
    with pytest.raises(SystemExit):
        main(["evaluate", "--datas", "out/beir", "--no-such-flag"])  # an abbreviation is known
    assert "error: unrecognized arguments: --no-such-flag\n" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generat", "--out", "x"])  # a misspelt command: its flags are not blamed
    assert "unrecognized" not in capsys.readouterr().err


def test_validate_without_dataset_names_the_flag(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["validate", "--personas", "p.yaml"])
    assert stop.value.code == 2
    assert "required: --dataset" in capsys.readouterr().err


def test_init_writes_files_that_load(tmp_path, capsys):
    folder = tmp_path / "project"
    assert main(["init", str(folder)]) == 0
    assert load_config(folder / "run.yaml") == RunConfig()  # every setting commented at its default
    personas = load_personas(folder / "personas.yaml")
    assert len(personas) >= 2 and all(len(p.examples) >= 3 for p in personas)
    queries = (folder / "example_queries.txt").read_text(encoding="utf-8")
    assert any(line and not line.startswith("#") for line in queries.splitlines())
    run_yaml = (folder / "run.yaml").read_text(encoding="utf-8")
    for setting in RunConfig.model_fields:
        assert f"{setting}:" in run_yaml, setting
    assert "personaqa generate --config" in capsys.readouterr().out


def test_init_keeps_existing_files_unless_forced(tmp_path, capsys):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "personas.yaml").write_text("mine\n", encoding="utf-8")
    assert main(["init", str(folder)]) == 2
    assert "personas.yaml: exists; pass --force" in capsys.readouterr().err
    assert (folder / "personas.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (folder / "run.yaml").exists()  # nothing half-written
    assert main(["init", str(folder), "--force"]) == 0
    load_personas(folder / "personas.yaml")
