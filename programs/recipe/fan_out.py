"""Run one step over several items at once, keeping the sequential order of results.

Within a unit the questions are independent: their judge/rewrite chains can run side by side, so an
endpoint stays busy while the last units of a run finish (otherwise the tail of a run leaves most
workers idle). Each call runs in a copy of the caller's context: DSPy's settings (LM, adapter) and
the usage ledger come along."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def fan_out(step: Callable[[T], R], items: Sequence[T], width: int) -> list[R]:
    """`[step(item) for item in items]`, with up to `width` items in flight; the first failure is raised."""
    if width <= 1 or len(items) <= 1:
        return [step(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(width, len(items))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, step, item) for item in items]
        return [future.result() for future in futures]
