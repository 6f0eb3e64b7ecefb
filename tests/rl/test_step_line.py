"""Progress lines for a local run: one short line per finished verl step, nothing for other output;
verl's import-time warnings about training engines we do not use are filtered, narrowly."""

import subprocess
import sys

from rl.local_run import VERL_WARNING_FILTERS, plan_steps, step_line
from rl.presets import build_plan


def test_a_console_metrics_line_becomes_a_short_step_line():
    line = ("(TaskRunnerV1 pid=7) step:3 - longwriter/reward/score/mean:0.5 - "
            "longwriter/length/answer/mean:120.25 - timing_s/step:18.6 - num_turns/min:np.int32(2)\n")  # fmt: skip
    assert step_line(line) == "  step 3, score 0.500, answer 120, 19 s"
    assert step_line(line, 8, 150.0) == "  step 3/8, score 0.500, answer 120, 19 s, elapsed 2.5 min"


def test_missing_or_odd_values_are_left_out_and_other_lines_ignored():
    assert step_line("step:2 - longwriter/reward/score/mean:nan? - timing_s/step:4") == "  step 2, 4 s"
    assert step_line("Epoch 1/2: 57%| 85/150 [01:06<00:49]step:86 - train/loss:2.1") is None
    assert step_line("(WorkerDict pid=9) loading model ...") is None


def test_the_step_count_comes_from_the_plan(tmp_path):
    plan = build_plan("tiny-cpu", ["trainer.total_training_steps=5"], output_dir=tmp_path / "run")
    assert plan_steps(plan) == 5


def test_verl_engine_warnings_are_filtered_and_nothing_else():
    # One real child: verl's engine package imported under our filters shows none of its five
    # "engine is not available" warnings; reloaded without them (the control) it shows them again,
    # and a like-worded warning from another module is still shown (the filter is narrow).
    code = (
        "import importlib, sys, warnings\n"
        "import verl.workers.engine as e\n"
        "warnings.warn('megatron engine is not available: elsewhere')\n"
        "print('--- control ---', file=sys.stderr, flush=True)\n"
        "warnings.resetwarnings()\n"
        "importlib.reload(e)\n"
    )
    env = {"PYTHONWARNINGS": ",".join(VERL_WARNING_FILTERS), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    filtered, control = proc.stderr.split("--- control ---")
    assert "engine is not available: elsewhere" in filtered  # ours, from __main__: kept
    assert filtered.count("engine is not available") == 1, filtered
    assert control.count("engine is not available") >= 3, control
