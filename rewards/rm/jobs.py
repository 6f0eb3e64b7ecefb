"""RM presets as Ray jobs: the entrypoint command and the GPUs it holds (``rl.jobs`` runs it).

Only a plain command line is built here (``rewards`` never imports ``rl``); ``longwrite submit
--rm`` (``longwrite/submit_cli.py``) hands it to ``rl.jobs.submit_job``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

__all__ = ["rm_preset_gpus", "rm_job_entrypoint"]


def rm_preset_gpus(preset: str, overrides: Sequence[str] = ()) -> int:
    """GPUs an RM job's entrypoint must hold: the preset's ``launch.nproc_per_node`` (one
    torchrun process per GPU). The preset is composed and checked here, so a bad key fails
    before anything is submitted."""
    from rewards.rm.train import compose_rm_preset

    cfg = compose_rm_preset(preset, overrides)
    return int((cfg.get("launch") or {}).get("nproc_per_node", 1))


def rm_job_entrypoint(
    preset: str, overrides: Sequence[str] = (), python: str = "python", nproc_per_node: int | None = None
) -> str:
    """The shell command of an RM job: ``longwrite rm train`` for an RM preset (torchrun inside
    when the preset asks for several processes); runs on the node that takes the job."""
    argv = [python, "-m", "longwrite.cli", "rm", "train", "--preset", preset]
    if nproc_per_node:
        argv.append(f"--nproc-per-node={nproc_per_node}")
    return shlex.join([*argv, *overrides])
