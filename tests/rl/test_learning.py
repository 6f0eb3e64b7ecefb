"""Slow: GRPO from the tiny writer learns - the answer length moves the way the targets ask.

Two runs of the tiny-cpu preset path (``rl.presets.build_plan`` + ``rl.local_run.train``: verl's
V1 trainer, vLLM CPU rollouts, our rewards and trainer mode), identical but for the prompts'
target lengths (``longwrite.learning.TARGETS``): ``long`` far above what the writer writes,
``short`` below it. The statistic (``longwrite.learning.learning_slope``): the least-squares slope
of the per-step means over all steps, with its 95% Student-t interval from the steps' scatter
around the line (the run's step-to-step noise); it must exclude 0 in the asked direction, for the
answer length and for the length reward. A sign error in the advantage moves the length the wrong
way, and a reward attached to the wrong sample leaves nothing to learn (the interval then straddles
0): either fails here. (mean(last 3) - mean(first 3) was the first statistic: a run whose short
targets were learned by step 3 put a learned step in the "first" window; see RESULTS.md.)
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from longwrite.learning import DEFAULT_STEPS as STEPS  # light: stdlib imports only
from longwrite.learning import N_PROMPTS

pytestmark = pytest.mark.slow

K = 3


@pytest.fixture(scope="module")
def writer():
    from sft_baseline.writer import tiny_writer_path

    return tiny_writer_path(0)


@pytest.fixture(scope="module")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="lw-learning-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("direction", ["long", "short"])
def test_grpo_moves_answer_length_toward_targets(direction, writer, workdir, longbench_dir):
    from longwrite.learning import learning_slope, learning_trend, run_learning

    if direction == "long":  # the demo's own GRPO run, shared with tests/longwrite/test_demo_path.py
        from grpo_long import long_run

        opts, run, _ = long_run(longbench_dir)
        assert opts.steps == STEPS
    else:
        run = run_learning(direction, workdir / direction, steps=STEPS, model=writer, timeout_s=1000)
    assert run.returncode == 0, f"verl failed, see {run.output_dir / 'logs'}"
    assert [r["step"] for r in run.rows] == list(range(1, STEPS + 1))
    for row in run.rows:
        assert row["longwriter/groups/count"] == N_PROMPTS  # every prompt each step, one group each
        assert row["longwriter/advantage/abs_mean"] > 0.0

    length = learning_slope(run.series("longwriter/length/answer/mean"))
    reward = learning_slope(run.series("longwriter/reward/length/mean"))
    print(f"\n[{direction}] trends: {learning_trend(run.series('longwriter/length/answer/mean'), k=K)}")
    formed = run.series("longwriter/well_formed_ratio")
    print(f"\n[{direction}] answer length: {length}\n[{direction}] length reward: {reward}")
    print(f"[{direction}] well-formed share per step: {[round(v, 2) for v in formed]}")
    print(
        f"[{direction}] format reward per step: {[round(v, 2) for v in run.series('longwriter/reward/format/mean')]}"
    )
    if direction == "long":
        assert length.low > 0, f"answer length did not grow beyond noise: {length}"
    else:
        assert length.high < 0, f"answer length did not shrink beyond noise: {length}"
    assert reward.low > 0, f"length reward did not rise beyond noise: {reward}"
    # The well-formed share (one plan then one answer, rl.trainer.step_metrics) does not collapse
    # while the length moves: above half in the last steps, keeping most of where it started.
    assert len(formed) == STEPS, "longwriter/well_formed_ratio missing from some steps"
    first_formed, last_formed = sum(formed[:K]) / K, sum(formed[-K:]) / K
    assert first_formed >= 0.8, formed  # the writer starts well formed (test_writer.py: >= 90% at T 0.8)
    assert last_formed >= 0.5 and last_formed >= 0.6 * first_formed, formed
