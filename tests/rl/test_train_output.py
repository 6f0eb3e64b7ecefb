"""What `longwrite train` shows in the terminal: one line per step by default, verl's whole stream
with --verbose, the log's last lines when the run fails.

verl itself is replaced here by a short script that prints what verl prints (its config dump, its
``step:N - key:value`` console lines) and exits with a chosen status: what is under test is our
routing of a child's output, which is the same for any child. The real verl run's terminal is
checked in the slow ``test_train_e2e.py`` (its resume step runs in the default mode).
"""

from __future__ import annotations

import sys

import pytest

from longwrite.cli import main

FAKE_VERL = r"""
import sys
print("{'actor_rollout_ref': {'actor': {'optim': {'lr': 1e-06}}}, 'trainer': {'total_training_steps': 2}}")
for step in (1, 2):
    print(f"step:{step} - longwriter/reward/score/mean:0.{step} - longwriter/length/answer/mean:{50 * step}.0 - timing_s/step:1.5")
print("a verl warning nobody can act on")
if int(sys.argv[1]):
    print("Traceback (most recent call last):\nRuntimeError: the worker died")
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture
def fake_verl(monkeypatch, tmp_path):
    """Make `longwrite train` start FAKE_VERL (exit status ``code``) instead of verl."""
    from rl.presets import RunPlan

    def use(code: int) -> None:
        monkeypatch.setattr(RunPlan, "command", lambda self: [sys.executable, "-c", FAKE_VERL, str(code)])

    return use


def _train(tmp_path, *flags: str) -> int:
    out = tmp_path / "run"
    data = tmp_path / "data.parquet"  # never read: the stand-in does not load data
    data.touch()
    argv = ["train", "--preset", "tiny-cpu", "--output-dir", str(out), "--timeout", "60", *flags]
    return main(
        [*argv, "trainer.total_training_steps=2", f"data.train_files={data}", f"data.val_files={data}"]
    )


def test_default_shows_one_line_per_step_and_keeps_verl_in_the_log(fake_verl, tmp_path, capsys):
    fake_verl(0)
    assert _train(tmp_path) == 0
    out, err = capsys.readouterr()
    steps = [ln for ln in out.splitlines() if ln.startswith("  step ")]
    assert [s.split(",")[0] for s in steps] == ["  step 1/2", "  step 2/2"], out
    assert steps[1].startswith("  step 2/2, score 0.200, answer 100, 2 s, elapsed "), steps
    assert "actor_rollout_ref" not in out + err and "nobody can act on" not in out + err
    log = next((tmp_path / "run" / "logs").glob("train-*.log"))
    assert f"its full output: {log}" in out
    assert "actor_rollout_ref" in log.read_text() and "nobody can act on" in log.read_text()


def test_verbose_streams_verl_and_a_failure_shows_the_log_tail(fake_verl, tmp_path, capsys):
    fake_verl(0)
    assert _train(tmp_path, "--verbose") == 0
    out, _ = capsys.readouterr()
    assert "actor_rollout_ref" in out and "nobody can act on" in out
    fake_verl(3)
    assert _train(tmp_path) == 3
    out, err = capsys.readouterr()
    assert "RuntimeError: the worker died" not in out
    assert "--- last" in err and "RuntimeError: the worker died" in err  # the tail, on failure only
    fake_verl(0)
    assert _train(tmp_path, "--quiet") == 0
    out, err = capsys.readouterr()
    assert "  step " not in out and "--- last" not in err
