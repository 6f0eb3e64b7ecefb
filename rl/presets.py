"""Presets -> verl overrides: a :class:`RunPlan` that a local run or a Ray job executes.

A preset (``configs/rl/<name>.yaml``) names everything a run needs, so a run is reproducible from
its preset plus the command-line overrides:

* ``verl``: nested overrides of keys that exist in verl's ``ppo_trainer`` config tree (a
  misspelled key fails composition, see :func:`compose`);
* ``verl_new``: keys new to verl's tree (passed with a leading ``+``);
* ``rewards`` / ``reward_options``: the reward names, weights and options (``rewards.RewardConfig``),
  handed to ``rl.verl_reward.compute_score`` through ``reward_kwargs`` and read by ``rl.trainer``;
* ``longwriter``: our trainer mode's settings (``+longwriter.*``);
* ``platform``: ``cpu`` adds ``rl.cpu_platform``'s environment and overrides; ``gpu`` adds nothing;
* ``data_dir``: where ``longwrite prepare-rl`` wrote ``train.parquet`` / ``val.parquet``.

``rl.local_run.train`` runs a plan on this machine, ``rl.jobs.submit`` as a Ray job.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PRESET_DIR = PROJECT_ROOT / "configs" / "rl"
TRAINER_MODULE = "rl.trainer"
PLATFORM_MODULE = "rl.cpu_platform"
PRESET_KEYS = frozenset(
    {"description", "platform", "rewards", "reward_options", "longwriter", "data_dir", "verl", "verl_new"}
)
_PATH_KEYS = ("data.train_files", "data.val_files", "trainer.default_local_dir")


def list_presets() -> list[str]:
    """Names of the bundled presets (``configs/rl/*.yaml``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_preset(name_or_path: str | os.PathLike) -> dict[str, Any]:
    """Read a preset by name (``tiny-cpu``) or path; unknown names list the valid ones."""
    import yaml

    path = Path(name_or_path)
    if str(name_or_path) in list_presets():
        path = PRESET_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"preset {str(name_or_path)!r} not found; bundled presets: {', '.join(list_presets())}"
        )
    preset = yaml.safe_load(path.read_text()) or {}
    if not isinstance(preset, dict):
        raise ValueError(f"{path}: a preset is a mapping, got {type(preset).__name__}")
    unknown = set(preset) - PRESET_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown preset keys {sorted(unknown)}; valid: {sorted(PRESET_KEYS)}")
    if preset.get("platform", "gpu") not in ("cpu", "gpu"):
        raise ValueError(f"{path}: platform must be 'cpu' or 'gpu', got {preset.get('platform')!r}")
    preset["_path"] = str(path)
    return preset


def _flatten(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, Mapping) and node:
        out: list[tuple[str, Any]] = []
        for key, value in node.items():
            out.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return [(prefix, node)] if prefix else []


def _hydra_value(value: Any) -> str:
    """A Python value as a Hydra override value (lists, dicts, quoted strings when needed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_hydra_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{k}:{_hydra_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if (
        text == ""
        or any(c in text for c in " ,:[]{}()='\"\\$\n")
        or text.lower() in ("null", "true", "false")
    ):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return text


def _key_of(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


@dataclass
class RunPlan:
    """Everything a run needs: verl overrides, environment variables and where outputs go."""

    preset: str
    overrides: list[str]
    env: dict[str, str]
    output_dir: Path
    platform: str
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def checkpoint_dir(self) -> Path:
        """verl's ``trainer.default_local_dir`` for this run."""
        return self.output_dir / "checkpoints"

    @property
    def metrics_dir(self) -> Path:
        """Where verl's file logger writes one ``metrics-<time>.jsonl`` per launch."""
        return self.output_dir / "metrics"

    def command(self, python: str | None = None) -> list[str]:
        """The verl entry point with every override (argv list)."""
        return [python or sys.executable, "-m", "verl.trainer.main_ppo", *self.overrides]


def build_plan(
    preset: str | os.PathLike,
    overrides: Sequence[str] = (),
    *,
    output_dir: str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    for_job: bool = False,
    nodes: int | None = None,
    gpus_per_node: int | None = None,
) -> RunPlan:
    """Turn a preset plus ``key=value`` overrides into a :class:`RunPlan`.

    User overrides win over the preset (same key: the later value replaces the earlier one, so
    Hydra never sees a key twice). ``for_job`` leaves out the local ``ray.init`` resources (a job
    connects to an existing cluster, where Ray refuses them). Relative paths are made absolute
    here, because Ray workers do not share the caller's working directory.
    """
    spec = load_preset(preset)
    name = Path(spec["_path"]).stem
    platform = spec.get("platform", "gpu")
    out_dir = Path(output_dir or PROJECT_ROOT / "outputs" / "rl" / name).resolve()
    data = Path(data_dir or spec.get("data_dir") or PROJECT_ROOT / "outputs" / "rl" / "data")
    if not data.is_absolute():
        data = (Path.cwd() / data).resolve()

    ordered: dict[str, str] = {}

    def put(override: str) -> None:
        if "=" not in override:
            raise ValueError(f"override {override!r} is not key=value")
        key = _key_of(override)
        if key in ordered and not override.startswith("+") and ordered[key].startswith("+"):
            override = "+" + override  # still new to verl's tree: keep the "+"
        ordered[key] = override

    if platform == "cpu":
        from rl.cpu_platform import CPU_OVERRIDES

        for o in CPU_OVERRIDES:
            put(o)
    for key, value in _flatten(spec.get("verl") or {}):
        put(f"{key}={_hydra_value(value)}")
    for key, value in _flatten(spec.get("verl_new") or {}):
        put(f"+{key}={_hydra_value(value)}")
    put(f"data.train_files={data / 'train.parquet'}")
    put(f"data.val_files={data / 'val.parquet'}")
    put(f"trainer.default_local_dir={out_dir / 'checkpoints'}")
    reward_config = {
        "rewards": dict(spec.get("rewards") or {}),
        "options": dict(spec.get("reward_options") or {}),
    }
    for key, value in _flatten(reward_config, "reward.custom_reward_function.reward_kwargs.reward_config"):
        put(f"+{key}={_hydra_value(value)}")
    for key, value in _flatten(spec.get("longwriter") or {}, "longwriter"):
        put(f"+{key}={_hydra_value(value)}")
    if nodes is not None:
        put(f"trainer.nnodes={int(nodes)}")
    if gpus_per_node is not None:
        put(f"trainer.n_gpus_per_node={int(gpus_per_node)}")
    if platform == "cpu" and not for_job:
        from rl.cpu_platform import ray_init_kwargs

        kw = ray_init_kwargs(num_cpus=16)
        put(f"ray_kwargs.ray_init.num_cpus={kw['num_cpus']}")
        put(f"+ray_kwargs.ray_init.num_gpus={kw['num_gpus']}")
        put(f"+ray_kwargs.ray_init.object_store_memory={kw['object_store_memory']}")
        put(f"+ray_kwargs.ray_init.include_dashboard={_hydra_value(kw['include_dashboard'])}")
    if for_job:
        put("ray_kwargs.ray_init.num_cpus=null")
    for o in overrides:
        put(o)

    # Resolve the tiny model and relative paths now (the workers' cwd is not ours).
    for key, override in list(ordered.items()):
        value = override.split("=", 1)[1]
        if key == "actor_rollout_ref.model.path" and value == "tiny":
            from rollout.tiny import tiny_model_path

            ordered[key] = f"{override.split('=', 1)[0]}={tiny_model_path(seed=0)}"
        elif key in _PATH_KEYS and value and not value.startswith(("/", "hdfs:", "s3:", "gs:", "'")):
            ordered[key] = f"{override.split('=', 1)[0]}={Path(value).resolve()}"

    modules = [TRAINER_MODULE] if platform != "cpu" else [PLATFORM_MODULE, TRAINER_MODULE]
    env = {"VERL_USE_EXTERNAL_MODULES": ",".join(modules), "TOKENIZERS_PARALLELISM": "false"}
    if platform == "cpu":
        from rl.cpu_platform import CPU_ENV

        env.update(CPU_ENV)
        env["VLLM_CPU_KVCACHE_SPACE"] = os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")
        env["HF_HUB_OFFLINE"] = "1"
    return RunPlan(
        preset=name,
        overrides=list(ordered.values()),
        env=env,
        output_dir=out_dir,
        platform=platform,
        description=str(spec.get("description", "")),
        extra={"rewards": reward_config, "data_dir": str(data)},
    )


def compose(plan_or_overrides: RunPlan | Sequence[str]):
    """Compose verl's ``ppo_trainer`` config with the overrides, exactly as ``main_ppo`` would.

    Raises on an unknown or misspelled key (verl's tree is strict) and returns the DictConfig.
    Used by tests for every preset, and by ``train --dry-run``.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    overrides = (
        plan_or_overrides.overrides if isinstance(plan_or_overrides, RunPlan) else list(plan_or_overrides)
    )
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return hydra_compose(config_name="ppo_trainer", overrides=list(overrides))


def check_reward_config(plan: RunPlan) -> None:
    """Fail before a run starts when the plan's reward config (preset plus overrides) is invalid -
    an unknown reward or option, or a required setting still holding its ``REQUIRED`` placeholder
    (the learned-RM path of the GPU presets). Composes the config as verl will."""
    from omegaconf import OmegaConf

    from rewards.base import RewardConfig

    node = compose(plan).reward.custom_reward_function.reward_kwargs.reward_config
    try:
        RewardConfig.coerce(OmegaConf.to_container(node, resolve=True))
    except ValueError as exc:
        raise ValueError(f"preset {plan.preset}: {exc}") from None
