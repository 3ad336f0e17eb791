"""Shared test set-up: offline, no network metadata look-ups, one embedder per session."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import pytest


@pytest.fixture(scope="session")
def embedder():
    """The embedded MiniLM, loaded once for the whole test session."""
    from personaqa.programs.corpus.embedding import load_embedder

    return load_embedder()


@pytest.fixture(autouse=True)
def _mlflow_store(tmp_path_factory, monkeypatch):
    """MLflow runs from tests go to a temporary store, never to ./mlruns."""
    store = tmp_path_factory.getbasetemp() / "mlruns"
    store.mkdir(exist_ok=True)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store / 'mlflow.db'}")
