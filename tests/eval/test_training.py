"""Training curves of RL run folders in `longwrite report` (hand-written verl metrics files)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from eval.report import build_report
from eval.training import curve_rows, is_training_run, load_training_run
from longwrite.cli import main as cli_main

P = "longwriter"


def _row(
    step: int, *, length: float, answer_p50: float, trunc: float | None = 0.25, zero_var: float = 0.5
) -> dict:
    data = {
        f"{P}/reward/length/mean": length,
        f"{P}/reward/quality/mean": 0.4,
        f"{P}/reward/format/mean": 0.9,
        f"{P}/reward/score/mean": 0.6,
        f"{P}/reward/weighted_mean/mean": 0.6,
        f"{P}/length/answer/p50": answer_p50,
        f"{P}/length/answer/p90": answer_p50 * 2,
        f"{P}/length/plan/p50": 12.0,
        f"{P}/length/plan/p90": 20.0,
        f"{P}/groups/zero_var_ratio": zero_var,
        "critic/score/mean": 0.1,
    }
    if trunc is not None:
        data[f"{P}/truncated_ratio"] = trunc
        data[f"{P}/well_formed_ratio"] = 1.0 - trunc
    return {"step": step, "data": data}


@pytest.fixture
def rl_run(tmp_path):
    """A resumed run: launch 1 logged steps 1-3 (killed while writing step 4's line; checkpoint
    at step 2), launch 2 resumed from step 2 and logged steps 3-4 again with other values."""
    run = tmp_path / "rl-tiny"
    (run / "metrics").mkdir(parents=True)
    first = [
        _row(1, length=0.1, answer_p50=40),
        _row(2, length=0.2, answer_p50=50),
        _row(3, length=0.99, answer_p50=1),
    ]
    text = "".join(json.dumps(r) + "\n" for r in first) + json.dumps(_row(4, length=0.5, answer_p50=9))[:37]
    (run / "metrics" / "metrics-20261130-010000.jsonl").write_text(text)
    second = [
        _row(3, length=0.3, answer_p50=60, trunc=None),  # this launch did not log the truncation ratio
        _row(4, length=0.45, answer_p50=70),
        {"step": 4, "data": {"timing_s/step": 2.5}},  # verl may log one step in two calls
    ]
    (run / "metrics" / "metrics-20261130-020000.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in second)
    )
    return run


def test_load_training_run_merges_launches(rl_run, caplog):
    assert is_training_run(rl_run)
    run = load_training_run(rl_run)
    assert sorted(run.steps) == [1, 2, 3, 4]
    assert [f.name for f in run.torn_files] == ["metrics-20261130-010000.jsonl"]
    assert "torn last line" in caplog.text
    assert run.relogged_steps == [3]  # step 4 of launch 1 was torn, so only step 3 is re-logged
    assert run.value(3, f"{P}/reward/length/mean") == 0.3  # the resumed launch's value, not 0.99
    assert run.value(3, f"{P}/truncated_ratio") is None  # missing, not 0 and not launch 1's 0.25
    assert run.value(4, "timing_s/step") == 2.5 and run.value(4, f"{P}/length/answer/p50") == 70
    assert run.components == ["format", "length", "quality", "score"]


def test_report_draws_curves_next_to_evaluation_runs(rl_run, tmp_path, capsys):
    # An evaluation run directory of the smallest kind (a ruler run with one prediction).
    ev = tmp_path / "eval-run"
    ev.mkdir()
    (ev / "run.json").write_text(json.dumps({"name": "ruler-x", "benchmark": "ruler", "model": "m"}))
    pred = {"id": "r1", "required": 1000, "answer_len": 800, "language": "en", "error": None}
    (ev / "predictions.jsonl").write_text(json.dumps(pred) + "\n")

    assert cli_main(["report", str(ev), str(rl_run), "--out", str(tmp_path / "rep")]) == 0
    assert "report.html" in capsys.readouterr().out
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    md = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "1 run(s). 1 RL training run(s)." in md and "ruler-x" in md
    assert "## Training curves: rl-tiny" in md and "Training curves: rl-tiny" in html
    header = (
        "| step | reward format | reward length | reward quality | reward score | answer p50 | answer p90 "
        "| plan p50 | plan p90 | truncated | well formed | zero-var groups |"
    )
    assert header in md
    assert "| 1 | 0.900 | 0.100 | 0.400 | 0.600 | 40 | 80 | 12 | 20 | 0.250 | 0.750 | 0.500 |" in md
    assert (
        "| 3 | 0.900 | 0.300 | 0.400 | 0.600 | 60 | 120 | 12 | 20 | – | – | 0.500 |" in md
    )  # missing shown as –
    assert "steps [3] were logged again" in md and "torn last line skipped in metrics-20261130-010000" in md
    assert (
        "![Training curves of rl-tiny" in md and (tmp_path / "rep" / "training-1.png").stat().st_size > 20000
    )
    pngs = dict(
        re.findall(r"<img id='plot-([\w-]+)' [^>]*src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    )
    assert {"scatter", "ruler", "training-1"} <= set(pngs)
    assert base64.b64decode(pngs["training-1"]) == (tmp_path / "rep" / "training-1.png").read_bytes()


def test_report_of_rl_runs_only_and_a_never_logged_metric(tmp_path):
    run = tmp_path / "rl-only"
    (run / "metrics").mkdir(parents=True)
    rows = [_row(s, length=0.1 * s, answer_p50=10 * s, trunc=None) for s in (1, 2)]
    (run / "metrics" / "metrics-1.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    paths = build_report([run], tmp_path / "rep")
    md = paths["md"].read_text(encoding="utf-8")
    assert "Leaderboard" not in md and "## Training curves: rl-only" in md
    assert "never logged: truncated, well formed" in md
    assert curve_rows(load_training_run(run))[1][-3:] == ["–", "–", "0.500"]


def test_a_folder_that_is_neither_kind_is_named(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        FileNotFoundError, match=r"no run.json; an RL run folder has metrics/metrics-\*.jsonl"
    ):
        build_report([tmp_path / "empty"], tmp_path / "rep")
