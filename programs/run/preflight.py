"""The start-up check of every service a command will touch, run before its first LM call.

A long run should not learn at its end that its results cannot be kept: the output folder, the
MLflow tracking store and the Ray cluster are checked first, each within seconds, and a problem is
one `personaqa: error:` line naming the setting and what to do (exit 2, nothing written). The LM and
judge endpoints are checked next, by the start-up probe in `lms.build_lm`.
"""

from __future__ import annotations

import os
from pathlib import Path

from personaqa.programs.core.errors import InputError


def check_out_dir(out_dir: Path, flag: str = "--out") -> None:
    """`out_dir` is, or can be created as, a writable folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{flag} {out_dir}: exists and is not a directory")
    parent = out_dir if out_dir.exists() else next((p for p in out_dir.parents if p.exists()), Path("."))
    if not parent.is_dir():
        raise InputError(f"{flag} {out_dir}: {parent} is not a directory")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{flag} {out_dir}: not writable")


def check_services(
    *, mlflow: bool, out_dir: Path | None = None, ray: bool = False, ray_address: str | None = None
) -> None:
    """Output folder, Ray cluster (with `ray`) and tracking store (with `mlflow`), cheapest first."""
    if out_dir is not None:
        check_out_dir(out_dir)
    if ray:
        from personaqa.programs.run.ray_executor import check_ray_address

        check_ray_address(ray_address)
    if mlflow:
        from personaqa.programs.tracking.store import check_store

        check_store()
