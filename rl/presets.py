"""Presets -> verl overrides: a :class:`RunPlan` that a local run or a Ray job executes.

A preset (``configs/rl/<name>.yaml``) names everything a run needs, so a run is reproducible from
its preset plus the command-line overrides:

* ``verl``: nested overrides of keys that exist in verl's ``ppo_trainer`` config tree (a
  misspelled key fails composition, see :func:`compose`);
* ``verl_new``: keys new to verl's tree (passed with a leading ``+``);
* ``rewards`` / ``reward_options``: the reward names (built-in, or dotted paths such as
  ``my_pkg.my_mod:my_fn``), weights and options (``rewards.RewardConfig``), handed as one JSON
  string to ``rl.verl_reward.compute_score`` and ``rl.trainer`` (``rl.reward_source``);
* ``longwriter``: our trainer mode's settings (``+longwriter.*``);
* ``async``: per verl async mode (``colocate_async`` / ``separate_async``), the verl overrides an
  asynchronous run of the preset adds (``build_plan(async_mode=...)``, ``longwrite train --async``,
  or ``trainer.v1.trainer_mode=longwriter_colocate_async``; see :mod:`rl.async_modes`);
* ``platform``: ``cpu`` adds ``rl.cpu_platform``'s environment and overrides; ``gpu`` adds nothing;
* ``data_dir``: where ``longwrite prepare-rl`` wrote ``train.parquet`` / ``val.parquet`` and
  ``manifest.json`` (whose verl overrides the plan applies; user overrides still win).

``rl.local_run.train`` runs a plan on this machine, ``rl.jobs.submit`` as a Ray job.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rl.async_modes import ASYNC_KINDS, ASYNC_MODES, VERL_ASYNC_MODES, check_async_config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PRESET_DIR = PROJECT_ROOT / "configs" / "rl"
TRAINER_MODULE = "rl.trainer"
ASYNC_TRAINER_MODULE = "rl.trainer_async"
PLATFORM_MODULE = "rl.cpu_platform"
PRESET_KEYS = frozenset(
    {
        "description",
        "platform",
        "rewards",
        "reward_options",
        "longwriter",
        "data_dir",
        "verl",
        "verl_new",
        "async",
    }
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
        # Hydra keeps a backslash as-is unless it precedes a quote or ends the string: only
        # those runs are doubled, then quotes are escaped.
        text = re.sub(r"(\\+)(?='|\Z)", lambda m: m.group(1) * 2, text)
        return "'" + text.replace("'", "\\'") + "'"
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
    #: What the plan took from elsewhere than the preset and the command line (the data dir's
    #: manifest, the environment) and which user overrides replaced it: shown in logs and dry-runs.
    notes: list[str] = field(default_factory=list)
    #: Local modules/packages the run imports (user rewards): PYTHONPATH for a local run, Ray
    #: ``runtime_env.py_modules`` for a job.
    py_modules: list[Path] = field(default_factory=list)

    @property
    def reward_config(self) -> dict[str, Any]:
        """The run's reward config (``{"rewards", "options"}``), the one source of reward and advantage."""
        return self.extra["rewards"]

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
    py_modules: Sequence[str | os.PathLike] = (),
    async_mode: str | None = None,
) -> RunPlan:
    """Turn a preset plus ``key=value`` overrides into a :class:`RunPlan`.

    Order, later winning: the platform's overrides, the preset's ``verl``/``verl_new``, the data
    dir's ``manifest.json`` overrides (``longwrite prepare-rl``, e.g. the base-model chat template),
    then the user's overrides (same key: the later value replaces the earlier one, so Hydra never
    sees a key twice; each manifest value applied or replaced is listed in ``notes``).

    The reward config is the preset's ``rewards`` (a mapping or a list of names) and
    ``reward_options``, changed by ``rewards.NAME=WEIGHT`` / ``~rewards.NAME`` /
    ``reward_options.NAME.KEY=VALUE`` overrides (:func:`rl.reward_source.apply_overrides`), and is
    sent to verl as ONE JSON string (``reward_kwargs.reward_config_json``), which the reward
    function and the trainer mode both read. A ``LONGWRITE_REWARD_CONFIG`` in the environment
    that differs from it, or a raw ``reward_kwargs.reward_config*`` override, is a ValueError.

    ``async_mode`` (``colocate`` | ``separate``, :data:`rl.async_modes.ASYNC_KINDS`) switches the
    run to that asynchronous trainer mode; so does a ``trainer.v1.trainer_mode`` override naming
    one of :data:`rl.async_modes.ASYNC_MODES`. Either way the preset's ``async.<verl mode>``
    overrides are applied after its ``verl`` section (user overrides still win) and
    ``rl.trainer_async`` is loaded in every Ray process; a preset without that section, or verl's
    own ``colocate_async`` / ``separate_async`` (which would drop the balanced advantage), is a
    ValueError.

    ``py_modules`` are local module files or package folders the run imports (a user reward).
    ``for_job`` leaves out the local ``ray.init`` resources (a job connects to an existing
    cluster, where Ray refuses them). Relative paths are made absolute here, because Ray workers
    do not share the caller's working directory.
    """
    from rl.reward_source import (
        ENV_CONFIG,
        JSON_KWARG,
        KWARGS_PATH,
        apply_overrides,
        encode,
        is_reward_override,
        normalise,
    )

    spec = load_preset(preset)
    name = Path(spec["_path"]).stem
    platform = spec.get("platform", "gpu")
    out_dir = Path(output_dir or PROJECT_ROOT / "outputs" / "rl" / name).resolve()
    data = Path(data_dir or spec.get("data_dir") or PROJECT_ROOT / "outputs" / "rl" / "data")
    if not data.is_absolute():
        data = (Path.cwd() / data).resolve()

    notes: list[str] = []
    reward_overrides = [o for o in overrides if is_reward_override(o)]
    overrides = [o for o in overrides if not is_reward_override(o)]
    reward_config = normalise(
        spec.get("rewards"), spec.get("reward_options"), where=f"preset {spec['_path']}"
    )
    if reward_overrides:
        changed = apply_overrides(reward_config, reward_overrides)
        reward_config = normalise(changed["rewards"], changed["options"], where="reward overrides")
    env_path = os.environ.get(ENV_CONFIG)
    if env_path:
        notes.append(_check_env_reward_config(env_path, reward_config, normalise))
    modules = [_py_module(m) for m in py_modules]
    _check_module_names(modules)

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
    trainer_mode = _trainer_mode(spec, overrides, async_mode)
    if trainer_mode in ASYNC_MODES:
        base = ASYNC_MODES[trainer_mode]
        section = (spec.get("async") or {}).get(base)
        if not section:
            raise ValueError(
                f"preset {name} has no async.{base} section (the verl settings {base} needs): "
                f"add one to {spec['_path']} to run it in {trainer_mode}"
            )
        put(f"trainer.v1.trainer_mode={trainer_mode}")
        for key, value in _flatten(section):
            put(f"{key}={_hydra_value(value)}")
        notes.append(f"asynchronous trainer mode {trainer_mode}: preset async.{base} applied")
    put(f"data.train_files={data / 'train.parquet'}")
    put(f"data.val_files={data / 'val.parquet'}")
    put(f"trainer.default_local_dir={out_dir / 'checkpoints'}")
    manifest = _manifest_overrides(data, notes)
    for o in manifest.values():
        put(o)
    put(f"+{KWARGS_PATH}.{JSON_KWARG}={_hydra_value(encode(reward_config))}")
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
        if _key_of(o).startswith(f"{KWARGS_PATH}.reward_config"):
            raise ValueError(
                f"override {o!r}: the reward config has one source, set it with rewards.NAME=WEIGHT, "
                "~rewards.NAME and reward_options.NAME.KEY=VALUE (or the preset's rewards/reward_options)"
            )
        if _key_of(o) in manifest:
            notes.append(f"your override {o} replaces the data manifest's {_key_of(o)}")
        put(o)

    # Resolve the tiny model and relative paths now (the workers' cwd is not ours).
    for key, override in list(ordered.items()):
        value = override.split("=", 1)[1]
        if key == "actor_rollout_ref.model.path" and value == "tiny":
            from rollout.tiny import tiny_model_path

            ordered[key] = f"{override.split('=', 1)[0]}={tiny_model_path(seed=0)}"
        elif key in _PATH_KEYS and value and not value.startswith(("/", "hdfs:", "s3:", "gs:", "'")):
            ordered[key] = f"{override.split('=', 1)[0]}={Path(value).resolve()}"

    ext = [TRAINER_MODULE] if platform != "cpu" else [PLATFORM_MODULE, TRAINER_MODULE]
    if trainer_mode in ASYNC_MODES:
        ext.append(ASYNC_TRAINER_MODULE)
    env = {"VERL_USE_EXTERNAL_MODULES": ",".join(ext), "TOKENIZERS_PARALLELISM": "false"}
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
        extra={"rewards": reward_config, "data_dir": str(data), "trainer_mode": trainer_mode},
        notes=notes,
        py_modules=modules,
    )


