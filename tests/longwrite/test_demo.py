"""The demo's pieces that run fast: the per-step table, the data subset, the RL-vs-SFT verdict."""

from __future__ import annotations

import json

import pytest

from longwrite import demo


def _scores(tmp_path, name, s_l):
    d = tmp_path / name
    d.mkdir()
    (d / "scores.json").write_text(json.dumps({"overall": {"n": 3, "S_l": s_l, "S_q": None}}))
    return d


def test_verdict_says_whether_rl_beats_the_sft_writer(tmp_path):
    runs = {"tiny-base": _scores(tmp_path, "b", 2.0), "sft-writer": _scores(tmp_path, "s", 10.5),
            "rl": _scores(tmp_path, "r", 61.25)}  # fmt: skip
    text = demo.length_verdict(runs)
    assert "RL beats the SFT writer on length: 61.2 vs 10.5 (+50.8)" in text
    assert "tiny-base   2.0" in text

    runs["rl"] = _scores(tmp_path, "r2", 9.0)
    assert "RL does NOT beat the SFT writer on length: 9.0 vs 10.5 (-1.5)" in demo.length_verdict(runs)


def test_verdict_with_a_run_without_s_l_is_not_a_comparison(tmp_path):
    runs = {"sft-writer": _scores(tmp_path, "s", 10.0), "rl": _scores(tmp_path, "r", None)}
    text = demo.length_verdict(runs)
    assert "not comparable" in text and "beats" not in text


def test_table_has_a_line_per_step_and_a_dash_for_missing_values():
    rows = [{"step": 1, "longwriter/reward/length/mean": 0.25}, {"step": 2}]
    lines = demo.format_table(rows).splitlines()
    assert len(lines) == 3 and lines[0].split()[:2] == ["step", "length"]
    assert lines[1].split()[:2] == ["1", "0.250"]
    assert lines[2].split()[1] == "-"


def test_subset_keeps_items_within_reach_and_data_errors_name_the_command(tmp_path):
    src = tmp_path / "lbw.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "length": n}) + "\n" for i, n in enumerate([100, 300, 301, 5000]))
    )
    assert demo._subset(src, tmp_path / "out" / "x.jsonl", 300) == 2
    assert [json.loads(x)["length"] for x in (tmp_path / "out" / "x.jsonl").read_text().splitlines()] == [
        100,
        300,
    ]
    with pytest.raises(FileNotFoundError, match="longwrite data get"):
        demo.resolve_data(tmp_path / "nowhere")


def test_demo_options_must_be_positive_integers(capsys):
    from longwrite.cli import main

    for bad in (["--steps", "0"], ["--ruler-items", "x"]):
        with pytest.raises(SystemExit) as exc:
            main(["demo", *bad])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "expected a positive integer, got '0'" in err and "expected a positive integer, got 'x'" in err
