"""DSPy's advisory price of each LM call, looked up once per model instead of once per call.

DSPy prices every completed call from LiteLLM's price list (`dspy.clients.costs.estimate_cost`). A model the
list does not know, as a self-hosted server's model usually is, costs a scan of the whole list on every call
(twice: the answered and the requested name), 8-17 ms of Python holding the GIL: at 64 workers, more time than
the calls' own handling. The list is fixed for the process, so the lookup is memoised per (provider, model,
namespaces); each caller still gets its own copy of the entry."""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

_installed = False


def memoise_price_lookups() -> None:
    """Make `dspy.clients.costs` look each model up once per process (idempotent)."""
    global _installed
    if _installed:
        return
    from dspy.clients import costs

    original = costs.model_info

    @lru_cache(maxsize=256)
    def cached(provider: str, model: str, namespaces: tuple[str, ...] | None) -> dict[str, Any]:
        return original(provider, model, namespaces=namespaces)

    def model_info(provider: str, model: str, *, namespaces: Any = None) -> dict[str, Any]:
        key = tuple(namespaces) if namespaces is not None else None
        return copy.deepcopy(cached(provider, model, key))

    costs.model_info = model_info
    _installed = True
