"""GRPO learning curves from the tiny writer: two runs, targets above vs below what it writes.

Runs :func:`longwrite.learning.run_learning` for ``long`` and ``short`` (the same runs as the slow
test ``tests/rl/test_learning.py``), prints per step the reward components and the answer length
p50/p90 (words / Chinese characters) of both runs, and the trend statistics of each: the
random-walk drift test :func:`longwrite.learning.learning_drift_test`, the least-squares slope
with its 95% t interval and the 95% bootstrap interval of mean(last 3 steps) - mean(first 3
steps) (the baseline of each curve is its own first steps); then the slow test's criterion over
both runs (:func:`longwrite.learning.learning_criterion`: the answer length of the long run minus
the short run's must rise beyond random-walk drift; each run's direction). Writes ``benchmarks/learning.png`` (or
``$LONGWRITE_BENCH_OUT/learning.png``).

``python -m benchmarks learning`` (about 12 minutes on 2 cores; builds the writer first if needed).
Negative controls (advantages broken on purpose; must fail the criterion):
``python -m benchmarks.learning --control permute`` (or ``--control negate``), both directions.
Each run's per-step rows go to ``learning[-<control>].json`` beside the PNG;
``python -m benchmarks.learning --rescore FILE`` prints the criterion of a saved file again;
``--async`` runs the same pair in the ``longwriter_colocate_async`` trainer mode.
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

CURVES = (
    ("longwriter/reward/length/mean", "length reward"),
    ("longwriter/reward/format/mean", "format reward"),
    ("longwriter/well_formed_ratio", "well-formed share"),
    ("longwriter/reward/quality/mean", "quality reward"),
    ("longwriter/length/answer/p50", "answer p50"),
    ("longwriter/length/answer/p90", "answer p90"),
)


def plot(runs: dict, path: Path) -> Path:
    """Both runs' curves, one panel per metric, as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CURVES), figsize=(4 * len(CURVES), 3.2))
    for ax, (key, label) in zip(axes, CURVES, strict=True):
        for direction, run in runs.items():
            steps = [r["step"] for r in run.rows if key in r]
            ax.plot(steps, run.series(key), marker="o", label=f"targets {direction}")
        ax.set_title(label)
        ax.set_xlabel("step")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


CONTROLS = ("permute", "negate")


def main(
    steps: int | None = None,
    control: str | None = None,
    directions: tuple[str, ...] = ("long", "short"),
    async_mode: bool = False,
) -> dict:
    """Run ``directions``, print the per-step table and trends, write the PNG and a JSON of the
    per-step rows; return the runs.

    ``control`` (``permute`` | ``negate``) runs the negative control instead: the same runs with
    ``+longwriter.debug_advantage=<control>`` (advantages attached to the wrong samples, or with
    their sign flipped; :func:`rl.trainer.debug_advantages`), which must fail the criterion.
    """
    import json

    from longwrite.learning import (
        DEFAULT_STEPS,
        learning_drift_test,
        learning_slope,
        learning_trend,
        run_learning,
    )

    steps = DEFAULT_STEPS if steps is None else steps
    if control is not None and control not in CONTROLS:
        raise ValueError(f"control must be one of {', '.join(CONTROLS)}, got {control!r}")
    overrides = [f"+longwriter.debug_advantage={control}"] if control else []
    tag = f"-{control}" if control else ""
    if async_mode:  # the same runs in verl's colocate_async mode with our trainer (rl/trainer_async.py)
        overrides.append("trainer.v1.trainer_mode=longwriter_colocate_async")
        tag += "-async"
    from sft_baseline.writer import tiny_writer_path

    writer = tiny_writer_path(0)
    work = Path(tempfile.mkdtemp(prefix="lw-bench-learning-"))
    runs, seconds = {}, {}
    try:
        for direction in directions:
            t = time.monotonic()
            runs[direction] = run_learning(
                direction, work / direction, steps=steps, model=writer, overrides=overrides
            )
            seconds[direction] = time.monotonic() - t
    finally:
        failed = [d for d, r in runs.items() if r.returncode != 0] or (
            [] if len(runs) == len(directions) else ["?"]
        )
        if failed:  # a failed run keeps its folder: its verl log says why
            print(f"run(s) {', '.join(failed)} failed or did not finish; their folders and logs: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"machine: {platform.node()} {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    if control:
        print(f"NEGATIVE CONTROL: +longwriter.debug_advantage={control}")
    for direction, run in runs.items():
        print(f"\ntargets {direction}{tag}: exit {run.returncode}, {seconds[direction]:.0f} s")
        print(f"{'step':>4} " + " ".join(f"{label:>14}" for _, label in CURVES))
        for row in run.rows:
            print(f"{row['step']:>4} " + " ".join(f"{row.get(k, float('nan')):>14.3f}" for k, _ in CURVES))
        for key, label in (CURVES[0], ("longwriter/length/answer/mean", "answer mean")):
            series = run.series(key)
            if len(series) < 4:
                print(f"  {label}: only {len(series)} steps logged, no statistics")
                continue
            print(f"  {label}: {learning_drift_test(series)}  <- the test's criterion")
            print(f"  {label}: {learning_slope(series)}")
            if len(series) >= 6:
                print(f"  {label}: {learning_trend(series, k=3)}")
    out_dir = Path(os.environ.get("LONGWRITE_BENCH_OUT", Path(__file__).parent))
    rows_file = out_dir / f"learning{tag}.json"
    rows_file.parent.mkdir(parents=True, exist_ok=True)
    rows_file.write_text(
        json.dumps(
            {
                d: {"control": control, "returncode": r.returncode, "seconds": seconds[d], "rows": r.rows}
                for d, r in runs.items()
            },
            default=str,
            indent=1,
        )
    )
    print(f"\nwrote {rows_file}")
    print(f"wrote {plot(runs, out_dir / f'learning{tag}.png')}")
    print_criterion(runs, control)
    return runs


def print_criterion(runs: dict, control: str | None) -> None:
    """The slow test's criterion (:func:`longwrite.learning.learning_criterion`) on ``long`` +
    ``short``, when both ran; a negative control must FAIL it."""
    from longwrite.learning import learning_criterion

    if not {"long", "short"} <= set(runs):
        print("criterion: needs both directions (long and short)")
        return
    print(f"\n{'NEGATIVE CONTROL ' + control + ': ' if control else ''}the learning test's criterion")
    print(learning_criterion(runs["long"], runs["short"]))


def rescore(path: Path) -> None:
    """Print the criterion for the per-step rows a previous run saved (``learning[-control].json``)."""
    import json

    from longwrite.learning import LearningRun

    saved = json.loads(Path(path).read_text())
    runs = {d: LearningRun(d, Path("."), r["rows"], r["returncode"], r["seconds"]) for d, r in saved.items()}
    control = next((r["control"] for r in saved.values() if r.get("control")), None)
    for d, r in saved.items():
        print(f"{d}: exit {r['returncode']}, {r['seconds']:.0f} s, {len(r['rows'])} steps")
    print_criterion(runs, control)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", choices=CONTROLS, default=None, help="run a negative control")
    parser.add_argument("--directions", nargs="+", default=["long", "short"], choices=["long", "short"])
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--async", dest="async_mode", action="store_true", help="colocate_async trainer mode")
    parser.add_argument(
        "--rescore", type=Path, default=None, help="print the criterion of a saved JSON; no run"
    )
    args = parser.parse_args()
    if args.rescore:
        rescore(args.rescore)
    else:
        main(args.steps, args.control, tuple(args.directions), args.async_mode)
