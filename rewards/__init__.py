"""Rewards for long-form writing: length, writing quality and format, scored in batches.

``import rewards`` is light (no torch / sentence-transformers); the embedding model loads on the
first batch that needs it.
"""

from rewards.base import (
    RewardBreakdown,
    RewardConfig,
    RewardSample,
    get_reward,
    list_rewards,
    register_reward,
    score_batch,
)

__all__ = [
    "RewardSample",
    "RewardBreakdown",
    "RewardConfig",
    "register_reward",
    "get_reward",
    "list_rewards",
    "score_batch",
]
