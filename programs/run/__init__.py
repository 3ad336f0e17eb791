"""Running the recipe over a corpus, one way: plan the (chunk, persona) units (`plan`), execute them
(`executors.LocalExecutor` on threads or `ray_executor.RayExecutor` on Ray, each unit through a
`units.UnitRunner`), checkpoint each (`checkpoints`), then export (`finalise`, `export`). `runner` ties them
together; `preflight` checks the services first."""

from personaqa.programs.run.executors import Executor, LocalExecutor
from personaqa.programs.run.job import GenerationJob, RunReport
from personaqa.programs.run.preflight import check_out_dir, check_services
from personaqa.programs.run.ray_executor import RayExecutor
from personaqa.programs.run.runner import run_generation
from personaqa.programs.run.units import UnitRunner

__all__ = [
    "Executor",
    "GenerationJob",
    "LocalExecutor",
    "RayExecutor",
    "RunReport",
    "UnitRunner",
    "check_out_dir",
    "check_services",
    "run_generation",
]
