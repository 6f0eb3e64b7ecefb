"""Progress lines for a local run: one short line per finished verl step, nothing for other output."""

from rl.local_run import step_line


def test_a_console_metrics_line_becomes_a_short_step_line():
    line = ("(TaskRunnerV1 pid=7) step:3 - longwriter/reward/score/mean:0.5 - "
            "longwriter/length/answer/mean:120.25 - timing_s/step:18.6 - num_turns/min:np.int32(2)\n")  # fmt: skip
    assert step_line(line) == "  step 3, score 0.500, answer 120, 19 s"


def test_missing_or_odd_values_are_left_out_and_other_lines_ignored():
    assert step_line("step:2 - longwriter/reward/score/mean:nan? - timing_s/step:4") == "  step 2, 4 s"
    assert step_line("Epoch 1/2: 57%| 85/150 [01:06<00:49]step:86 - train/loss:2.1") is None
    assert step_line("(WorkerDict pid=9) loading model ...") is None
