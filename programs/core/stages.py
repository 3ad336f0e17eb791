"""A stage's name, as rejections carry it and the usage ledger counts LM calls under it. Which stages there
are, and their order, is the recipe's chain (`programs/recipe/chain.py`): the one list that names them."""

from __future__ import annotations

Stage = str
