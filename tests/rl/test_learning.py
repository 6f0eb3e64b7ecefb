"""Slow: GRPO from the tiny writer learns - the answer length moves the way the targets ask.

Two runs of the tiny-cpu preset path (``rl.presets.build_plan`` + ``rl.local_run.train``: verl's
V1 trainer, vLLM CPU rollouts, our rewards and trainer mode), identical but for the prompts'
target lengths (``longwrite.learning.TARGETS``): ``long`` far above what the writer writes,
``short`` below it. The criterion (``longwrite.learning.learning_drift_test``): the length reward's
mean per-step change, with a 95% interval that holds when the policy's per-step means wander like a
random walk (a t-test on the step-to-step increments); it must exclude 0 upward, and the answer
length's mean step must point the way the targets ask. A sign error in the advantage lowers the
reward, and advantages attached to the wrong samples leave nothing to learn (the interval then
straddles 0): ``python -m benchmarks.learning --control permute|negate`` runs those
negative controls (benchmarks/RESULTS.md, issue 22).
(The least-squares slope's t interval was the criterion before: it assumes independent steps and
called 14% of simulated driftless random walks a rise; mean(last 3) - mean(first 3) before that.)
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
def test_grpo_moves_answer_length_toward_targets(direction, writer, workdir):
    from longwrite.learning import learning_drift_test, learning_slope, learning_trend, run_learning

    run = run_learning(direction, workdir / direction, steps=STEPS, model=writer, timeout_s=1000)
    assert run.returncode == 0, f"verl failed, see {run.output_dir / 'logs'}"
    assert [r["step"] for r in run.rows] == list(range(1, STEPS + 1))
    for row in run.rows:
        assert row["longwriter/groups/count"] == N_PROMPTS  # every prompt each step, one group each
        assert row["longwriter/advantage/abs_mean"] > 0.0

    length = learning_drift_test(run.series("longwriter/length/answer/mean"))
    reward = learning_drift_test(run.series("longwriter/reward/length/mean"))
    print(f"\n[{direction}] trends: {learning_trend(run.series('longwriter/length/answer/mean'), k=K)}")
    print(
        f"[{direction}] slope (independent steps): {learning_slope(run.series('longwriter/reward/length/mean'))}"
    )
    formed = run.series("longwriter/well_formed_ratio")
    print(f"\n[{direction}] answer length: {length}\n[{direction}] length reward: {reward}")
    print(f"[{direction}] well-formed share per step: {[round(v, 2) for v in formed]}")
    print(
        f"[{direction}] format reward per step: {[round(v, 2) for v in run.series('longwriter/reward/format/mean')]}"
    )
    # The criterion: the length reward rose beyond what a drifting policy does by chance (power at
    # the recorded runs' size and noise about 0.8: tests/longwrite/test_learning_stats.py).
    assert reward.low > 0, f"length reward did not rise beyond random-walk drift: {reward}"
    # The answer length moved the way the targets ask (its direction; the reward is the test).
    if direction == "long":
        assert length.drift > 0, f"answer length did not grow: {length}"
    else:
        assert length.drift < 0, f"answer length did not shrink: {length}"
    # The well-formed share (one plan then one answer, rl.trainer.step_metrics) does not collapse
    # while the length moves: above half in the last steps, keeping most of where it started.
    assert len(formed) == STEPS, "longwriter/well_formed_ratio missing from some steps"
    first_formed, last_formed = sum(formed[:K]) / K, sum(formed[-K:]) / K
    assert first_formed >= 0.8, formed  # the writer starts well formed (test_writer.py: >= 90% at T 0.8)
    assert last_formed >= 0.5 and last_formed >= 0.6 * first_formed, formed
