"""verl checkpoints -> Hugging Face model folders, through verl's own model merger.

A verl run saves FSDP shards, not a model vLLM or transformers can load:

* GRPO (``longwrite train``): ``<run>/checkpoints/global_step_N/actor/`` holds
  ``model_world_size_W_rank_R.pt`` for every rank R < W, ``fsdp_config.json`` (W) and
  ``huggingface/`` (config, tokenizer, chat template); ``checkpoints/`` also holds verl's
  ``latest_checkpointed_iteration.txt``.
* SFT (``longwrite sft``): the same files directly in ``<default_local_dir>/global_step_N/``.

:func:`find_checkpoint` turns a step folder, a run folder or a checkpoints folder into the step to
export (verl's tracker file, else the highest complete step) and names what is missing in a
half-written one. :func:`export_checkpoint` runs ``python -m verl.model_merger merge --backend
fsdp`` into a temporary folder and renames it into place (default: ``global_step_N/hf_export/``),
so a killed export never leaves a folder that looks complete; a second call reuses it.
:func:`resolve_model` is what ``generate``, ``serve`` and ``eval`` call on their ``--model``.

verl's merger writes the weights in bfloat16 (its choice, whatever the training dtype).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rollout.errors import ToolError
from rollout.model_ref import check_model

__all__ = [
    "CheckpointError",
    "EXPORT_DIRNAME",
    "find_checkpoint",
    "checkpoint_problems",
    "export_checkpoint",
    "resolve_model",
]

log = logging.getLogger(__name__)

STEP_RE = re.compile(r"^global_step_(\d+)$")
TRACKER = "latest_checkpointed_iteration.txt"
EXPORT_DIRNAME = "hf_export"
MARKER = "longwrite_export.json"  # written last into a finished export; its fingerprint is checked
EXPORT_LOG = "longwrite_export.log"
#: Beside the target of an export whose merge failed: the merger's full log (removed by a later success).
FAILED_LOG_SUFFIX = ".merger-failed.log"


class CheckpointError(ValueError):
    """A path that is not a usable verl checkpoint (none there, or a half-written step)."""


def _model_dir(step: Path) -> Path:
    """Where a step's FSDP shards live: ``actor/`` for GRPO runs, the step itself for SFT."""
    return step / "actor" if (step / "actor").is_dir() else step


def _is_step_like(path: Path) -> bool:
    return bool(STEP_RE.match(path.name)) or (path / "actor").is_dir() or (path / "fsdp_config.json").exists()


