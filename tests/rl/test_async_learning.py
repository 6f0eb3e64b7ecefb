"""Slow: GRPO learns in the asynchronous mode, and an async run resumes from its checkpoint.

One run of the learning test's ``long`` direction (``longwrite.learning.run_learning``: the tiny
writer, the tiny-cpu preset path, verl's V1 trainer, vLLM CPU rollouts, our rewards) in
``longwriter_colocate_async`` (``--async colocate``: the preset's async settings, verl's
colocate_async trainer with our balanced advantage), then a second launch that resumes it for one
more step. Asserted:

* the run learns the way its targets ask: the mean step of the answer length and of the length
  reward (``longwrite.learning.learning_drift_test``) are above 0. A direction check, not the
  learning test's significance criterion: that one pools a ``long`` and a ``short`` run
  (``tests/rl/test_learning.py``), and one 8-step run alone has about 0.8 power against
  random-walk drift, so its interval is printed, not asserted;
* asynchrony happened and stayed bounded: some step trained samples generated under older weights
  (``longwriter/async/stale_ratio`` > 0), no sample lagged more versions than the preset's bound
  allows (``max_off_policy_threshold`` 3 -> lag <= 2), our step metrics and verl's off-policy
  correction statistics were logged every step;
* the checkpoint holds TransferQueue's state (in-flight prompts survive a restart), and the second
  launch resumes from it: it logs step 9 only, after restoring that state.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from longwrite.learning import DEFAULT_STEPS as STEPS
from longwrite.learning import N_PROMPTS

pytestmark = pytest.mark.slow

ASYNC = ["trainer.v1.trainer_mode=longwriter_colocate_async", "trainer.resume_mode=auto"]


@pytest.mark.timeout(1800)
def test_colocate_async_learns_and_resumes():
    from longwrite.learning import learning_drift_test, learning_slope, run_learning
    from sft_baseline.writer import tiny_writer_path

    work = Path(tempfile.mkdtemp(prefix="lw-async-learning-"))
    passed = False
    try:
        writer = tiny_writer_path(0)
        run = run_learning("long", work, steps=STEPS, model=writer, overrides=ASYNC, timeout_s=1200)
        assert run.returncode == 0, f"verl failed, see {run.log_file}"
        assert [r["step"] for r in run.rows] == list(range(1, STEPS + 1))
        for row in run.rows:
            assert row["longwriter/async/samples"] == N_PROMPTS * 4  # one batch of whole groups
            assert row["longwriter/groups/count"] == N_PROMPTS
            assert row["longwriter/advantage/abs_mean"] > 0.0
            assert row["longwriter/async/lag/max"] <= 2, row["step"]  # max_off_policy_threshold 3
            assert row["longwriter/async/rollout_correction_applied"] == 1.0
            assert any(k.startswith("rollout_corr/") for k in row)
        stale = run.series("longwriter/async/stale_ratio")
        resumed = run.series("longwriter/async/resumed_ratio")
        print(f"\n[async] stale share per step: {[round(v, 2) for v in stale]}")
        print(f"[async] resumed share per step: {[round(v, 2) for v in resumed]}")
        print(f"[async] step seconds: {[round(v, 1) for v in run.series('timing_s/step')]}")
        assert max(stale) > 0, "no step trained on samples from older weights: nothing was asynchronous"

        length = learning_drift_test(run.series("longwriter/length/answer/mean"))
        reward = learning_drift_test(run.series("longwriter/reward/length/mean"))
        print(f"[async] answer length: {length}\n[async] length reward: {reward}")
        print(
            f"[async] (slope, independent steps assumed: {learning_slope(run.series('longwriter/length/answer/mean'))})"
        )
        assert length.drift > 0, f"answer length did not grow: {length}"
        assert reward.drift > 0, f"length reward did not rise: {reward}"

        folder = run.output_dir / "checkpoints" / f"global_step_{STEPS}"
        assert (folder / "transfer_queue").is_dir(), sorted(p.name for p in folder.iterdir())

        again = run_learning("long", work, steps=STEPS + 1, model=writer, overrides=ASYNC, timeout_s=900)
        assert again.returncode == 0, f"resume failed, see {again.log_file}"
        assert [r["step"] for r in again.rows] == [STEPS + 1]
        log = again.log_file.read_text(errors="replace")
        assert f"Resuming from {folder}" in log or f"global_step_{STEPS}" in log
        assert "Loading TransferQueue state" in log
        passed = True
    finally:
        if passed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"[async] run folder kept for inspection: {work}")
