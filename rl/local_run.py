"""Run a :class:`rl.presets.RunPlan` on this machine: verl's own entry point in a child process group.

:func:`train` runs ``python -m verl.trainer.main_ppo`` with a hard timeout (a hang, e.g.
TransferQueue waiting for CPUs Ray does not have, never outlives the call), writes a log per
launch and points verl's file logger at a fresh ``metrics-<time>.jsonl``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rl.presets import PROJECT_ROOT, RunPlan, _key_of, link_py_modules


def _check_data(plan: RunPlan) -> None:
    for override in plan.overrides:
        key, value = _key_of(override), override.split("=", 1)[1]
        if (
            key in ("data.train_files", "data.val_files")
            and value.startswith("/")
            and not Path(value).exists()
        ):
            raise FileNotFoundError(
                f"{key}: {value} does not exist; run `longwrite prepare-rl --preset {plan.preset} "
                f"--prompts FILE --out {Path(value).parent}` first (or pass {key}=PATH)"
            )


@contextlib.contextmanager
def staged_pythonpath(plan: RunPlan) -> Iterator[list[str]]:
    """The folders to put on PYTHONPATH so the plan's ``py_modules`` import by their own name.

    Yields ``[]`` without py_modules; else one temporary folder holding only those modules
    (:func:`rl.presets.link_py_modules`: ``x.py`` copied as package ``x``, a package folder
    linked), removed on exit. The folder that holds ``x.py`` is never on the path, so a stray
    ``yaml.py`` beside it cannot shadow PyYAML in the reward check or in verl's workers.
    """
    if not plan.py_modules:
        yield []
        return
    with tempfile.TemporaryDirectory(prefix="longwrite-py-modules-") as tmp:
        yield [str(link_py_modules(plan.py_modules, Path(tmp) / "py_modules"))]


def run_environment(plan: RunPlan, pythonpath: list[str]) -> dict[str, str]:
    """This process's environment plus the plan's variables, with PYTHONPATH = the project, then
    ``pythonpath`` (:func:`staged_pythonpath`), then the caller's PYTHONPATH: what verl and the
    reward check run with."""
    env = dict(os.environ)
    env.update(plan.env)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), *pythonpath, env.get("PYTHONPATH", "")) if p
    )
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.setdefault("RAY_DEDUP_LOGS", "0")
    # verl's "engine is not available" import warnings, narrowly (VERL_WARNING_FILTERS).
    env["PYTHONWARNINGS"] = ",".join(p for p in (env.get("PYTHONWARNINGS", ""), *VERL_WARNING_FILTERS) if p)
    return env


def check_plan(plan: RunPlan, *, local_data: bool = True) -> str:
    """Every check a run makes before it starts, writing nothing: what ``--dry-run`` runs.

    Required reward options set (:func:`rl.presets.check_reward_config`), verl's config composes
    with the overrides (:func:`rl.presets.compose`: an unknown key fails), with ``local_data``
    the train/val files exist (a Ray job's data lies on the cluster), and the reward config builds
    in a fresh process with the run's PYTHONPATH (:func:`check_rewards`: every user reward module
    imported, every option checked). Returns the reward check's report; raises ValueError /
    FileNotFoundError with the reason otherwise.
    """
    from rl.presets import check_reward_config, compose

    check_reward_config(plan)
    if local_data:
        _check_data(plan)
    compose(plan)
    with staged_pythonpath(plan) as pythonpath:
        return check_rewards(plan, run_environment(plan, pythonpath))


def check_rewards(plan: RunPlan, env: dict[str, str]) -> str:
    """Build the plan's reward config in a fresh Python with the run's environment, before verl.

    Every dotted-path reward is imported and every option checked exactly as verl's workers will
    (same PYTHONPATH, same ``LONGWRITE_REWARD_CONFIG``), so an unimportable user module stops the
    run at once with its name instead of failing the first reward batch minutes later. Returns
    the check's one-line report; raises ValueError with the reason otherwise.
    """
    from rl.reward_source import check_command

    proc = subprocess.run(
        check_command(plan.reward_config, sys.executable),
        cwd=str(PROJECT_ROOT),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or [f"exit {proc.returncode}"]
        raise ValueError(lines[-1].removeprefix("longwrite: "))
    return proc.stdout.strip()


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
    progress: bool = False,
) -> TrainResult:
    """Run verl's trainer for ``plan`` on a local Ray (started and stopped by verl's driver).

    The driver and everything it starts run in a new process group that is killed after
    ``timeout_s`` seconds, so a hang (e.g. TransferQueue waiting for CPUs Ray does not have) can
    never outlive the call. Before verl starts, the reward config is built in a fresh process
    (:func:`check_rewards`: an unimportable user reward is a ValueError naming its module); the
    plan's ``py_modules`` alone go on PYTHONPATH (:func:`staged_pythonpath`). Output is written to
    ``log_file`` (default ``<output_dir>/logs/train-<time>.log``) and echoed when ``echo``; with ``progress`` (and no
    echo) one short line per finished step is printed instead (:func:`step_line`).
    """
    _check_data(plan)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    metrics_file = plan.metrics_dir / f"metrics-{stamp}.jsonl"
    log_path = Path(log_file) if log_file else plan.output_dir / "logs" / f"train-{stamp}.log"
    with staged_pythonpath(plan) as pythonpath:
        env = run_environment(plan, pythonpath)
        env["VERL_FILE_LOGGER_PATH"] = str(metrics_file)
        print(f"longwrite train: {check_rewards(plan, env)}", flush=True)
        return _run(plan, env, timeout_s, log_path, metrics_file, echo, progress)


def _run(
    plan: RunPlan,
    env: dict[str, str],
    timeout_s: float,
    log_path: Path,
    metrics_file: Path,
    echo: bool,
    progress: bool,
) -> TrainResult:
    """Start verl's entry point with ``env`` and wait for it (see :func:`train`)."""
    plan.metrics_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    total = plan_steps(plan)
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
                elif progress and (short := step_line(line, total, time.monotonic() - start)):
                    print(short, flush=True)

        if progress and not echo:
            print(f"  verl started ({total or '?'} steps); its full output: {log_path}", flush=True)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            rc = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            rc = 124
            log.write(f"\n[longwrite] timeout after {timeout_s:.0f} s: killed the run\n")
            if progress and not echo:
                print(f"  verl timed out after {timeout_s:.0f} s: killed; log: {log_path}", flush=True)
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


