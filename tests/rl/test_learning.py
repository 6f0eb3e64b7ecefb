"""Slow: GRPO from the tiny writer learns - the answer length moves the way the targets ask.

Two runs of the tiny-cpu preset path (``rl.presets.build_plan`` + ``rl.local_run.train``: verl's
V1 trainer, vLLM CPU rollouts, our rewards and trainer mode), identical but for the prompts'
target lengths (``longwrite.learning.TARGETS``): ``long`` far above what the writer writes,
``short`` below it. Asserted (``longwrite.learning.learning_slope``): the least-squares slope of
the per-step means with its 95% Student-t interval must exclude 0 the asked way, for the answer
length and the length reward. That interval assumes independent steps and calls 7-24% of simulated
drifting random walks a rise, so the drift-robust criterion (``learning_drift_test``: a t-test on
the step-to-step changes, exact under a random-walk null, at most 2.3% there) is printed beside
it; it is not asserted yet because at 8 steps its power is about 0.8 a run (benchmarks/RESULTS.md,
issue 22). ``python -m benchmarks.learning --control permute|negate`` runs the negative controls.
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
    from longwrite.learning import learning_drift_test, learning_slope, learning_trend, run_learning

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
    drift = learning_drift_test(run.series("longwriter/reward/length/mean"))
    print(f"\n[{direction}] trends: {learning_trend(run.series('longwriter/length/answer/mean'), k=K)}")
    print(f"[{direction}] length reward, drift-robust (random-walk null): {drift}")
    formed = run.series("longwriter/well_formed_ratio")
    print(f"\n[{direction}] answer length: {length}\n[{direction}] length reward: {reward}")
    print(f"[{direction}] well-formed share per step: {[round(v, 2) for v in formed]}")
    print(
        f"[{direction}] format reward per step: {[round(v, 2) for v in run.series('longwriter/reward/format/mean')]}"
    )
    # Asserted: the least-squares slope's interval. The drift-robust criterion is printed beside
    # it, not asserted: at 8 steps its power is about 0.8 a run (tests/longwrite/
    # test_learning_stats.py), so two runs would fail CI about one time in three; making it the
    # criterion needs longer runs or the two directions pooled (issue 22, open).
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
