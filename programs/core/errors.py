"""User-facing errors: each one becomes a single line on stderr and a non-zero exit."""

from __future__ import annotations


class PersonaqaError(Exception):
    """A problem with the user's input or settings, stated in one line."""

    exit_code = 2


class InputError(PersonaqaError):
    """A document, persona, config or dataset file that cannot be used."""


class LMUnavailableError(PersonaqaError):
    """The LM endpoint cannot be reached or keeps failing: the run stops (and can resume)."""

    exit_code = 3


class ServiceError(PersonaqaError):
    """A service the command needs (tracking store, Ray cluster, output folder) fails the start-up check,
    before any LM call: nothing was done or written."""


class NothingKeptError(PersonaqaError):
    """A run finished but kept no question (or too few to use); its outputs are written for inspection."""

    exit_code = 4


class CallCapReached(PersonaqaError):
    """A run stopped starting units once it had made the LM calls `--max-calls` allows: every finished unit is
    checkpointed and the same command resumes it."""

    exit_code = 5
