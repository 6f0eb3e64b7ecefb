"""The demo's pieces that run fast: the options, the data, the stages' logs and the verdict.

The verdict is tested on constructed LongBench-Write run folders (``scores.json`` items and
``predictions.jsonl`` answers, the files ``longwrite eval`` writes); the whole path runs in the
slow ``tests/longwrite/test_demo_path.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from longwrite import demo

VARIED = (
    "The harbour town woke slowly: gulls argued over the nets, a baker swept flour from his step, "
    "and the ferry captain counted passengers twice because the fog made every face a stranger."
)
PADDED = "The town is nice. The town is nice. The town is nice. The town is nice. The town is nice. "


def _run(tmp_path, name, s_l_per_item: dict, answer: str):
    """A LongBench-Write run folder with one scored item per entry (None: a failed generation)."""
    d = tmp_path / name
    d.mkdir()
    items = [{"id": i, "S_l": v} for i, v in s_l_per_item.items()]
    ok = [v for v in s_l_per_item.values() if v is not None]
    overall = {"n": len(items), "S_l": sum(ok) / len(ok) if ok else None, "S_q": None}
    (d / "scores.json").write_text(json.dumps({"overall": overall, "items": items}))
    preds = [{"id": i, "answer": answer, "answer_len": len(answer.split())} for i in s_l_per_item]
    (d / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))
    return d


def test_rl_beating_the_sft_writer_on_the_same_items_passes_and_names_the_monitors(tmp_path):
    runs = {
        "tiny-base": _run(tmp_path, "b", {"1": 2.0, "2": 2.0}, VARIED),
        "sft-writer": _run(tmp_path, "s", {"1": 10.0, "2": 11.0}, VARIED),
        "rl": _run(tmp_path, "r", {"1": 60.0, "2": 62.5}, PADDED * 4),
    }
    v = demo.compare_runs(runs)
    assert v.ok, v.text
    assert "RL beats the SFT writer on length: 61.2 vs 10.5 (+50.8)" in v.text
    assert "monitors: distinct-1 " in v.text and "(padding signs)" in v.text
    assert "tiny-base   2.0 (2 items)" in v.text
    # The padded answers repeat: distinct-1 falls and compression rises from the SFT run to RL.
    d1 = v.reason.split("distinct-1 ")[1].split(",")[0].split(" -> ")
    assert float(d1[0]) > float(d1[1])


def test_rl_not_beating_the_sft_writer_fails(tmp_path):
    runs = {
        "sft-writer": _run(tmp_path, "s", {"1": 10.0, "2": 11.0}, VARIED),
        "rl": _run(tmp_path, "r", {"1": 9.0, "2": 9.0}, VARIED),
    }
    v = demo.compare_runs(runs)
    assert not v.ok
    assert v.reason.startswith("RL does NOT beat the SFT writer on length: 9.0 vs 10.5 (-1.5); monitors:")
    assert "(no padding sign)" in v.reason


def test_runs_over_different_items_are_refused_even_when_rl_scores_higher(tmp_path):
    runs = {
        "sft-writer": _run(tmp_path, "s", {"1": 10.0, "2": 11.0, "3": None}, VARIED),
        "rl": _run(tmp_path, "r", {"1": 90.0, "2": 90.0, "3": 90.0}, VARIED),
    }
    v = demo.compare_runs(runs)
    assert not v.ok and "beats" not in v.text
    assert "scored different items (3 vs 2; only RL: ['3'], only SFT: [])" in v.reason


def test_a_run_without_s_l_is_not_a_comparison(tmp_path):
    runs = {
        "sft-writer": _run(tmp_path, "s", {}, VARIED),
        "rl": _run(tmp_path, "r", {}, VARIED),
    }
    v = demo.compare_runs(runs)
    assert not v.ok and "not comparable" in v.reason and "beats" not in v.text


def test_table_has_a_line_per_step_and_a_dash_for_missing_values():
    rows = [{"step": 1, "longwriter/reward/length/mean": 0.25}, {"step": 2}]
    lines = demo.format_table(rows).splitlines()
    assert len(lines) == 3 and lines[0].split()[:2] == ["step", "length"]
    assert lines[1].split()[:2] == ["1", "0.250"]
    assert lines[2].split()[1] == "-"


def test_subset_keeps_items_within_reach(tmp_path):
    src = tmp_path / "lbw.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "length": n}) + "\n" for i, n in enumerate([100, 300, 301, 5000]))
    )
    assert demo._subset(src, tmp_path / "out" / "x.jsonl", 300) == 2
    lengths = [json.loads(x)["length"] for x in (tmp_path / "out" / "x.jsonl").read_text().splitlines()]
    assert lengths == [100, 300]


def test_without_data_the_demo_reads_the_cache_longwrite_data_get_fills(tmp_path, monkeypatch, longbench_dir):
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("longbench_write.jsonl", "longwrite_ruler.jsonl"):
        shutil.copy(longbench_dir / name, cache / name)
    monkeypatch.setenv("LONGWRITE_DATA_DIR", str(cache))
    monkeypatch.setattr(demo, "DEFAULT_DATA", tmp_path / "no-shared")
    assert demo.resolve_data(None) == (cache / "longbench_write.jsonl", cache / "longwrite_ruler.jsonl")
    # A cached file changed since its download is refused (its sha256), not read.
    with (cache / "longwrite_ruler.jsonl").open("a") as f:
        f.write("\n")
    with pytest.raises(ValueError, match="longwrite data get ruler"):
        demo.resolve_data(None)


def test_missing_data_is_an_error_naming_longwrite_data_get(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGWRITE_DATA_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(demo, "DEFAULT_DATA", tmp_path / "no-shared")
    with pytest.raises(FileNotFoundError, match="longwrite data get longbench-write"):
        demo.resolve_data(None)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "longbench_write.jsonl").write_text("")
    with pytest.raises(FileNotFoundError, match="lacks longwrite_ruler.jsonl"):
        demo.resolve_data(tmp_path / "d")


def test_every_option_is_checked_before_work_starts(tmp_path, monkeypatch, capsys):
    from longwrite.cli import main

    for bad in (["--steps", "0"], ["--ruler-items", "x"]):
        with pytest.raises(SystemExit) as exc:
            main(["demo", *bad])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "expected a positive integer, got '0'" in err and "expected a positive integer, got 'x'" in err

    def no_work(*a, **k):
        raise AssertionError("the demo started work with a bad option")

    monkeypatch.setattr(demo, "run", no_work)
    out = tmp_path / "out"
    data = tmp_path / "d"
    data.mkdir()
    for name in ("longbench_write.jsonl", "longwrite_ruler.jsonl"):
        (data / name).write_text("")
    assert (
        main(["demo", "--data", str(data), "--out", str(out), "--judge-endpoint", "http://127.0.0.1:9"]) == 2
    )
    assert "--judge-endpoint needs --judge-model too" in capsys.readouterr().err
    assert main(["demo", "--data", str(data), "--out", str(out), "--judge-model", "gpt-x"]) == 2
    assert "--judge-model needs --judge-endpoint too" in capsys.readouterr().err
    assert main(["demo", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "lacks longbench_write.jsonl and longwrite_ruler.jsonl" in capsys.readouterr().err
    assert not out.exists()
    opts = demo.check_options(out, data, 3, judge_endpoint="http://127.0.0.1:9", judge_model="m")
    assert opts.judge == ("--judge-endpoint", "http://127.0.0.1:9", "--judge-model", "m")
    assert opts.steps == 3 and not opts.verbose


def test_a_stage_prints_one_line_and_writes_every_output_to_its_log(tmp_path, capfd):
    log = tmp_path / "logs" / "x.log"
    timings: dict[str, float] = {}
    with demo.stage("build", log, False, timings):
        print("python noise")
        subprocess.run(
            [sys.executable, "-c", "import sys; print('child out'); print('child err', file=sys.stderr)"]
        )
    out, err = capfd.readouterr()
    assert "build: done in" in out and str(log) in out
    assert "noise" not in out + err and "child" not in out + err
    text = log.read_text()
    assert "python noise" in text and "child out" in text and "child err" in text
    assert set(timings) == {"build"}

    with pytest.raises(RuntimeError), demo.stage("broken", tmp_path / "b.log", False, timings):
        print("the reason it broke")
        raise RuntimeError("boom")
    out, err = capfd.readouterr()
    assert "the reason it broke" in err and "broken failed; log:" in err  # the tail, then where


def test_a_failing_command_stage_shows_the_log_tail_and_a_one_line_reason(tmp_path, capfd):
    log = tmp_path / "report.log"
    rc = demo.cli_stage(
        "report", ["report", str(tmp_path / "no-run"), "--out", str(tmp_path / "r")], log, False, {}
    )
    out, err = capfd.readouterr()
    assert rc != 0
    assert f"demo failed: report exited {rc}; log: {log}" in err
    assert "no-run" in log.read_text() and "no-run" in err  # the tail carries the command's reason


def test_a_long_stage_shows_its_step_every_tenth_of_the_way(tmp_path, capfd):
    # verl's SFT bar (tqdm: carriage returns, no newlines), written by a child into the stage's log.
    bar = "".join(
        f"\rEpoch {e}/2:  {n * 10}%|####      | {n}/10 [00:01<00:02,  1.2it/s]"
        for e in (1, 2)
        for n in range(1, 11)
    )
    code = f"import sys, time\nfor part in {bar.split(chr(13))!r}:\n    sys.stderr.write(chr(13) + part); sys.stderr.flush(); time.sleep(0.01)\n"
    with demo.stage("writer", tmp_path / "w.log", False, {}, progress=demo.sft_progress):
        subprocess.run([sys.executable, "-c", code], check=True)
        import time

        time.sleep(2.5)  # the watcher reads the log every 2 s
    out, err = capfd.readouterr()
    assert "Epoch" not in out + err  # verl's bar stays in the log
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("writer: step")]
    assert lines and lines[-1].startswith("writer: step 20/20"), out
    assert len(lines) <= 11
    assert demo.sft_progress("Epoch 2/3:  45%|####5     | 68/150 [02:03<07:19,  5.36s/it]") == (218, 450)
    assert demo.sft_progress("step:69 - train/loss:2.2") is None


def test_dpo_flag_evaluates_and_reports_the_dpo_model_beside_the_others(
    tmp_path, monkeypatch, capsys, longbench_dir
):
    """``--dpo``: the DPO model is evaluated on the same items as base, SFT and RL, its runs go into
    the one report, its S_l is printed beside the verdict, and the verdict stays RL vs SFT. The
    stages are recorded here instead of run (the real eval/report path runs in the slow
    test_demo_path.py, and DPO's own learning path in tests/sft_baseline/test_dpo_learning.py)."""
    opts = demo.check_options(out=tmp_path / "demo", data=longbench_dir, dpo=True)
    assert opts.dpo
    calls = []
    s_l = {"tiny-base": 10.0, "sft-writer": 30.0, "dpo": 45.0, "rl": 60.0}

    def fake_stage(name, argv, log, verbose, timings):
        calls.append(list(argv))
        if argv[0] == "eval":
            out = Path(argv[argv.index("--out") + 1])
            if out.name == "lbw":
                out.parent.mkdir(parents=True, exist_ok=True)
                _run(out.parent, "lbw", {"a": s_l[argv[argv.index("--name") + 1]], "b": 50.0}, VARIED)
        return 0

    monkeypatch.setattr(demo, "cli_stage", fake_stage)
    monkeypatch.setattr(demo, "export_latest", lambda run_dir, out: out)
    from longwrite.learning import LearningRun

    rl = LearningRun("long", tmp_path / "rl", [], 0, 1.0)
    rc = demo.evaluate_and_compare(
        opts, tmp_path / "writer", rl, extra_models={"dpo": tmp_path / "dpo-final"}
    )
    assert rc == 0
    evals = [c for c in calls if c[0] == "eval"]
    names = [c[c.index("--name") + 1] for c in evals]
    assert names == ["tiny-base"] * 2 + ["sft-writer"] * 2 + ["dpo"] * 2 + ["rl"] * 2
    dpo_models = {c[c.index("--model") + 1] for c in evals if c[c.index("--name") + 1] == "dpo"}
    assert dpo_models == {str(tmp_path / "dpo-final")}
    lbw_data = [c[c.index("--data") + 1] for c in evals if c[1] == "longbench-write"]
    assert len(lbw_data) == 4 and len(set(lbw_data)) == 1  # every model, the same items
    report = next(c for c in calls if c[0] == "report")
    assert str(tmp_path / "demo" / "eval" / "dpo" / "lbw") in report
    out = capsys.readouterr().out
    assert "RL beats the SFT writer on length" in out
    assert "  dpo: S_l 47.5 on the same items (SFT writer 40.0)" in out
