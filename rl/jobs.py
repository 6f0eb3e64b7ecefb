"""Ray jobs: ship this project to a cluster and run one command there (GRPO, SFT or RM training).

:func:`submit_job` is the one job runner (submission, log following, timeout, final status);
:func:`submit` builds a GRPO job from a :class:`rl.presets.RunPlan`. SFT and reward-model jobs
build their own entrypoint and call :func:`submit_job` with :func:`project_runtime_env`.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rl.presets import PROJECT_ROOT, RunPlan, ship_py_modules

#: Paths a Ray job never needs (and that can be gigabytes): left out of the shipped working_dir.
RUNTIME_ENV_EXCLUDES: tuple[str, ...] = (
    ".venv",
    "outputs",
    ".git",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".ruff_cache",
    "checkpoints",
    "*.parquet",
)


def project_runtime_env(
    env_vars: dict[str, str] | None = None, working_dir: str | os.PathLike | None = None
) -> dict[str, Any]:
    """A Ray ``runtime_env`` that ships this project (``working_dir``, default its root) to the job.

    ``.venv``, ``outputs``, ``.git`` and data files (:data:`RUNTIME_ENV_EXCLUDES`) stay behind; Ray
    puts the upload on every worker's ``sys.path``, so our packages import on the cluster.
    """
    env = dict(env_vars or {})
    env.setdefault("PYTHONUNBUFFERED", "1")
    return {
        "working_dir": str(Path(working_dir or PROJECT_ROOT).resolve()),
        "excludes": list(RUNTIME_ENV_EXCLUDES),
        "env_vars": env,
    }


def job_runtime_env(
    plan: RunPlan, working_dir: str | os.PathLike | None = None, *, write: bool = True
) -> dict[str, Any]:
    """The ``runtime_env`` of a GRPO job: the project plus the plugin variables of ``plan``.

    The plan's ``py_modules`` (a user reward's module file or package folder, ``--py-module``)
    become Ray's ``py_modules``: uploaded with the job and importable by their own name in the
    entrypoint and every worker (a single file is staged as a package in ``<run>/py_modules/``,
    see :func:`rl.presets.ship_py_modules`; ``write=False``, for dry runs, only names the paths).

    ``VERL_USE_EXTERNAL_MODULES=rl.trainer`` resolves on the cluster because the project is on
    every worker's ``sys.path`` (:func:`project_runtime_env`).
    """
    metrics = plan.metrics_dir / f"metrics-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    env = project_runtime_env({**plan.env, "VERL_FILE_LOGGER_PATH": str(metrics)}, working_dir)
    if plan.py_modules:
        shipped = ship_py_modules(plan.py_modules, plan.output_dir / "py_modules", write=write)
        env["py_modules"] = [str(m) for m in shipped]
    return env


def job_entrypoint(plan: RunPlan, python: str = "python") -> str:
    """The shell command a Ray job runs: the reward check, then verl's entry point, quoted.

    ``python -m rl.reward_source check`` builds the reward config on the cluster first (with the
    job's runtime_env: the project and its ``py_modules``), so a user reward module the cluster
    cannot import fails the job at start with the module's name, before verl starts a worker.
    """
    from rl.reward_source import check_command

    return shlex.join(check_command(plan.reward_config, python)) + " && " + shlex.join(plan.command(python))


@dataclass
class JobResult:
    """A submitted job: its id, final status (None with ``wait=False``) and the plan it ran."""

    job_id: str
    status: str | None
    seconds: float
    output_dir: Path
    logs: str = ""

    @property
    def ok(self) -> bool:
        """True when the job ended SUCCEEDED."""
        return self.status == "SUCCEEDED"


def submit(
    plan: RunPlan,
    address: str,
    *,
    wait: bool = True,
    timeout_s: float = 3600.0,
    python: str = "python",
    working_dir: str | os.PathLike | None = None,
    echo: bool = True,
    poll_s: float = 2.0,
) -> JobResult:
    """Submit the GRPO run ``plan`` to the Ray cluster at ``address`` (``http://HOST:8265``).

    See :func:`submit_job` for ``wait``, ``timeout_s`` and log following; ``python`` is the
    interpreter on the cluster nodes.
    """
    plan.metrics_dir.mkdir(parents=True, exist_ok=True)
    return submit_job(
        job_entrypoint(plan, python),
        address,
        runtime_env=job_runtime_env(plan, working_dir),
        metadata={"preset": plan.preset, "output_dir": str(plan.output_dir)},
        output_dir=plan.output_dir,
        wait=wait,
        timeout_s=timeout_s,
        echo=echo,
        poll_s=poll_s,
    )


def submit_job(
    entrypoint: str,
    address: str,
    *,
    runtime_env: dict[str, Any],
    output_dir: Path,
    metadata: dict[str, str] | None = None,
    entrypoint_num_gpus: float | None = None,
    wait: bool = True,
    timeout_s: float = 3600.0,
    echo: bool = True,
    poll_s: float = 2.0,
) -> JobResult:
    """Submit ``entrypoint`` as a Ray job at ``address`` and follow its logs.

    ``entrypoint_num_gpus`` reserves GPUs for the entrypoint process itself (jobs that train in
    the driver, like torchrun SFT); Ray then schedules it on a GPU node and sets its visible
    devices. With ``wait``, log lines are echoed as they arrive until the job ends (or
    ``timeout_s`` seconds pass, when the job is stopped); otherwise the job id is returned at once.
    """
    from ray.job_submission import JobStatus, JobSubmissionClient

    client = JobSubmissionClient(address)
    start = time.monotonic()
    extra = {"entrypoint_num_gpus": entrypoint_num_gpus} if entrypoint_num_gpus else {}
    job_id = client.submit_job(
        entrypoint=entrypoint, runtime_env=runtime_env, metadata=metadata or {}, **extra
    )
    if echo:
        print(f"submitted job {job_id} to {address}; outputs: {output_dir}")
    if not wait:
        return JobResult(job_id, None, time.monotonic() - start, output_dir)
    terminal = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED}
    seen = 0
    status = client.get_job_status(job_id)
    while True:
        logs = client.get_job_logs(job_id)
        if echo and len(logs) > seen:
            sys.stdout.write(logs[seen:])
            sys.stdout.flush()
        seen = len(logs)
        status = client.get_job_status(job_id)
        if status in terminal:
            logs = client.get_job_logs(job_id)
            if echo and len(logs) > seen:
                sys.stdout.write(logs[seen:])
            break
        if time.monotonic() - start > timeout_s:
            client.stop_job(job_id)
            if echo:
                print(f"\n[longwrite] job {job_id} stopped after {timeout_s:.0f} s")
            status = JobStatus.STOPPED
            break
        time.sleep(poll_s)
    return JobResult(
        job_id,
        str(status.value if hasattr(status, "value") else status),
        time.monotonic() - start,
        output_dir,
        logs,
    )
