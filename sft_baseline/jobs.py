"""SFT presets as Ray jobs: the entrypoint command and the GPUs it must hold (``rl.jobs`` runs it)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def sft_preset_gpus(preset: str) -> int:
    """Processes per node (one per GPU) an SFT preset launches: its ``launch.nproc_per_node``.

    Read from the YAML itself (``configs/sft/NAME.yaml`` or a path). An unknown preset is an
    error naming the shipped ones.
    """
    import yaml

    path = Path(preset)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = PROJECT_ROOT / "configs" / "sft" / f"{preset}.yaml"
    if not path.exists():
        names = ", ".join(sorted(p.stem for p in (PROJECT_ROOT / "configs" / "sft").glob("*.yaml")))
        raise ValueError(f"unknown SFT preset {preset!r}; choose one of {names} or a yaml path")
    launch = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("launch") or {}
    return int(launch.get("nproc_per_node", 1))


def sft_job_entrypoint(
    preset: str, overrides: Sequence[str] = (), python: str = "python", nproc_per_node: int | None = None
) -> str:
    """The shell command of an SFT job: ``longwrite sft`` for an SFT preset (``configs/sft/``).

    Only a command line is built here; the job composes and checks the preset itself, so a bad
    key fails at the job's start. The job runs torchrun on
    the node that takes it: one node, ``nproc_per_node`` processes.
    """
    argv = [python, "-m", "longwrite.cli", "sft", "--preset", preset]
    if nproc_per_node:
        argv.append(f"--nproc-per-node={nproc_per_node}")
    return shlex.join([*argv, *overrides])
