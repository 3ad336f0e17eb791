"""How units are executed: one interface, two implementations.

The run planner hands an executor a stream of pending units and a `record` callback; the executor runs
each unit through a UnitRunner and calls `record` with every finished UnitResult, in the driver's thread,
so checkpointing, progress and usage stay in one place. `LocalExecutor` runs units on a thread pool;
`RayExecutor` (`programs.run.ray_executor`) runs them as a Ray Data stream over a cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Protocol

from personaqa.programs.run.checkpoints import UnitResult
from personaqa.programs.run.units import Unit, UnitRunner

Record = Callable[[UnitResult], None]


class Executor(Protocol):
    """Runs units and records every one that finishes; a failure (e.g. LMUnavailableError) is raised after the
    units that finished before it are recorded."""

    def run(self, units: Iterable[Unit], record: Record) -> None: ...


class LocalExecutor:
    """Units on a thread pool; at most 2 × workers in flight so memory does not grow with the corpus."""

    def __init__(self, runner: UnitRunner, workers: int = 1):
        self.runner = runner
        self.workers = workers

    def run(self, units: Iterable[Unit], record: Record) -> None:
        workers = self.workers
        with ThreadPoolExecutor(max_workers=workers) as pool:
            in_flight: set[Future[UnitResult]] = set()
            try:
                for unit in units:
                    if len(in_flight) >= workers * 2:
                        finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                        _drain(finished, record)
                    in_flight.add(pool.submit(self.runner, *unit))
                while in_flight:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    _drain(finished, record)
            except BaseException:
                for future in in_flight:
                    future.cancel()
                _drain({f for f in in_flight if f.done() and not f.cancelled()}, record, reraise=False)
                raise


def _drain(finished: set[Future[UnitResult]], record: Record, reraise: bool = True) -> None:
    """Checkpoint every unit that succeeded, then re-raise the first failure (e.g. LMUnavailableError)."""
    failure: BaseException | None = None
    for future in finished:
        error = future.exception()
        if error is None:
            record(future.result())
        elif failure is None:
            failure = error
    if failure is not None and reraise:
        raise failure
