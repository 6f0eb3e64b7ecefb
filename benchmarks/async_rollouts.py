"""Synchronous vs asynchronous GRPO on long-tailed response lengths (tiny writer, CPU), one run.

Two GRPO runs from the tiny writer, identical but for the trainer mode: ``longwriter_balanced``
(verl's sync trainer: a step waits for its slowest generation) and ``longwriter_colocate_async``
(``longwrite train --async colocate``: a step trains on the first groups that finish; the rest
are aborted and resumed on the new weights). The prompts mix targets (:func:`mixed_prompts`):
half far above what the writer writes, half below it, so the length reward pulls the two halves
apart and the response lengths spread into a long tail as training goes on. Everything else is
:data:`longwrite.learning.LEARNING_OVERRIDES` (8 prompts x 4 samples a step, 512-token cap).

Per mode: seconds per step (verl's ``timing_s/step``), trained samples a minute (real samples over
the summed step time), the idle share (``timing_s/gen / timing_s/step``: the share of each step
the trainer waits for rollouts), response lengths in tokens (verl's mean/max), the async metrics
(``longwriter/async/*``), and the learning curve: the length reward against cumulative wall time
(``async_rollouts.png`` beside this file, or ``$LONGWRITE_BENCH_OUT``). The sync run is the
baseline of the ratio column, measured in the same invocation.

``python -m benchmarks async_rollouts`` (about 20 minutes on 2 cores; ``ASYNC_BENCH_STEPS``
changes the 8 steps).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

MODES = {"sync": "longwriter_balanced", "async": "longwriter_colocate_async"}
STEPS = int(os.environ.get("ASYNC_BENCH_STEPS", "8"))


def mixed_prompts(out: Path) -> Path:
    """The learning prompts with half of each language given the ``long`` targets and half the
    ``short`` ones (:data:`longwrite.learning.TARGETS`): a jsonl at ``out``."""
    from longwrite.learning import learning_prompts
    from rollout.jsonl import read_jsonl

    long_rows = [r for _, r in read_jsonl(learning_prompts("long", out.with_suffix(".long.jsonl"))).records]
    short_rows = [
        r for _, r in read_jsonl(learning_prompts("short", out.with_suffix(".short.jsonl"))).records
    ]
    rows = [lr if i % 2 == 0 else sr for i, (lr, sr) in enumerate(zip(long_rows, short_rows, strict=True))]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return out


def summarise(rows: list[dict]) -> dict:
    """Per-run figures from the logged rows: step time, samples a minute, idle share, lengths."""
    steps = [r["timing_s/step"] for r in rows]
    gen = [r.get("timing_s/gen", 0.0) for r in rows]
    samples = [r["longwriter/samples"] for r in rows]
    return {
        "steps": len(rows),
        "step_s_mean": statistics.mean(steps),
        "step_s_after_first": statistics.mean(steps[1:]) if len(steps) > 1 else float("nan"),
        "samples_per_min": 60.0 * sum(samples) / sum(steps),
        "idle_share": sum(gen) / sum(steps),
        "resp_tokens_mean": statistics.mean(r["response_length/mean"] for r in rows),
        "resp_tokens_max": max(r["response_length/max"] for r in rows),
        "length_reward_first": rows[0]["longwriter/reward/length/mean"],
        "length_reward_last": rows[-1]["longwriter/reward/length/mean"],
        "stale_ratio_mean": statistics.mean(r.get("longwriter/async/stale_ratio", 0.0) for r in rows),
        "lag_max": max(r.get("longwriter/async/lag/max", 0.0) for r in rows),
        "resumed_ratio_mean": statistics.mean(r.get("longwriter/async/resumed_ratio", 0.0) for r in rows),
    }


def plot(runs: dict[str, list[dict]], path: Path) -> Path:
    """Length reward and response tokens against cumulative training wall time, both modes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for name, rows in runs.items():
        wall, total = [], 0.0
        for r in rows:
            total += r["timing_s/step"]
            wall.append(total)
        axes[0].plot(wall, [r["longwriter/reward/length/mean"] for r in rows], marker="o", label=name)
        axes[1].plot(wall, [r["response_length/max"] for r in rows], marker="o", label=name)
    axes[0].set_title("length reward")
    axes[1].set_title("longest response (tokens)")
    for ax in axes:
        ax.set_xlabel("training wall time (s)")
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run(steps: int = STEPS, out: Path | None = None) -> dict[str, list[dict]]:
    """Both runs, sync first; returns mode -> logged rows (ours and verl's, one per step)."""
    from longwrite.learning import run_learning
    from rl.presets import PROJECT_ROOT

    out = (out or PROJECT_ROOT / "outputs" / "bench" / "async_rollouts").resolve()
    out.mkdir(parents=True, exist_ok=True)
    prompts = mixed_prompts(out / "prompts.jsonl")
    runs: dict[str, list[dict]] = {}
    for name, mode in MODES.items():
        result = run_learning(
            f"mixed-{name}",
            out / name,
            steps=steps,
            prompts=prompts,
            overrides=[f"trainer.v1.trainer_mode={mode}", "trainer.save_freq=-1"],
            timeout_s=2400,
        )
        if result.returncode != 0 or len(result.rows) != steps:
            raise RuntimeError(
                f"{name} run failed (exit {result.returncode}, {len(result.rows)} rows): {result.log_file}"
            )
        runs[name] = result.rows
    return runs


