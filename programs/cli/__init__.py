"""The `personaqa` command line: each module parses one sub-command's arguments and calls the library."""

from personaqa.programs.cli.app import main

__all__ = ["main"]
