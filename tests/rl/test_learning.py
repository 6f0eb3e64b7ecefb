"""Slow: GRPO from the tiny writer learns - the answer length moves the way the targets ask.

Two runs of the tiny-cpu preset path (``rl.presets.build_plan`` + ``rl.local_run.train``: verl's
V1 trainer, vLLM CPU rollouts, our rewards and trainer mode), identical but for the prompts'
target lengths (``longwrite.learning.TARGETS``): ``long`` far above what the writer writes,
``short`` below it.

The criterion (``longwrite.learning.learning_pooled_drift_test``): the length reward's
step-to-step changes of both runs, pooled, rise beyond what drifting policies do by chance (a
t-test on the increments, exact under a random-walk null; 2.7% false rises at most on simulated
pairs of pure random walks, and above 0.99 power at the recorded runs' size:
``tests/longwrite/test_learning_stats.py``). Beside it each run must move its answers the asked
way (the mean step of the answer length: up for ``long``, down for ``short``), so one strong run
cannot carry a run that went the wrong way. The least-squares slope (independent steps assumed:
7-24% false rises on random walks) is printed only. The negative controls (advantages permuted
across groups or negated: ``python -m benchmarks.learning --control permute|negate``) fail this
criterion; both are recorded in benchmarks/RESULTS.md.
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
_RUNS: dict = {}


@pytest.fixture(scope="module")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="lw-learning-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def learning_runs(workdir, longbench_dir):
    """direction -> finished LearningRun, each made on first use (``long`` is the demo's own GRPO
    run, shared with tests/longwrite/test_demo_path.py, so CI pays for it once)."""

    def get(direction: str):
        if direction not in _RUNS:
            if direction == "long":
                from grpo_long import long_run

                opts, run, _ = long_run(longbench_dir)
                assert opts.steps == STEPS
            else:
                from longwrite.learning import run_learning
                from sft_baseline.writer import tiny_writer_path

                run = run_learning(direction, workdir / direction, steps=STEPS, model=tiny_writer_path(0),
                                   timeout_s=1000)  # fmt: skip
            _RUNS[direction] = run
        return _RUNS[direction]

    return get


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("direction", ["long", "short"])
def test_each_run_trains_every_prompt_and_stays_well_formed(direction, learning_runs):
    from longwrite.learning import learning_drift_test, learning_slope, learning_trend

    run = learning_runs(direction)
    assert run.returncode == 0, f"verl failed, see {run.output_dir / 'logs'}"
    assert [r["step"] for r in run.rows] == list(range(1, STEPS + 1))
    for row in run.rows:
        assert row["longwriter/groups/count"] == N_PROMPTS  # every prompt each step, one group each
        assert row["longwriter/advantage/abs_mean"] > 0.0
    for key, label in (("longwriter/length/answer/mean", "answer length"),
                       ("longwriter/reward/length/mean", "length reward")):  # fmt: skip
        series = run.series(key)
        print(f"\n[{direction}] {label}: {learning_drift_test(series)}  (one run)")
        print(f"[{direction}] {label}: {learning_slope(series)}  (assumes independent steps)")
        print(f"[{direction}] {label}: {learning_trend(series, k=K)}")
    formed = run.series("longwriter/well_formed_ratio")
    print(f"[{direction}] well-formed share per step: {[round(v, 2) for v in formed]}")
    print(
        f"[{direction}] format reward per step: {[round(v, 2) for v in run.series('longwriter/reward/format/mean')]}"
    )
    # The well-formed share (one plan then one answer, rl.trainer.step_metrics) does not collapse
    # while the length moves: above half in the last steps, keeping most of where it started.
    assert len(formed) == STEPS, "longwriter/well_formed_ratio missing from some steps"
    first_formed, last_formed = sum(formed[:K]) / K, sum(formed[-K:]) / K
    assert first_formed >= 0.8, formed  # the writer starts well formed (test_writer.py: >= 90% at T 0.8)
    assert last_formed >= 0.5 and last_formed >= 0.6 * first_formed, formed


@pytest.mark.timeout(2400)
def test_both_runs_learn_their_targets_beyond_random_walk_drift(learning_runs):
    from longwrite.learning import learning_criterion

    long, short = learning_runs("long"), learning_runs("short")
    assert long.returncode == 0 and short.returncode == 0
    for run in (long, short):
        assert len(run.series("longwriter/reward/length/mean")) == STEPS
        assert len(run.series("longwriter/length/answer/mean")) == STEPS
    verdict = learning_criterion(long, short)
    print(f"\n{verdict}")
    assert verdict.reward.low > 0, f"the length reward did not rise beyond random-walk drift:\n{verdict}"
    assert verdict.grow.drift > 0, f"the long-target run's answers did not grow:\n{verdict}"
    assert verdict.shrink.drift < 0, f"the short-target run's answers did not shrink:\n{verdict}"
    assert verdict.passed
