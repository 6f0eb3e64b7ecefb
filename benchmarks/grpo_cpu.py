"""GRPO on CPU (preset tiny-cpu): wall time per step after warm-up, split by stage.

Runs ``longwrite train --preset tiny-cpu`` for a few steps (verl V1 trainer, mode
``longwriter_balanced``) and reads verl's own timing metrics per step:

* rollout+reward = ``timing_s/gen`` (vLLM generation; verl's agent loop scores each response as
  it finishes, so reward scoring happens inside this span),
* advantage = ``timing_s/adv`` (our balanced advantage, TransferQueue read/write included),
* update = ``timing_s/old_log_prob`` + ``timing_s/update_actor`` + ``timing_s/update_weights``,
* step = ``timing_s/step``.

Reward scoring's share: verl's timing metrics have no reward entry on this path (each response
is scored in the agent loop as soon as it finishes, inside ``gen``). Our trainer mode logs the
per-sample reward latency verl's agent loop records (``longwriter/timing/reward_s/max``: the
slowest sample's scoring, i.e. the reward's share of the generation critical path); rollout is
``gen`` minus that. As a cross-check the benchmark also re-scores each step's dumped responses
(``trainer.rollout_data_dir``) in this process, in one batch like ``rl.verl_reward`` does, after
a warm-up call that loads MiniLM ("re-score" column). Step 1 (engine warm-up, first use of every
path) is left out of the means; the baseline column is step 1 itself.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

STEPS = 4


def _rescore_seconds(rollout_dir: Path, step: int, reward_config: dict) -> tuple[float, int]:
    """Seconds to score one step's dumped responses with our rewards in one batch; and their count."""
    from rl.verl_reward import compute_score_batch
    from rollout.jsonl import read_jsonl

    path = rollout_dir / f"{step}.jsonl"
    rows = read_jsonl(path).values()
    rows = [r for r in rows if not str(r.get("uid", "")).startswith("pad")]
    start = time.perf_counter()
    compute_score_batch(
        solution_strs=[r["output"] for r in rows],
        ground_truths=[r.get("gts") for r in rows],
        extra_infos=[{"request": r["input"]} for r in rows],
        reward_config=reward_config,
    )
    return time.perf_counter() - start, len(rows)


def run(steps: int = STEPS, out: Path | None = None, timeout_s: float = 1500.0) -> dict:
    """Train ``steps`` tiny-cpu steps and return per-stage seconds per step (after warm-up)."""
    from rl.local_run import train
    from rl.metrics import read_metrics
    from rl.prepare import prepare_rl_data
    from rl.presets import PROJECT_ROOT, build_plan
    from rl.verl_reward import compute_score_batch

    out = (out or PROJECT_ROOT / "outputs" / "bench" / "grpo_cpu").resolve()
    prepare_rl_data(PROJECT_ROOT / "rl" / "data" / "prompts.jsonl", out / "data")
    rollout_dir = out / "rollouts"
    plan = build_plan(
        "tiny-cpu",
        [
            f"trainer.total_training_steps={steps}",
            "trainer.save_freq=-1",
            "trainer.resume_mode=disable",
            f"trainer.rollout_data_dir={rollout_dir}",
        ],
        output_dir=out / "run",
        data_dir=out / "data",
    )
    result = train(plan, timeout_s=timeout_s, echo=False)
    if not result.ok:
        raise RuntimeError(f"training failed (exit {result.returncode}); see {result.log_file}")
    rows = {r["step"]: r for r in read_metrics(plan.output_dir) if r["_file"] == result.metrics_file.name}
    reward_config = plan.extra["rewards"]
    compute_score_batch(
        solution_strs=["<think>x</think><answer>warm up</answer>"], reward_config=reward_config
    )

    per_step = []
    for step in sorted(rows):
        r = rows[step]
        reward_s, n = _rescore_seconds(rollout_dir, step, reward_config)
        update = sum(
            r.get(k, 0.0)
            for k in ("timing_s/old_log_prob", "timing_s/update_actor", "timing_s/update_weights")
        )
        in_run = r.get("longwriter/timing/reward_s/max", float("nan"))
        per_step.append(
            {
                "step": step,
                "step_s": r["timing_s/step"],
                "gen_s": r["timing_s/gen"],
                "reward_s": in_run,
                "rescore_s": reward_s,
                "rollout_s": max(0.0, r["timing_s/gen"] - in_run),
                "adv_s": r.get("timing_s/adv", 0.0),
                "update_s": update,
                "samples": n,
            }
        )
    return {"per_step": per_step, "wall_s": result.seconds, "log": str(result.log_file)}


def main() -> None:
    """Print the per-stage table (mean over steps after the first) and the ratio to step 1."""
    res = run()
    steps = res["per_step"]
    warm, rest = steps[0], steps[1:]
    keys = ("step_s", "rollout_s", "reward_s", "adv_s", "update_s", "rescore_s")
    mean = {k: statistics.mean(s[k] for s in rest) for k in keys}
    print(
        f"GRPO tiny-cpu: {len(steps)} steps, {steps[0]['samples']} samples/step, total wall {res['wall_s']:.0f} s"
    )
    print(f"{'stage':<10} {'s/step (after warm-up)':>24} {'step 1 (warm-up)':>18} {'ratio':>7}")
    for k in keys:
        ratio = warm[k] / mean[k] if mean[k] > 0 else float("nan")
        print(f"{k[:-2]:<10} {mean[k]:>24.3f} {warm[k]:>18.3f} {ratio:>6.1f}x")
    print(
        "(reward = slowest sample's in-run scoring latency; rescore = this step's responses re-scored in one batch)"
    )
    share = mean["reward_s"] / mean["step_s"] if mean["step_s"] else float("nan")
    print(f"reward scoring share of a step (after warm-up): {share:.1%}")
    for s in steps:
        print(
            "  step {step}: step {step_s:.2f} s, gen {gen_s:.2f} s, reward {reward_s:.2f} s, re-score {rescore_s:.2f} s, adv {adv_s:.3f} s, update {update_s:.2f} s".format(
                **s
            )
        )
    print(f"log: {res['log']}")


if __name__ == "__main__":
    main()
