"""Presets -> verl overrides -> a run: locally (``train``) or as a Ray job (``submit``).

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

:func:`train` runs ``python -m verl.trainer.main_ppo`` (verl's own entry point) in a child
process group with a hard timeout; :func:`submit` ships this project to a Ray cluster through the
job submission API and follows the job's logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
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


def _check_data(plan: RunPlan) -> None:
    for override in plan.overrides:
        key, value = _key_of(override), override.split("=", 1)[1]
        if (
            key in ("data.train_files", "data.val_files")
            and value.startswith("/")
            and not Path(value).exists()
        ):
            raise FileNotFoundError(
                f"{key}: {value} does not exist; run `longwrite prepare-rl --prompts FILE --out "
                f"{Path(value).parent}` first (or pass {key}=PATH)"
            )


@dataclass
class TrainResult:
    """What a local run left behind."""

    returncode: int
    seconds: float
    output_dir: Path
    checkpoint_dir: Path
    metrics_file: Path
    log_file: Path

    @property
    def ok(self) -> bool:
        """True when verl exited 0."""
        return self.returncode == 0


def train(
    plan: RunPlan,
    *,
    timeout_s: float = 3600.0,
    log_file: str | os.PathLike | None = None,
    echo: bool = True,
) -> TrainResult:
    """Run verl's trainer for ``plan`` on a local Ray (started and stopped by verl's driver).

    The driver and everything it starts run in a new process group that is killed after
    ``timeout_s`` seconds, so a hang (e.g. TransferQueue waiting for CPUs Ray does not have) can
    never outlive the call. Output is written to ``log_file`` (default
    ``<output_dir>/logs/train-<time>.log``) and echoed when ``echo``.
    """
    _check_data(plan)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    plan.metrics_dir.mkdir(parents=True, exist_ok=True)
    metrics_file = plan.metrics_dir / f"metrics-{stamp}.jsonl"
    log_path = Path(log_file) if log_file else plan.output_dir / "logs" / f"train-{stamp}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(plan.env)
    env["VERL_FILE_LOGGER_PATH"] = str(metrics_file)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("RAY_DEDUP_LOGS", "0")
    start = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + shlex.join(plan.command()) + "\n")
        log.flush()
        proc = subprocess.Popen(
            plan.command(),
            cwd=str(plan.output_dir if plan.output_dir.exists() else PROJECT_ROOT),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        assert proc.stdout is not None

        def pump() -> None:  # a thread, so the timeout below never waits on a silent pipe
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if echo:
                    sys.stdout.write(line)
                    sys.stdout.flush()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            rc = 124
            log.write(f"\n[longwrite] timeout after {timeout_s:.0f} s: killed the run\n")
        except BaseException:
            _kill_group(proc)
            raise
        finally:
            reader.join(timeout=30)
    return TrainResult(
        returncode=int(rc if rc is not None else 1),
        seconds=time.monotonic() - start,
        output_dir=plan.output_dir,
        checkpoint_dir=plan.checkpoint_dir,
        metrics_file=metrics_file,
        log_file=log_path,
    )


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGTERM the run's process group, then SIGKILL what is left after 15 s."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --------------------------------------------------------------------------------------------
# Metrics read-back
# --------------------------------------------------------------------------------------------


def read_metrics(output_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Every logged step of every launch under ``output_dir/metrics`` (oldest first).

    verl's file logger writes one ``{"step": n, "data": {...}}`` line per step; each launch gets
    its own file, so a resumed run does not overwrite the steps before it.
    """
    rows = []
    for path in sorted((Path(output_dir) / "metrics").glob("metrics-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                rows.append({"step": row.get("step"), **row.get("data", {}), "_file": path.name})
    return rows


def latest_checkpoint_step(checkpoint_dir: str | os.PathLike) -> int | None:
    """The step in verl's ``latest_checkpointed_iteration.txt`` (None if there is none)."""
    tracker = Path(checkpoint_dir) / "latest_checkpointed_iteration.txt"
    if not tracker.is_file():
        return None
    return int(tracker.read_text().strip())


# --------------------------------------------------------------------------------------------
# Ray job submission
# --------------------------------------------------------------------------------------------


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


def job_runtime_env(plan: RunPlan, working_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """The ``runtime_env`` of a GRPO job: the project plus the plugin variables of ``plan``.

    ``VERL_USE_EXTERNAL_MODULES=rl.trainer`` resolves on the cluster because the project is on
    every worker's ``sys.path`` (:func:`project_runtime_env`).
    """
    metrics = plan.metrics_dir / f"metrics-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
    return project_runtime_env({**plan.env, "VERL_FILE_LOGGER_PATH": str(metrics)}, working_dir)


def job_entrypoint(plan: RunPlan, python: str = "python") -> str:
    """The shell command a Ray job runs: verl's entry point with every override, quoted."""
    return shlex.join(plan.command(python))


def sft_preset_gpus(preset: str) -> int:
    """Processes per node (one per GPU) an SFT preset launches: its ``launch.nproc_per_node``.

    Read from the YAML itself (``configs/sft/NAME.yaml`` or a path): ``rl`` never imports
    ``sft_baseline``. An unknown preset is an error naming the shipped ones.
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

    Only a command line is built here (``rl`` never imports ``sft_baseline``); the job composes
    and checks the preset itself, so a bad key fails at the job's start. The job runs torchrun on
    the node that takes it: one node, ``nproc_per_node`` processes.
    """
    argv = [python, "-m", "longwrite.cli", "sft", "--preset", preset]
    if nproc_per_node:
        argv.append(f"--nproc-per-node={nproc_per_node}")
    return shlex.join([*argv, *overrides])


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
