"""Rewards for long-form writing: length, writing quality and format, scored in batches.

``import rewards`` is light (no torch / sentence-transformers); the embedding model loads on the
first batch that needs it.

The public names are loaded on first use (PEP 562), so ``import rewards.length.reward`` (or any one
reward module) does not pay for the others. ``rewards`` imports ``rollout`` (the format parser and
the text measures), never the other way round.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "RewardSample",
    "RewardBreakdown",
    "RewardConfig",
    "register_reward",
    "get_reward",
    "list_rewards",
    "score_batch",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("rewards.base"), name)
    raise AttributeError(f"module 'rewards' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