def _trainer_mode(spec: Mapping[str, Any], overrides: Sequence[str], async_mode: str | None) -> str:
    """The run's ``trainer.v1.trainer_mode``: a user override, else ``async_mode``'s, else the
    preset's. ``async_mode`` and an override naming another mode, an unknown ``async_mode``, or
    verl's own async modes are ValueErrors."""
    preset_mode = str(
        ((spec.get("verl") or {}).get("trainer") or {}).get("v1", {}).get("trainer_mode", "sync")
    )
    user = [o.split("=", 1)[1] for o in overrides if "=" in o and _key_of(o) == "trainer.v1.trainer_mode"]
    wanted = None
    if async_mode is not None:
        if async_mode not in ASYNC_KINDS:
            raise ValueError(f"async mode {async_mode!r}; valid: {', '.join(ASYNC_KINDS)}")
        wanted = ASYNC_KINDS[async_mode]
    mode = user[-1] if user else (wanted or preset_mode)
    if wanted is not None and mode != wanted:
        raise ValueError(
            f"--async {async_mode} asks for {wanted}, but an override sets trainer.v1.trainer_mode={mode}"
        )
    if mode in VERL_ASYNC_MODES:
        ours = next(k for k, v in ASYNC_MODES.items() if v == mode)
        raise ValueError(
            f"trainer.v1.trainer_mode={mode} is verl's own trainer: it would train with verl's GRPO advantage "
            f"and none of ours; use {ours} (or --async {ours.split('_')[1]})"
        )
    return mode