def checkpoint_problems(step: str | os.PathLike) -> list[str]:
    """What a ``global_step_N`` folder lacks for an export (empty list: complete).

    Checks ``fsdp_config.json`` (with its ``world_size`` W), one model shard per rank below W,
    and ``huggingface/`` with a config and a tokenizer.
    """
    md = _model_dir(Path(step))
    problems: list[str] = []
    cfg = md / "fsdp_config.json"
    world_size = None
    if not cfg.is_file():
        problems.append(f"{cfg} (written last by verl's checkpoint manager; gives the world size)")
    else:
        try:
            world_size = int(json.loads(cfg.read_text(encoding="utf-8"))["world_size"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"a readable world_size in {cfg} ({exc!r})")
    if world_size is not None:
        missing = [
            f"model_world_size_{world_size}_rank_{r}.pt"
            for r in range(world_size)
            if not (md / f"model_world_size_{world_size}_rank_{r}.pt").is_file()
        ]
        if missing:
            problems.append(f"model shard(s) in {md}: {', '.join(missing)} (world size {world_size})")
    elif not any(md.glob("model_world_size_*_rank_*.pt")):
        problems.append(f"model shards model_world_size_W_rank_R.pt in {md}")
    hf = md / "huggingface"
    if not (hf / "config.json").is_file():
        problems.append(f"{hf / 'config.json'} (the model config verl saves beside the shards)")
    if not any((hf / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")):
        problems.append(f"a tokenizer (tokenizer.json / tokenizer_config.json) in {hf}")
    return problems


def _steps_in(folder: Path) -> list[tuple[int, Path]]:
    steps = []
    for child in folder.iterdir() if folder.is_dir() else ():
        m = STEP_RE.match(child.name)
        if m and child.is_dir():
            steps.append((int(m.group(1)), child))
    return sorted(steps)


def _latest_step(folder: Path) -> Path | None:
    """The step verl's tracker names in ``folder``, else its highest complete ``global_step_N``."""
    tracker = folder / TRACKER
    if tracker.is_file():
        text = tracker.read_text().strip()
        try:
            n = int(text)
        except ValueError:
            raise CheckpointError(f"{tracker}: expected a step number, found {text!r}") from None
        step = folder / f"global_step_{n}"
        if not step.is_dir():
            raise CheckpointError(f"{tracker} names step {n}, but {step} does not exist")
        return step
    steps = _steps_in(folder)
    for _, step in reversed(steps):
        problems = checkpoint_problems(step)
        if not problems:
            return step
        log.warning(
            "skipping incomplete checkpoint %s (no %s; missing %s)", step, TRACKER, "; ".join(problems)
        )
    return None


def find_checkpoint(path: str | os.PathLike) -> Path:
    """The complete verl ``global_step_N`` folder that ``path`` means.

    ``path`` may be a step folder (taken as is), or a folder holding steps - a GRPO run folder
    (its ``checkpoints/``), a checkpoints folder, an SFT output folder - which means its latest
    step: the one in verl's ``latest_checkpointed_iteration.txt``, else the highest step that is
    complete. Raises FileNotFoundError for a missing path and :class:`CheckpointError` naming
    what is missing for a folder without checkpoints or a half-written step.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"checkpoint path not found: {root}")
    if not root.is_dir():
        raise CheckpointError(f"{root} is a file, not a verl checkpoint folder")
    if _is_step_like(root):
        step = root
    else:
        step = None
        for folder in (root, root / "checkpoints"):
            if folder.is_dir() and ((folder / TRACKER).is_file() or _steps_in(folder)):
                step = _latest_step(folder)
                if step is None:
                    steps = [p for _, p in _steps_in(folder)]
                    raise CheckpointError(
                        f"no complete checkpoint in {folder}: every global_step_N there is half-written "
                        f"({', '.join(p.name for p in steps)}); {steps[-1].name} is missing "
                        + "; ".join(checkpoint_problems(steps[-1]))
                    )
                break
        if step is None:
            raise CheckpointError(
                f"no verl checkpoint in {root}: expected a global_step_N folder, or a run folder with "
                f"global_step_N folders (or checkpoints/global_step_N) and {TRACKER}"
            )
    problems = checkpoint_problems(step)
    if problems:
        raise CheckpointError(
            f"checkpoint {step} is incomplete (half-written?): missing " + "; ".join(problems)
        )
    return step


def _fingerprint(step: Path) -> dict[str, list[int]]:
    """Size and mtime (ns) of each model shard: a re-saved step gets a fresh export."""
    md = _model_dir(step)
    return {
        p.name: [p.stat().st_size, p.stat().st_mtime_ns]
        for p in sorted(md.glob("model_world_size_*_rank_*.pt"))
    }


def _finished(out: Path, step: Path) -> bool:
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("source") == str(step.resolve()) and marker.get("fingerprint") == _fingerprint(step)


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    try:
        cfg = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(cfg.get("chat_template"))


def export_checkpoint(
    path: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    timeout_s: float = 3600.0,
) -> Path:
    """Export the verl checkpoint ``path`` means (see :func:`find_checkpoint`) as a Hugging Face
    model folder (safetensors weights, config, tokenizer, chat template) and return that folder.

    The weights are merged by verl's own model merger (``python -m verl.model_merger merge
    --backend fsdp``, a child process) into a temporary folder beside ``out``, which is renamed
    into place only when complete and checked, so a killed export leaves no folder that looks
    finished. ``out`` defaults to ``<global_step_N>/hf_export``; an existing finished export of
    the same shards is reused (``force`` re-exports). A file lock makes concurrent callers wait
    for one export. Raises :class:`CheckpointError` for a bad checkpoint or when ``out`` is
    some other folder, :class:`~rollout.errors.ToolError` (a RuntimeError naming the merger's last
    error line; its full log is kept as ``<out>.merger-failed.log``) when the merge fails.
    """
    step = find_checkpoint(path)
    target = Path(out).expanduser() if out is not None else step / EXPORT_DIRNAME
    target.parent.mkdir(parents=True, exist_ok=True)
    if not force and _finished(target, step):
        log.info("reusing the export of %s at %s", step, target)
        return target
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _finished(target, step):
            log.info("reusing the export of %s at %s", step, target)
            return target
        if target.exists() and not force:
            raise CheckpointError(
                f"{target} exists and is not a finished export of {step}; choose another --out or pass --force"
            )
        _clean_stale_tmp(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide the export from other users of a shared run
        try:
            _merge(step, tmp, timeout_s, target)
            if target.exists():  # force: swap the old export out, then remove it
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    stale = target.parent / f"{target.name}{FAILED_LOG_SUFFIX}"
    if stale.exists():
        log.info("removing %s, the log of an earlier failed export to %s", stale, target)
        stale.unlink()
    log.info("exported %s to %s", step, target)
    return target


def _clean_stale_tmp(target: Path) -> None:
    """Remove temporary folders of earlier exports to ``target`` that were killed (we hold the lock)."""
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        log.warning("removing %s, left by an interrupted export", stale)
        shutil.rmtree(stale, ignore_errors=True)


def _last_error_line(logfile: Path) -> str:
    """The most telling line of a failed tool's log: its last ``...Error: ...`` line, else its last line."""
    lines = [ln.strip() for ln in logfile.read_text(errors="replace").splitlines() if ln.strip()]
    errors = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception)\b.*:", ln)]
    return (errors or lines or ["(empty log)"])[-1]


def _merger_failed(what: str, logfile: Path, target: Path) -> ToolError:
    """A :class:`ToolError` for a failed merge, its log kept beside ``target`` (the temporary
    export folder that held it is removed): one line naming the error and the log file."""
    kept = target.parent / f"{target.name}{FAILED_LOG_SUFFIX}"
    shutil.copyfile(logfile, kept)
    return ToolError(f"{what}: {_last_error_line(logfile)} (full log: {kept})", log=kept)


def _merge(step: Path, tmp: Path, timeout_s: float, target: Path) -> None:
    md = _model_dir(step)
    cmd = [
        sys.executable, "-m", "verl.model_merger", "merge", "--backend", "fsdp",
        "--local_dir", str(md), "--target_dir", str(tmp),
    ]  # fmt: skip
    log.info("exporting %s with verl's model merger (%s)", step, " ".join(cmd[1:]))
    logfile = tmp / EXPORT_LOG
    start = time.monotonic()
    with open(logfile, "w", encoding="utf-8") as fh:
        try:
            rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout_s).returncode
        except subprocess.TimeoutExpired:
            rc = None
    if rc != 0:
        why = f"timed out after {timeout_s:.0f} s" if rc is None else f"exited {rc}"
        raise _merger_failed(f"verl's model merger {why} on {md}", logfile, target)
    problems = []
    if not any(tmp.glob("*.safetensors")):
        problems.append("no *.safetensors weights")
    if not (tmp / "config.json").is_file():
        problems.append("no config.json")
    if not any((tmp / n).is_file() for n in ("tokenizer.json", "tokenizer_config.json")):
        problems.append("no tokenizer")
    if _has_chat_template(md / "huggingface") and not _has_chat_template(tmp):
        problems.append("the checkpoint's chat template was not carried over")
    if problems:
        raise _merger_failed(
            f"verl's model merger left an incomplete export of {md} ({'; '.join(problems)})", logfile, target
        )
    marker = {
        "source": str(step.resolve()),
        "model_dir": str(md.resolve()),
        "fingerprint": _fingerprint(step),
        "merger": " ".join(cmd[1:6]),
        "dtype": "bfloat16 (verl's model merger casts every weight)",
        "seconds": round(time.monotonic() - start, 2),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    with contextlib.suppress(ImportError):
        from importlib.metadata import version

        marker["verl_version"] = version("verl")
    (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def resolve_model(path_or_name: str | os.PathLike) -> str:
    """What a ``--model`` argument means for vLLM / transformers.

    A Hugging Face model folder (it has ``config.json``) or a hub id (``org/name``, checked by
    :func:`rollout.model_ref.check_model`) comes back unchanged; a verl checkpoint, step or run
    folder is exported once (cached beside the checkpoint, see :func:`export_checkpoint`) and the
    export's path is returned. Raises :class:`CheckpointError` for a local folder that is neither,
    :class:`~rollout.errors.ModelNotFoundError` for a missing path or, offline, an uncached hub id.
    """
    text = str(path_or_name)
    p = Path(text).expanduser()
    if not p.exists():
        return check_model(text)  # a hub id this machine can resolve, else a clear error
    if p.is_dir() and (p / "config.json").is_file():
        return text
    if not p.is_dir():
        raise CheckpointError(f"{p} is a file, neither a Hugging Face model folder nor a verl checkpoint")
    try:
        step = find_checkpoint(p)
    except CheckpointError as exc:
        raise CheckpointError(
            f"{p} is not a Hugging Face model folder (no config.json); as a verl checkpoint: {exc}"
        ) from None
    exported = export_checkpoint(step)
    log.info("model %s: verl checkpoint %s, using its Hugging Face export %s", text, step, exported)
    return str(exported)