def print_tail(log: str | os.PathLike, lines: int = 25) -> None:
    """Print the last ``lines`` lines of a run's log to stderr: what a failed stage left, shown
    when its output went to the log file only."""
    try:
        text = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        print(f"(cannot read {log}: {exc})", file=sys.stderr)
        return
    print(f"--- last {min(lines, len(text))} lines of {log} ---", file=sys.stderr)
    print("\n".join(text[-lines:]), file=sys.stderr)
    print("---", file=sys.stderr, flush=True)


#: PYTHONWARNINGS entries for verl's children: verl/workers/engine/__init__.py warns at import
#: about each optional training engine it cannot load (torchtitan, veomni, automodel, mindspeed,
#: megatron); we train with FSDP, so nothing there is for a user to act on. Narrow: these
#: messages, from that module only.
VERL_WARNING_FILTERS: tuple[str, ...] = tuple(
    f"ignore:{name} engine is not available:UserWarning:verl.workers.engine"
    for name in ("torchtitan", "veomni", "automodel", "mindspeed", "megatron")
)


def filter_verl_warnings() -> None:
    """Apply :data:`VERL_WARNING_FILTERS` in this process (entry points that import verl)."""
    import warnings

    for spec in VERL_WARNING_FILTERS:
        _, message, _, module = spec.split(":")
        warnings.filterwarnings(
            "ignore", message=re.escape(message), category=UserWarning, module=re.escape(module) + r"\Z"
        )


_STEP_LINE = re.compile(r"(?:^|\s)step:(\d+) - ")
_PROGRESS_KEYS = (
    ("longwriter/reward/score/mean", "score {:.3f}"),
    ("longwriter/length/answer/mean", "answer {:.0f}"),
    ("timing_s/step", "{:.0f} s"),
)


def plan_steps(plan: RunPlan) -> int | None:
    """The plan's ``trainer.total_training_steps`` (the last override wins), None when unset."""
    steps = None
    for override in plan.overrides:
        if _key_of(override) == "trainer.total_training_steps":
            value = override.split("=", 1)[1]
            steps = int(value) if value.isdigit() else None
    return steps


def step_line(line: str, total: int | None = None, elapsed: float | None = None) -> str | None:
    """A one-line summary of verl's console metrics line for a finished step, else None.

    verl's console logger prints ``step:N - key:value - key:value ...``; the summary keeps the
    step (``N/total`` when ``total`` is known), the weighted reward, the mean answer length
    (words / Chinese characters), the step's seconds and the run's ``elapsed`` seconds, for
    progress output that does not flood the terminal.
    """
    m = _STEP_LINE.search(line)
    if not m:
        return None
    fields = dict(kv.split(":", 1) for kv in line[m.end() :].split(" - ") if ":" in kv)
    parts = [f"  step {m.group(1)}" + (f"/{total}" if total else "")]
    for key, fmt in _PROGRESS_KEYS:
        try:
            parts.append(fmt.format(float(fields[key].strip())))
        except (KeyError, ValueError):
            continue
    if elapsed is not None:
        parts.append(f"elapsed {elapsed / 60:.1f} min")
    return ", ".join(parts)


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
