"""``make demo``: GRPO with the balanced multi-reward advantage, end to end on this CPU host.

1. ``longwrite prepare-rl`` on the bundled prompt set (rl/data/prompts.jsonl) -> parquet;
2. ``longwrite train --preset tiny-cpu`` for a few steps (verl's V1 trainer, vLLM CPU rollouts,
   our three rewards, the ``longwriter_balanced`` trainer mode);
3. a per-step table of the reward components, the advantage and the lengths, and where the
   logs, metrics and checkpoints went.

A random tiny model writes noise, so rewards are low; the point is that every stage runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rl.presets import PROJECT_ROOT

COLUMNS = (
    ("step", "step", "{:>4}"),
    ("longwriter/reward/length/mean", "length", "{:>7.3f}"),
    ("longwriter/reward/quality/mean", "quality", "{:>7.3f}"),
    ("longwriter/reward/format/mean", "format", "{:>7.3f}"),
    ("longwriter/reward/score/mean", "score", "{:>7.3f}"),
    ("longwriter/advantage/std", "adv std", "{:>7.3f}"),
    ("longwriter/groups/zero_var_ratio", "0-var", "{:>6.2f}"),
    ("longwriter/length/answer/p50", "ans p50", "{:>7.0f}"),
    ("longwriter/length/plan/p50", "plan p50", "{:>8.0f}"),
    ("longwriter/truncated_ratio", "trunc", "{:>6.2f}"),
    ("timing_s/step", "step s", "{:>7.1f}"),
)


def format_table(rows: Sequence[dict]) -> str:
    """One line per logged step with the reward components and our trainer mode's statistics."""
    header = " ".join(f"{label:>{len(fmt.format(0)) if 'f' in fmt else 4}}" for _, label, fmt in COLUMNS)
    lines = [header]
    for row in rows:
        cells = []
        for key, _label, fmt in COLUMNS:
            value = row.get(key)
            width = len(fmt.format(0)) if "f" in fmt else 4
            cells.append(fmt.format(value) if isinstance(value, (int, float)) else f"{'-':>{width}}")
        lines.append(" ".join(cells))
    return "\n".join(lines)


def run(
    steps: int = 3, output_dir: str | Path | None = None, timeout_s: float = 900.0, echo: bool = False
) -> int:
    """Prepare the bundled prompts, train ``steps`` tiny-cpu steps, print the table; return the exit code."""
    from rl.data import prepare_rl_data
    from rl.local_run import train
    from rl.metrics import latest_checkpoint_step, read_metrics
    from rl.presets import build_plan

    out = Path(output_dir or PROJECT_ROOT / "outputs" / "rl" / "demo").resolve()
    data = prepare_rl_data(PROJECT_ROOT / "rl" / "data" / "prompts.jsonl", out / "data", progress=True)
    print(f"data: {data.train} ({data.n_train} rows), {data.val} ({data.n_val} rows)")
    plan = build_plan(
        "tiny-cpu",
        [
            f"trainer.total_training_steps={steps}",
            f"trainer.save_freq={steps}",
            "trainer.resume_mode=disable",
        ],
        output_dir=out / "run",
        data_dir=out / "data",
    )
    print(f"training {steps} steps of preset tiny-cpu (verl V1 trainer, mode longwriter_balanced) ...")
    print(f"  full log: {plan.output_dir / 'logs'}")
    result = train(plan, timeout_s=timeout_s, echo=echo)
    rows = [r for r in read_metrics(plan.output_dir) if r.get("_file") == result.metrics_file.name]
    print()
    print(format_table(rows) if rows else "(no steps were logged)")
    print(
        "\nrewards in [0, 1]; lengths in words (English) / characters (Chinese); 0-var = share of "
        "groups where every component is constant (advantage 0)\n"
        f"\nexit code:   {result.returncode} ({result.seconds:.0f} s)\n"
        f"log:         {result.log_file}\n"
        f"metrics:     {result.metrics_file}\n"
        f"checkpoints: {result.checkpoint_dir} (latest step {latest_checkpoint_step(result.checkpoint_dir)})"
    )
    return result.returncode


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rl.demo [--steps N] [--output-dir DIR] [--timeout S] [--echo]``."""
    p = argparse.ArgumentParser(prog="python -m rl.demo", description=__doc__)
    p.add_argument("--steps", type=int, default=3, help="training steps (default 3)")
    p.add_argument("--output-dir", default=None, help="default: outputs/rl/demo")
    p.add_argument("--timeout", type=float, default=900.0, help="kill the run after this many seconds")
    p.add_argument("--echo", action="store_true", help="echo verl's output while it runs")
    args = p.parse_args(argv)
    return run(args.steps, args.output_dir, args.timeout, args.echo)


if __name__ == "__main__":
    sys.exit(main())
