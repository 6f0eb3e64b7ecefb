"""DPO presets as Ray jobs: the entrypoint command and the GPUs it holds (``rl.jobs`` runs it).

Only a command line is built here; ``longwrite submit --dpo`` (``longwrite/submit_cli.py``) hands
it to ``rl.jobs.submit_job``, the same one-node torchrun job the SFT and RM presets use.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

__all__ = ["dpo_preset_gpus", "dpo_job_entrypoint"]


def dpo_preset_gpus(preset: str, overrides: Sequence[str] = ()) -> int:
    """GPUs a DPO job's entrypoint must hold: the preset's ``launch.nproc_per_node`` (one torchrun
    process per GPU). The preset is composed and checked here - an unknown key or a value left
    ``UNPUBLISHED`` fails before anything is submitted."""
    from sft_baseline.dpo import check_runnable, compose_dpo_preset

    cfg = compose_dpo_preset(preset, overrides)
    check_runnable(cfg)
    return int((cfg.get("launch") or {}).get("nproc_per_node", 1))


def dpo_job_entrypoint(
    preset: str, overrides: Sequence[str] = (), python: str = "python", nproc_per_node: int | None = None
) -> str:
    """The shell command of a DPO job: ``longwrite dpo`` for a DPO preset (torchrun inside when the
    preset asks for several processes); runs on the node that takes the job."""
    argv = [python, "-m", "longwrite.cli", "dpo", "--preset", preset]
    if nproc_per_node:
        argv.append(f"--nproc-per-node={nproc_per_node}")
    return shlex.join([*argv, *overrides])