def _py_module(path: str | os.PathLike) -> Path:
    """``path`` as an absolute module file (``x.py``) or package folder; anything else is an error."""
    p = Path(path).expanduser().resolve()
    if not (p.is_dir() or (p.is_file() and p.suffix == ".py")):
        raise FileNotFoundError(f"--py-module {path}: not a .py file or a package folder")
    if not p.stem.isidentifier():
        raise ValueError(f"--py-module {path}: {p.stem!r} is not an importable module name")
    return p


def _check_module_names(modules: Sequence[Path]) -> None:
    """Two ``--py-module`` entries with the same import name would shadow one another: an error."""
    seen: dict[str, Path] = {}
    for module in modules:
        if module.stem in seen and seen[module.stem] != module:
            raise ValueError(
                f"--py-module {seen[module.stem]} and {module} are both imported as {module.stem!r}; "
                "rename one of them"
            )
        seen[module.stem] = module


def ship_py_modules(modules: Sequence[Path], staging: Path, *, write: bool = True) -> list[Path]:
    """The entries of a Ray job's ``runtime_env.py_modules`` for ``modules``: each imports by its
    own name and nothing that lies beside it is shipped.

    A package folder is shipped as itself (Ray uploads that folder alone). A single file ``x.py``
    is copied to ``staging/x/__init__.py`` (still imported as ``x``): Ray's job client mishandles
    a bare ``.py`` in ``py_modules``, and shipping its folder would ship its neighbours too (a
    stray ``yaml.py`` there would shadow PyYAML on every worker). With ``write=False`` (dry runs)
    the paths are returned and nothing is written.
    """
    out: list[Path] = []
    for module in modules:
        if module.is_dir():
            out.append(module)
            continue
        target = staging / module.stem
        if write:
            target.mkdir(parents=True, exist_ok=True)
            (target / "__init__.py").write_bytes(module.read_bytes())
        out.append(target)
    return out


def link_py_modules(modules: Sequence[Path], staging: Path) -> Path:
    """Make ``staging`` (an empty folder) the one PYTHONPATH entry of a local run's ``modules``;
    return it.

    Each module becomes an entry of ``staging`` under its own import name: ``x.py`` is copied as
    package ``x`` (as :func:`ship_py_modules` does for a job), a package folder is a symbolic link
    to it. The folders that hold them are never put on the path, so their other files (a stray
    ``yaml.py`` beside ``x.py``) cannot shadow a library in verl's workers.
    """
    staging.mkdir(parents=True, exist_ok=True)
    ship_py_modules([m for m in modules if not m.is_dir()], staging)
    for module in modules:
        if module.is_dir():
            (staging / module.name).symlink_to(module, target_is_directory=True)
    return staging


