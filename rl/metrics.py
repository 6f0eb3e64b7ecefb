"""Read back what a verl run logged: per-step metrics and the latest checkpoint step."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rollout.jsonl import read_jsonl


def read_metrics(output_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """Every logged step of every launch under ``output_dir/metrics`` (oldest first).

    verl's file logger writes one ``{"step": n, "data": {...}}`` line per step; each launch gets
    its own file, so a resumed run does not overwrite the steps before it.
    """
    rows = []
    for path in sorted((Path(output_dir) / "metrics").glob("metrics-*.jsonl")):
        # A run killed mid-step can leave a torn last line; it is skipped with a warning.
        for _, row in read_jsonl(path).records:
            rows.append({"step": row.get("step"), **row.get("data", {}), "_file": path.name})
    return rows


def latest_checkpoint_step(checkpoint_dir: str | os.PathLike) -> int | None:
    """The step in verl's ``latest_checkpointed_iteration.txt`` (None if there is none)."""
    tracker = Path(checkpoint_dir) / "latest_checkpointed_iteration.txt"
    if not tracker.is_file():
        return None
    return int(tracker.read_text().strip())
