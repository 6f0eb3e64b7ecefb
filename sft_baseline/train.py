"""SFT presets for verl's SFT trainer, and the launcher behind ``longwrite sft``.

A preset (``configs/sft/<name>.yaml``) has three parts: ``description``; ``launch`` (processes per
node and the environment every process needs, e.g. the CPU platform plugin named through
``VERL_USE_EXTERNAL_MODULES`` - verl imports it itself, so this package never imports ``rl``);
and ``verl``, a partial config of verl's SFT trainer (``verl/trainer/config/sft_trainer_engine.yaml``).

:func:`compose_sft_config` composes verl's own config tree with hydra, merges the preset into it
and then the user's ``key=value`` overrides, all in struct mode: a key verl does not know fails
(write ``+key=value`` to add one on purpose), exactly as on verl's own command line.
:func:`launch` runs ``torchrun ... -m sft_baseline.verl_sft`` which composes the same config in
each process and calls verl's ``run_sft``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rollout.jsonl import read_jsonl

__all__ = [
    "PRESET_DIR",
    "list_presets",
    "load_preset",
    "compose_sft_config",
    "validate_sft_config",
    "launch_command",
    "launch",
    "read_metrics",
]

PRESET_DIR = Path(__file__).resolve().parents[1] / "configs" / "sft"


def list_presets() -> list[str]:
    """Names of the shipped SFT presets (``configs/sft/*.yaml``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_preset(name: str | Path) -> dict[str, Any]:
    """A preset by name (``configs/sft/NAME.yaml``) or by path, as a dict with ``verl``/``launch``."""
    import yaml

    path = Path(name)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = PRESET_DIR / f"{name}.yaml"
    if not path.exists():
        raise ValueError(
            f"unknown SFT preset {str(name)!r}; choose one of {', '.join(list_presets())} or a yaml path"
        )
    preset = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(preset.get("verl"), dict):
        raise ValueError(f"{path}: a preset needs a 'verl' mapping (verl SFT config keys)")
    preset.setdefault("launch", {})
    preset["_path"] = str(path)
    return preset


def _verl_config_dir() -> str:
    import verl.trainer

    return str(Path(verl.trainer.__file__).parent / "config")


def _merge_strict(cfg, values: Mapping[str, Any], where: str) -> None:
    """Merge ``values`` into struct-mode ``cfg``; a key unknown to verl fails unless written ``+key``."""
    from omegaconf import DictConfig, OmegaConf, open_dict

    for raw_key, value in values.items():
        add = raw_key.startswith("+")
        key = raw_key.lstrip("+")
        dotted = f"{where}.{key}" if where else key
        if key not in cfg:
            if not add:
                raise ValueError(
                    f"unknown verl SFT config key {dotted!r} (write '+{dotted}' to add a new key)"
                )
            with open_dict(cfg):
                cfg[key] = value
            continue
        if isinstance(value, Mapping) and isinstance(cfg[key], DictConfig):
            _merge_strict(cfg[key], value, dotted)
        else:
            OmegaConf.update(cfg, key, value, merge=False)


def _parse_override(text: str) -> tuple[str, Any]:
    """(key, value) of a command-line override, parsed by hydra's own grammar (as verl's CLI does).

    The key keeps a leading ``+`` (a new key); values are typed the hydra way (``2e-4`` a float,
    ``[a,b]`` a list, ``null`` None).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import OverrideType
    from hydra.errors import HydraException

    try:
        (ov,) = OverridesParser.create().parse_overrides([text])
    except HydraException as exc:
        raise ValueError(f"bad override {text!r}: {exc}") from None
    if ov.type not in (OverrideType.CHANGE, OverrideType.ADD):
        raise ValueError(f"override {text!r}: only key=value and +key=value are supported")
    value = ov.value()
    if hasattr(value, "__iter__") and not isinstance(value, str | dict):
        value = list(value)
    return ("+" if ov.type == OverrideType.ADD else "") + ov.key_or_group, value


def _nest(dotted: str, value: Any) -> dict:
    add = dotted.startswith("+")
    parts = dotted.lstrip("+").split(".")
    out: Any = value
    for i, p in enumerate(reversed(parts)):
        # The '+' marks the deepest key, the only one that may be new.
        out = {("+" if add and i == 0 else "") + p: out}
    return out


def compose_sft_config(preset: Mapping[str, Any] | str | Path, overrides: Sequence[str] = ()):
    """verl's SFT config with ``preset`` and then ``overrides`` (``key=value``) merged in, strictly.

    Resolves ``model.path: tiny`` to the cached tiny test model. Raises ValueError on a key verl's
    tree does not have (unless written ``+key``) or a value of the wrong type.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    if not isinstance(preset, Mapping):
        preset = load_preset(preset)
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=_verl_config_dir(), version_base=None):
        cfg = compose(config_name="sft_trainer_engine")
    OmegaConf.set_struct(cfg, True)
    try:
        _merge_strict(cfg, preset["verl"], "")
        for text in overrides:
            key, value = _parse_override(text)
            _merge_strict(cfg, _nest(key, value), "")
    except OmegaConfBaseException as exc:
        raise ValueError(f"bad SFT config value: {exc}") from None
    if cfg.model.path == "tiny":
        from rollout.tiny import tiny_model_path

        cfg.model.path = str(tiny_model_path(seed=0))
    return cfg


def validate_sft_config(cfg) -> None:
    """Build verl's typed configs (optimizer, engine, checkpoint) from ``cfg``; ValueError if one fails.

    Catches wrong types and values verl checks itself (e.g. an unknown engine strategy) without
    loading the model; the model section is checked when the trainer loads it.
    """
    from verl.utils.config import omega_conf_to_dataclass

    for section in ("optim", "engine", "checkpoint"):
        try:
            omega_conf_to_dataclass(cfg[section])
        except Exception as exc:  # verl raises assertion, type and value errors alike
            raise ValueError(f"verl rejects the SFT config's {section!r} section: {exc}") from None


def launch_command(
    preset: str | Path, overrides: Sequence[str] = (), nproc_per_node: int | None = None
) -> tuple[list[str], dict[str, str]]:
    """(argv, extra environment) of the torchrun launch of ``preset`` with ``overrides``."""
    p = load_preset(preset)
    nproc = nproc_per_node or int(p["launch"].get("nproc_per_node", 1))
    argv = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
        "-m", "sft_baseline.verl_sft", "--preset", p["_path"], *overrides,
    ]  # fmt: skip
    env = {str(k): str(v) for k, v in (p["launch"].get("env") or {}).items()}
    return argv, env


def launch(
    preset: str | Path,
    overrides: Sequence[str] = (),
    *,
    nproc_per_node: int | None = None,
    timeout: float | None = None,
) -> Path:
    """Run verl's SFT trainer for ``preset``; return the run folder (``trainer.default_local_dir``).

    The config is composed here first, so a bad key fails before any process starts. Metrics go
    to ``<run folder>/metrics.jsonl`` (verl's file logger) as well as to the preset's loggers.
    """
    cfg = compose_sft_config(load_preset(preset), overrides)
    validate_sft_config(cfg)
    for key in ("train_files", "val_files"):
        files = cfg.data[key]
        for f in [files] if isinstance(files, str) else list(files or []):
            if not Path(f).exists():
                raise FileNotFoundError(
                    f"data.{key}: {f} does not exist (make it with `longwrite prepare-sft`)"
                )
    from rl.local_run import VERL_WARNING_FILTERS

    run_dir = Path(cfg.trainer.default_local_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    argv, env = launch_command(preset, overrides, nproc_per_node)
    loggers = list(cfg.trainer.logger)
    if "file" not in loggers:
        argv.append(f"trainer.logger={json.dumps([*loggers, 'file'])}")
    full_env = {
        **os.environ,
        **env,
        "VERL_FILE_LOGGER_PATH": str(run_dir / "metrics.jsonl"),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PRESET_DIR.parents[1]), os.environ.get("PYTHONPATH")])
        ),
        # verl's import-time warnings about training engines we do not use (rl.local_run)
        "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), *VERL_WARNING_FILTERS])),
    }
    subprocess.run(argv, env=full_env, check=True, timeout=timeout)
    return run_dir


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The per-step metrics verl's file logger wrote: ``[{"step": n, "data": {...}}, ...]``.

    A run killed mid-step can leave a torn last line: it is skipped with a warning."""
    return read_jsonl(Path(run_dir) / "metrics.jsonl").values()