def _check_env_reward_config(path: str, reward_config: dict[str, Any], normalise) -> str:
    """A note when ``$LONGWRITE_REWARD_CONFIG`` agrees with the plan's reward config; else an error.

    The variable reaches verl's workers in a local run, where the reward function would find two
    sources; they must be one config (rl.reward_source), so a difference stops the run here.
    """
    import yaml

    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"$LONGWRITE_REWARD_CONFIG={path}: no such file (unset it, or fix the path)")
    data = yaml.safe_load(file.read_text()) or {}
    if isinstance(data, Mapping) and isinstance(data.get("reward"), Mapping):
        data = data["reward"]
    if not isinstance(data, Mapping):
        raise ValueError(f"$LONGWRITE_REWARD_CONFIG={path}: a reward config is a mapping")
    env_config = normalise(data.get("rewards"), data.get("options"), where=f"$LONGWRITE_REWARD_CONFIG={path}")
    if env_config != reward_config:
        raise ValueError(
            f"the reward config is given twice and the two differ: the preset and overrides give "
            f"{reward_config}, $LONGWRITE_REWARD_CONFIG={path} gives {env_config}; unset the variable "
            "or make them the same"
        )
    return f"$LONGWRITE_REWARD_CONFIG={path} agrees with the preset's reward config"


def _manifest_overrides(data: Path, notes: list[str]) -> dict[str, str]:
    """The verl overrides ``longwrite prepare-rl`` recorded in ``data/manifest.json`` (key -> override).

    ``data.train_files`` / ``data.val_files`` are left to the plan (it points them into ``data``,
    where the manifest lies, even if the folder moved). A missing manifest is noted, not an error
    (the data may be prepared on the cluster).
    """
    import json

    from rl.prepare import NEW_VERL_KEYS

    path = data / "manifest.json"
    if not path.is_file():
        notes.append(f"no {path}: no data-set overrides applied")
        return {}
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")).get("verl_overrides") or {}
    except (json.JSONDecodeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a manifest written by `longwrite prepare-rl` ({exc})") from None
    out: dict[str, str] = {}
    for key, value in recorded.items():
        if key in ("data.train_files", "data.val_files"):
            continue
        plus = "+" if key in NEW_VERL_KEYS else ""
        out[key] = f"{plus}{key}={_hydra_value(value)}"
        shown = value if len(str(value)) <= 60 else f"{str(value)[:57]}..."
        notes.append(f"from {path}: {key}={shown!r}")
    return out


def compose(plan_or_overrides: RunPlan | Sequence[str]):
    """Compose verl's ``ppo_trainer`` config with the overrides, exactly as ``main_ppo`` would.

    Raises ValueError (Hydra's message) on an unknown or misspelled key (verl's tree is strict),
    or (:func:`rl.async_modes.check_async_config`) when an asynchronous mode lacks a setting verl
    requires, and returns the DictConfig.
    Used by tests for every preset, and by ``train --dry-run``.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    overrides = (
        plan_or_overrides.overrides if isinstance(plan_or_overrides, RunPlan) else list(plan_or_overrides)
    )
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        try:
            cfg = hydra_compose(config_name="ppo_trainer", overrides=list(overrides))
        except (HydraException, OmegaConfBaseException) as exc:
            # A misspelled or malformed override is bad input: a ValueError (one line in the CLI).
            raise ValueError(f"verl config: {exc}") from exc
    if cfg.trainer.v1.trainer_mode in ASYNC_MODES:
        check_async_config(cfg, cfg.trainer.v1.trainer_mode)
    return cfg


def check_reward_config(plan: RunPlan) -> None:
    """Fail before a run starts when a reward option of the plan (preset plus overrides) still
    holds its ``REQUIRED: ...`` placeholder (the learned-RM path and server of the GPU presets, the
    judge URL of ``tiny-cpu-pairwise``), or when a built-in reward's required option (one with no
    default, e.g. a pairwise judge's ``base_url`` / ``model``) was set empty (``null``, ``""``).
    The error names the override to give. Names and options were validated when the plan was built."""
    # The plan's reward config (plan.extra["rewards"], the one verl receives): checked as data, so a
    # user's dotted-path reward is imported only by the import check in a fresh process.
    from rewards.base import REQUIRED, get_reward
    from rl.reward_source import _is_path

    config = plan.extra.get("rewards") or {}
    all_options = config.get("options") or {}
    for name, options in sorted(all_options.items()):
        for key, value in sorted((options or {}).items()):
            if isinstance(value, str) and value.startswith("REQUIRED"):
                raise ValueError(
                    f"preset {plan.preset}: reward option {name}.{key} is not set ({value}); "
                    f"give it as reward_options.{name}.{key}=..."
                )
    for name in sorted(config.get("rewards") or {}):
        if _is_path(name):
            continue
        defaults = get_reward(name).defaults or {}
        for key in sorted(k for k, v in defaults.items() if v is REQUIRED):
            value = (all_options.get(name) or {}).get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise ValueError(
                    f"preset {plan.preset}: reward option {name}.{key} is empty ({value!r}); "
                    f"give it as reward_options.{name}.{key}=..."
                )
