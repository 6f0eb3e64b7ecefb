"""The one source of a run's reward config, read the same way by the reward function and the trainer.

A GRPO run scores with :func:`rl.verl_reward.compute_score` (in verl's reward workers) and
combines the components into the advantage in :class:`rl.trainer.LongWriterTrainer` (in verl's
trainer process). Both must use the same reward names, weights and options, so both call
:func:`resolve` on the same inputs:

* ``reward.custom_reward_function.reward_kwargs.reward_config_json``: the config as ONE JSON
  string (what ``rl.presets.build_plan`` writes). One string value is something Hydra cannot
  mangle: a reward named by a dotted path (``my_pkg.my_mod:my_fn``, or ``my_pkg.my_mod.my_fn``)
  would otherwise be split into nested keys or rejected by the override grammar. ``$`` is written
  as the JSON escape ``\\u0024`` so OmegaConf never sees an interpolation;
* ``reward_kwargs.reward_config`` (a mapping, or a YAML path) and ``reward_kwargs.reward_config_path``
  (a YAML path), for hand-written verl configs;
* the ``LONGWRITE_REWARD_CONFIG`` environment variable (a YAML path).

Given more than one of these, they must describe the same config; two that differ are a
ValueError naming both (never one silently winning). Given none, the default config applies
(length, quality, format; weight 1).

Reward names in metrics: ``longwriter/reward/<metric name>/*`` where :func:`metric_name` is the
reward's name with ``:`` written as ``.`` (``my_pkg.my_mod:my_fn`` -> ``my_pkg.my_mod.my_fn``;
built-in names unchanged), since some loggers reject ``:`` in metric names.

``python -m rl.reward_source check JSON`` builds the config in a fresh process (importing every
dotted-path reward and checking every option) and exits 3 with the reason, naming the module,
when that fails: ``longwrite train`` runs it before verl starts, and a Ray job's entrypoint runs
it on the cluster before verl's entry point (see ``rl.jobs.job_entrypoint``).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_CONFIG",
    "JSON_KWARG",
    "KWARGS_PATH",
    "encode",
    "decode",
    "normalise",
    "resolve",
    "from_verl_config",
    "metric_name",
    "apply_overrides",
    "is_reward_override",
    "check_command",
]

ENV_CONFIG = "LONGWRITE_REWARD_CONFIG"
JSON_KWARG = "reward_config_json"
#: Where verl keeps the keyword arguments it passes to the custom reward function.
KWARGS_PATH = "reward.custom_reward_function.reward_kwargs"
#: Command-line override prefixes that set the reward config (``rewards.NAME=WEIGHT``,
#: ``~rewards.NAME``, ``reward_options.NAME.KEY=VALUE``); they never reach verl as such.
REWARD_PREFIX = "rewards."
OPTION_PREFIX = "reward_options."

_cache: dict[str, Any] = {}


def encode(config: Mapping[str, Any]) -> str:
    """``{"rewards": ..., "options": ...}`` as one compact JSON string with ``$`` escaped."""
    return json.dumps(dict(config), ensure_ascii=False, separators=(",", ":")).replace("$", "\\u0024")


def decode(text: str) -> dict[str, Any]:
    """The config dict inside a :func:`encode` string (a ValueError says what is wrong)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{JSON_KWARG} is not valid JSON ({exc}): {text[:200]!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{JSON_KWARG} must be a JSON object, got {type(value).__name__}")
    return value


def metric_name(name: str) -> str:
    """The name a reward component is logged under: ``:`` becomes ``.`` (see the module doc)."""
    return str(name).replace(":", ".")


def _is_path(name: str) -> bool:
    return "." in name or ":" in name


def normalise(rewards: Any = None, options: Any = None, *, where: str = "reward config") -> dict[str, Any]:
    """``{"rewards": {name: weight}, "options": {name: {...}}}`` from a preset's fields, checked.

    ``rewards`` may be a mapping (name -> weight), a list of names (weight 1 each) or empty (the
    default length/quality/format). Weights must be finite numbers >= 0; built-in names must be
    registered and their options valid. Dotted-path rewards are NOT imported here (the module may
    exist only on the cluster): :func:`check_command` imports them where the run happens.
    """
    from rewards.base import DEFAULT_REWARDS, get_reward, list_rewards

    if rewards is None or (isinstance(rewards, (Mapping, list, tuple)) and not rewards):
        rewards = dict(DEFAULT_REWARDS)
    if isinstance(rewards, (list, tuple)):
        rewards = {str(n): 1.0 for n in rewards}
    if not isinstance(rewards, Mapping):
        raise ValueError(f"{where}: rewards must map names to weights (or list names), got {rewards!r}")
    clean: dict[str, float] = {}
    for name, weight in rewards.items():
        name = str(name)
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: weight of reward {name!r} must be a number, got {weight!r}") from None
        if not math.isfinite(w) or w < 0:
            raise ValueError(f"{where}: weight of reward {name!r} must be finite and >= 0, got {weight!r}")
        if not _is_path(name) and name not in list_rewards():
            get_reward(name)  # raises, listing the valid names
        clean[name] = w
    labels: dict[str, str] = {}
    for name in clean:
        if metric_name(name) in labels:
            raise ValueError(
                f"{where}: rewards {labels[metric_name(name)]!r} and {name!r} would be logged under "
                f"the same metric name {metric_name(name)!r}; configure one of them"
            )
        labels[metric_name(name)] = name
    if not any(w > 0 for w in clean.values()):
        raise ValueError(f"{where}: at least one reward needs a weight > 0, got {clean}")
    if options is not None and not isinstance(options, Mapping):
        raise ValueError(f"{where}: reward_options must map reward names to options, got {options!r}")
    opts: dict[str, dict] = {}
    for name, value in (options or {}).items():
        name = str(name)
        if name not in clean:
            raise ValueError(
                f"{where}: options given for reward {name!r}, which is not configured; "
                f"configured: {', '.join(clean)}"
            )
        if value is not None and not isinstance(value, Mapping):
            raise ValueError(f"{where}: options of reward {name!r} must be a mapping, got {value!r}")
        opts[name] = dict(value or {})
        if not _is_path(name):
            get_reward(name).resolve_options(opts[name])
    return {"rewards": clean, "options": opts}


def is_reward_override(override: str) -> bool:
    """True for a command-line override that sets the reward config (see :func:`apply_overrides`)."""
    key = override.split("=", 1)[0].lstrip("+~")
    return key.startswith((REWARD_PREFIX, OPTION_PREFIX))


def apply_overrides(config: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """``config`` (:func:`normalise` shape) with the reward overrides of the command line applied.

    * ``rewards.NAME=WEIGHT`` sets (or adds) a reward's weight; NAME may be a dotted path, colon
      included (``rewards.my_pkg.my_mod:my_fn=2``): everything after ``rewards.`` is the name;
    * ``~rewards.NAME`` removes a reward (and its options);
    * ``reward_options.NAME.KEY=VALUE`` sets one option (the last dot separates NAME and KEY;
      VALUE is read as YAML, so ``2`` is a number and ``true`` a boolean).

    The result is not checked: pass it through :func:`normalise`.
    """
    import yaml

    rewards = dict(config.get("rewards") or {})
    options = {k: dict(v) for k, v in (config.get("options") or {}).items()}
    for override in overrides:
        key, sep, value = override.partition("=")
        delete = key.startswith("~")
        key = key.lstrip("+~")
        if key.startswith(REWARD_PREFIX):
            name = key[len(REWARD_PREFIX) :]
            if not name:
                raise ValueError(f"override {override!r}: name the reward, e.g. rewards.length=2")
            if delete:
                if name not in rewards:
                    raise ValueError(
                        f"override {override!r}: {name!r} is not configured ({', '.join(rewards)})"
                    )
                rewards.pop(name)
                options.pop(name, None)
                continue
            if not sep:
                raise ValueError(f"override {override!r} must look like rewards.NAME=WEIGHT")
            rewards[name] = yaml.safe_load(value)
        elif key.startswith(OPTION_PREFIX):
            name, dot, opt = key[len(OPTION_PREFIX) :].rpartition(".")
            if not (sep and dot and name and opt) or delete:
                raise ValueError(f"override {override!r} must look like reward_options.NAME.KEY=VALUE")
            options.setdefault(name, {})[opt] = yaml.safe_load(value)
        else:
            raise ValueError(f"override {override!r} does not set the reward config")
    return {"rewards": rewards, "options": options}


def _plain(obj: Any) -> Any:
    """OmegaConf containers (what verl passes in reward_kwargs) as plain dicts/lists."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) or type(obj).__name__ == "ListConfig":
        return [_plain(v) for v in obj]
    return obj


def resolve(
    reward_config: Any = None,
    reward_config_path: str | os.PathLike | None = None,
    reward_config_json: str | None = None,
    environ: Mapping[str, str] | None = None,
):
    """The :class:`rewards.RewardConfig` of the run, from every source that is given (module doc).

    Sources that are given must agree; two that differ are a ValueError naming both. Built once
    per process and set of sources (the reward function calls this per sample). A bad config
    raises: a typo must stop the run, not train on the wrong reward.
    """
    from rewards import RewardConfig

    env_path = (os.environ if environ is None else environ).get(ENV_CONFIG) or None
    sources: list[tuple[str, str, Any]] = []
    if reward_config_json is not None:
        sources.append((f"reward_kwargs.{JSON_KWARG}", "json", str(reward_config_json)))
    if isinstance(reward_config, RewardConfig):
        sources.append(("reward_kwargs.reward_config", "object", reward_config))
    elif isinstance(reward_config, (str, os.PathLike)):
        sources.append(("reward_kwargs.reward_config", "path", str(reward_config)))
    elif reward_config is not None:
        sources.append(("reward_kwargs.reward_config", "inline", _plain(reward_config)))
    if reward_config_path:
        sources.append(("reward_kwargs.reward_config_path", "path", str(reward_config_path)))
    if env_path:
        sources.append((f"${ENV_CONFIG}", "path", env_path))
    if len(sources) == 1 and sources[0][1] == "object":
        return sources[0][2]
    key = json.dumps(
        [
            (kind, str(Path(v).resolve()) if kind == "path" else v)
            for _, kind, v in sources
            if kind != "object"
        ],
        sort_keys=True,
        default=str,
    )
    if key in _cache and not any(kind == "object" for _, kind, _ in sources):
        return _cache[key]
    configs = [(label, _load(kind, value)) for label, kind, value in sources]
    if not configs:
        config = RewardConfig()
    else:
        label, config = configs[0]
        for other_label, other in configs[1:]:
            if other.to_dict() != config.to_dict():
                raise ValueError(
                    f"the reward config is given twice and the two differ: {label} = {config.to_dict()} "
                    f"but {other_label} = {other.to_dict()}; give it in one place (with `longwrite "
                    f"train/submit`: the preset's rewards/reward_options and rewards.NAME=WEIGHT overrides)"
                )
    if not any(kind == "object" for _, kind, _ in sources):
        _cache[key] = config
    return config


def _load(kind: str, value: Any):
    from rewards import RewardConfig

    if kind == "object":
        return value
    if kind == "json":
        return RewardConfig.from_dict(decode(value))
    if kind == "inline":
        return RewardConfig.from_dict(value)
    return RewardConfig.from_yaml(value)


def from_verl_config(config: Any):
    """:func:`resolve` on the reward kwargs of a verl config (what the trainer mode reads)."""
    node = config
    for key in KWARGS_PATH.split("."):
        node = None if node is None else (node.get(key) if hasattr(node, "get") else getattr(node, key, None))
    kwargs = node if node is not None and hasattr(node, "get") else {}
    return resolve(
        reward_config=kwargs.get("reward_config"),
        reward_config_path=kwargs.get("reward_config_path"),
        reward_config_json=kwargs.get(JSON_KWARG),
    )


def check_command(config: Mapping[str, Any], python: str = "python") -> list[str]:
    """The argv that checks ``config`` in a fresh process (``python -m rl.reward_source check``)."""
    return [python, "-m", "rl.reward_source", "check", encode(config)]


def _check(text: str) -> int:
    """Build the config from its JSON in this process; print what was imported, or why not."""
    import importlib

    try:
        config = resolve(reward_config_json=text)
    except Exception as exc:  # noqa: BLE001 - reported with its type, exit code says it failed
        print(
            f"longwrite: reward config check failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True
        )
        return 3
    parts = []
    for name, weight in config.rewards.items():
        where = ""
        if _is_path(name):
            module = name.partition(":")[0] if ":" in name else name.rpartition(".")[0]
            where = f" from {getattr(importlib.import_module(module), '__file__', '?')}"
        parts.append(f"{name} (weight {weight:g}){where}")
    print("longwrite: reward config OK: " + "; ".join(parts), flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rl.reward_source check JSON``: exit 0 when the config builds, 3 otherwise."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "check":
        print("usage: python -m rl.reward_source check JSON", file=sys.stderr)
        return 2
    return _check(args[1])


if __name__ == "__main__":
    sys.exit(main())
