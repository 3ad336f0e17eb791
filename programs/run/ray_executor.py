"""`--engine ray`: the Ray executor, (chunk, persona) units as a Ray Data stream, a program and LM per worker.

Each worker actor builds its own program and LM from the run's configuration (its own embedded
model, or its own endpoint client); the driver checkpoints results as they stream back, so the
outputs, resume and run.json are the same as on the local path. Without `--ray-address` a local
Ray instance is started. Ray is an optional extra: `pip install 'personaqa[ray]'`."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from personaqa.programs.config import RunConfig
from personaqa.programs.core.errors import InputError, LMUnavailableError, ServiceError
from personaqa.programs.core.records import Chunk, Persona
from personaqa.programs.run.checkpoints import UnitResult
from personaqa.programs.run.executors import Record
from personaqa.programs.run.units import Unit, UnitRunner

RAY_CONNECT_TIMEOUT = 5  # seconds


class UnitWorker:
    """A Ray Data actor: one UnitRunner, built once, applied to batches of units."""

    def __init__(self, config_json: str, program_path: str | None, cache_dir: str, personas: int = 1):
        import dspy

        dspy.configure_cache(enable_disk_cache=True, disk_cache_dir=cache_dir)
        config = RunConfig.model_validate_json(config_json)
        self.runner = UnitRunner(config, Path(program_path) if program_path else None, personas=personas)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        units = []
        for order, chunk, persona in zip(batch["order"], batch["chunk"], batch["persona"]):
            unit = self.runner(
                int(order), Chunk.model_validate_json(chunk), Persona.model_validate_json(persona)
            )
            units.append(unit.model_dump_json())
        return {"unit": units}


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'personaqa[ray]'") from None
    return ray


def check_ray_address(address: str | None) -> None:
    """Ray is installed and, for a `host:port` or `ray://host:port` address, something listens there
    (a TCP connect within RAY_CONNECT_TIMEOUT s; `ray.init` itself would keep retrying for a minute)."""
    _import_ray()
    if not address or address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--ray-address {address}: expected host:port, ray://host:port or auto")
    try:
        socket.create_connection((host, int(port)), timeout=RAY_CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise ServiceError(
            f"--ray-address {address}: no Ray cluster answers there within "
            f"{RAY_CONNECT_TIMEOUT} s ({exc.strerror or exc}); start it (ray start --head) "
            "or leave out --ray-address to start a local Ray instance"
        ) from None


class RayExecutor:
    """Units as a Ray Data stream over `workers` actors (`ray_address`, else a local Ray instance);
    results are recorded by the driver as they stream back. Single-chunk units only: the planner runs
    chunk groups locally."""

    def __init__(
        self,
        config: RunConfig,
        program_path: Path | None,
        workers: int,
        ray_address: str | None,
        cache_dir: Path,
        personas: int = 1,
    ):
        self.config = config
        self.personas = personas
        self.program_path = program_path
        self.workers = workers
        self.ray_address = ray_address
        self.cache_dir = cache_dir

    def run(self, units: Iterable[Unit], record: Record) -> None:
        ray = _import_ray()
        items = [
            {"order": order, "chunk": chunk.model_dump_json(), "persona": persona.model_dump_json()}
            for order, chunk, persona in units
        ]
        if not items:
            return
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=self.ray_address,
                include_dashboard=False,
                log_to_driver=False,
                ignore_reinit_error=True,
                logging_level=logging.ERROR,
                runtime_env={"env_vars": _forwarded_env()},
            )
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        try:
            dataset = ray.data.from_items(
                items, override_num_blocks=min(len(items), max(1, self.workers) * 4)
            )
            results = dataset.map_batches(
                UnitWorker,
                batch_size=1,
                concurrency=max(1, self.workers),
                num_cpus=1,
                fn_constructor_kwargs={
                    "config_json": self.config.model_dump_json(),
                    "program_path": str(self.program_path) if self.program_path else None,
                    "cache_dir": str(self.cache_dir),
                    "personas": self.personas,
                },
            )
            for row in results.iter_rows():
                record(UnitResult.model_validate_json(row["unit"]))
        except ray.exceptions.RayError as exc:
            cause = str(exc).strip().splitlines()[-1][:300]
            raise LMUnavailableError(f"Ray run failed: {cause}") from None
        finally:
            if started_here:
                ray.shutdown()


def _forwarded_env() -> dict[str, str]:
    """Offline settings the workers need too (API keys are inherited by local workers, never serialised)."""
    import os

    names = (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "LITELLM_LOCAL_MODEL_COST_MAP",
        "TOKENIZERS_PARALLELISM",
    )
    return {n: os.environ[n] for n in names if n in os.environ}


__all__ = ["RayExecutor", "UnitWorker", "check_ray_address"]