def main() -> None:
    """Run both modes, print the comparison table, the per-step rows, and write the PNG."""
    start = time.time()
    runs = run()
    summary = {name: summarise(rows) for name, rows in runs.items()}
    base = summary["sync"]
    print(
        f"sync vs colocate_async, tiny writer, 8 prompts (4 long + 4 short targets) x 4 samples, {STEPS} steps; "
        f"{platform.machine()} {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end, "
        f"{time.strftime('%Y-%m-%d')}, {time.time() - start:.0f} s in all"
    )
    keys = [
        ("step_s_mean", "s/step", "{:.1f}"),
        ("step_s_after_first", "s/step after step 1", "{:.1f}"),
        ("samples_per_min", "samples/min", "{:.1f}"),
        ("idle_share", "idle share (gen/step)", "{:.2f}"),
        ("resp_tokens_mean", "response tokens, mean", "{:.0f}"),
        ("resp_tokens_max", "response tokens, max", "{:.0f}"),
        ("length_reward_first", "length reward, step 1", "{:.3f}"),
        ("length_reward_last", "length reward, last step", "{:.3f}"),
        ("stale_ratio_mean", "stale share (mean)", "{:.2f}"),
        ("lag_max", "version lag (max)", "{:.0f}"),
        ("resumed_ratio_mean", "resumed share (mean)", "{:.2f}"),
    ]
    print(f"| {'figure':<26} | {'sync (baseline)':>16} | {'colocate_async':>15} | {'async / sync':>12} |")
    print(f"|{'-' * 28}|{'-' * 18}|{'-' * 17}|{'-' * 14}|")
    for key, label, fmt in keys:
        a, s = summary["async"][key], base[key]
        ratio = f"{a / s:.2f}x" if s else "-"
        print(f"| {label:<26} | {fmt.format(s):>16} | {fmt.format(a):>15} | {ratio:>12} |")
    for name, rows in runs.items():
        wall = 0.0
        print(
            f"\n{name}: step, wall s, step s, gen s, length reward, resp tokens mean/max, stale, lag max, resumed"
        )
        for r in rows:
            wall += r["timing_s/step"]
            print(
                f"  {r['step']:>2} {wall:7.1f} {r['timing_s/step']:6.1f} {r.get('timing_s/gen', 0):6.1f} "
                f"{r['longwriter/reward/length/mean']:.3f} {r['response_length/mean']:5.0f}/{r['response_length/max']:4.0f} "
                f"{r.get('longwriter/async/stale_ratio', 0):.2f} {r.get('longwriter/async/lag/max', 0):.0f} "
                f"{r.get('longwriter/async/resumed_ratio', 0):.2f}"
            )
    out_dir = Path(os.environ.get("LONGWRITE_BENCH_OUT", Path(__file__).parent))
    print(f"\nplot: {plot(runs, out_dir / 'async_rollouts.png')}")
    from rl.presets import PROJECT_ROOT

    rows_path = PROJECT_ROOT / "outputs" / "bench" / "async_rollouts" / "rows.json"
    rows_path.write_text(
        json.dumps({k: v for k, v in runs.items()}, default=float, indent=0), encoding="utf-8"
    )
    print(f"rows: {rows_path}")


if __name__ == "__main__":
    main()
