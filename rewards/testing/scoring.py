"""One reward, named or given, scored through the project's own path (:func:`rewards.base.score_batch`).

The kit never calls a reward function directly: it names the reward in a
:class:`rewards.base.RewardConfig` and scores with :func:`rewards.base.score_batch`, exactly as
training (``rl.verl_reward``) and ``longwrite rm score`` do, so what passes here passes there.
A name or dotted path is resolved by :func:`rewards.base.get_reward` (the one resolution); a
function or :class:`rewards.base.Reward` object given directly is registered under its dotted path
(``module:qualname``) the way :func:`rewards.base.get_reward` registers an imported one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ScoredReward", "Outcome", "resolve_reward"]

# The reason score_batch adds when no weighted component is available: not the reward's own.
_TOTAL_NOTE = "total: "


@dataclass(frozen=True)
class Outcome:
    """What a reward gave one sample: ``value`` in [0, 1] or None (missing) with the reward's
    ``reasons``, or ``error`` (the :class:`rewards.base.RewardError` message: it raised, or gave a
    non-number or a value outside [0, 1])."""

    value: float | None
    reasons: tuple[str, ...] = ()
    error: str | None = None

    @property
    def missing(self) -> bool:
        """True when the reward gave no value (and did not fail)."""
        return self.error is None and self.value is None

    def describe(self) -> str:
        """A short form for tables and failure messages: the value, ``missing (reason)`` or the error."""
        if self.error is not None:
            return f"error: {self.error}"
        if self.value is None:
            return "missing (" + ("; ".join(self.reasons) or "no reason") + ")"
        return f"{self.value:.4f}"


def resolve_reward(reward: str | Callable[..., Any] | Any) -> str:
    """The registry name under which ``reward`` is scored: a registered name or dotted path as
    given (checked by :func:`rewards.base.get_reward`, ValueError listing valid names), a
    :class:`rewards.base.Reward` under its own name, a per-sample function under its
    ``module:qualname``."""
    from rewards.base import Reward, declared_options, get_reward, list_rewards, register_reward

    if isinstance(reward, str):
        get_reward(reward)
        return reward
    if isinstance(reward, Reward):
        known = reward.name in list_rewards() and get_reward(reward.name) is reward
        if not known:
            register_reward(
                reward.name,
                reward.score,
                batched=True,
                texts=reward.texts,
                defaults=reward.defaults,
                description=reward.description,
                check=reward.check,
                group=reward.group,
            )
        return reward.name
    if callable(reward):
        name = f"{getattr(reward, '__module__', None) or 'local'}:{getattr(reward, '__qualname__', repr(reward))}"
        register_reward(name, reward, defaults=declared_options(name, reward))
        return name
    raise ValueError(
        f"a reward is a registered name, a dotted path or a function, not a {type(reward).__name__}"
    )


class ScoredReward:
    """One reward with its options, ready to score samples; options are checked on construction
    (an unknown or missing option is a ValueError naming it)."""

    def __init__(self, reward: str | Callable[..., Any] | Any, options: Mapping[str, Any] | None = None):
        from rewards.base import RewardConfig, get_reward

        self.name = resolve_reward(reward)
        self.options = dict(options or {})
        self.reward = get_reward(self.name)
        self.config = RewardConfig(rewards={self.name: 1.0}, options={self.name: self.options})

    @property
    def group(self) -> bool:
        """True for a group-level reward (scored over whole GRPO groups)."""
        return bool(self.reward.group)

    def score(self, samples: Sequence[Any]) -> list[Outcome]:
        """One :class:`Outcome` per sample, scored as one batch; a contract break of the reward
        (:class:`rewards.base.RewardError`) becomes an error outcome for every sample of the batch
        (score one sample a batch to know which one)."""
        from rewards.base import RewardError, score_batch

        try:
            out = score_batch(list(samples), self.config)
        except RewardError as exc:
            return [Outcome(None, (), str(exc)) for _ in samples]
        result = []
        for b in out:
            reasons = tuple(r for r in b.reasons if not r.startswith(_TOTAL_NOTE))
            value = b.components[self.name]
            if value is None and not reasons:
                result.append(Outcome(None, (), "missing without a reason"))
            else:
                result.append(Outcome(value, reasons))
        return result
