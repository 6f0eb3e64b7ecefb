import json
import subprocess
import sys

import pytest

from longwrite.cli import main
from rewards.cli import parse_options, parse_weights

GOOD = "<think>plan it</think><answer>one two three four five six seven eight nine ten</answer>"


def write_lines(path, lines):
    path.write_text("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n")


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_help_lists_rm_score(repo_root):
    proc = subprocess.run(
        [sys.executable, "-m", "longwrite.cli", "rm", "score", "--help"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "--weights" in proc.stdout and "malformed line" in proc.stdout


def test_score_skips_malformed_lines_with_line_numbers(tmp_path, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(
        inp,
        [
            {"id": "a", "prompt": "Write 10 words", "response": GOOD},
            "{not json",
            {"prompt": "no response"},
            [1, 2],
            {
                "id": "b",
                "prompt": "Write a poem",
                "response": "<answer>hi</answer>",
                "target": {"lower": 5, "upper": 10},
            },
            {"prompt": "p", "response": "r", "target": {"lower": 9, "upper": 1}},
        ],
    )
    rc = main(
        [
            "rm",
            "score",
            "--in",
            str(inp),
            "--out",
            str(out),
            "--rewards",
            "length,format",
            "--weights",
            "length=3",
        ]
    )
    assert rc == 0
    err = capsys.readouterr().err
    for lineno in (2, 3, 4, 6):
        assert f"in.jsonl:{lineno}:" in err
    assert "skipped 4 malformed" in err
    rows = read(out)
    assert [r["id"] for r in rows] == ["a", "b"]
    a, b = (r["reward"] for r in rows)
    assert a["components"] == {"length": 1.0, "format": 1.0} and a["total"] == 1.0
    assert b["components"]["length"] == pytest.approx(0.2)  # 1 word of [5, 10]
    assert b["total"] == pytest.approx((3 * 0.2 + 0.0) / 4)
    assert any("missing_think" in r for r in b["reasons"])
    assert rows[1]["target"] == {"lower": 5, "upper": 10}  # the input is kept as it was


def test_resume_and_overwrite(tmp_path, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(inp, [{"id": i, "prompt": "Write 10 words", "response": GOOD} for i in range(5)])
    args = ["rm", "score", "--in", str(inp), "--out", str(out), "--rewards", "length", "--batch-size", "2"]
    assert main(args) == 0
    full = out.read_text()
    # an interrupted run: two complete lines and a torn third
    lines = full.splitlines(keepends=True)
    out.write_text(lines[0] + lines[1] + lines[2][:10])
    assert main(args) == 2  # refuses to clobber
    assert "exists" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    assert out.read_text() == full
    assert main([*args, "--overwrite"]) == 0
    assert out.read_text() == full


def test_bad_arguments_give_clear_errors(tmp_path, capsys):
    inp = tmp_path / "in.jsonl"
    write_lines(inp, [{"prompt": "p", "response": "r"}])
    out = str(tmp_path / "o.jsonl")
    assert main(["rm", "score", "--in", str(inp), "--out", out, "--rewards", "lenght"]) == 2
    assert "unknown reward 'lenght'" in capsys.readouterr().err
    assert main(["rm", "score", "--in", str(tmp_path / "nope.jsonl"), "--out", out]) == 2
    assert "not found" in capsys.readouterr().err
    assert (
        main(["rm", "score", "--in", str(inp), "--out", out, "--rewards", "length", "--weights", "format=1"])
        == 2
    )
    assert "not among the rewards" in capsys.readouterr().err
    with pytest.raises(ValueError, match="name=weight"):
        parse_weights("length")
    with pytest.raises(ValueError, match="not a number"):
        parse_weights("length=x")
    assert parse_options(["quality.backend=judge", "length.max_ratio=2"]) == {
        "quality": {"backend": "judge"},
        "length": {"max_ratio": 2},
    }
    with pytest.raises(ValueError, match="reward.key=value"):
        parse_options(["backend=judge"])


def test_option_and_config_file(tmp_path):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(inp, [{"prompt": "Write 10 words", "response": GOOD.replace("ten", "ten " + "x " * 5)}])
    cfgfile = tmp_path / "r.yaml"
    cfgfile.write_text("rewards: {length: 1}\noptions: {length: {max_ratio: 1.2}}\n")
    assert main(["rm", "score", "--in", str(inp), "--out", str(out), "--config", str(cfgfile)]) == 0
    v1 = read(out)[0]["reward"]["components"]["length"]
    args = ["rm", "score", "--in", str(inp), "--out", str(out), "--config", str(cfgfile), "--overwrite"]
    assert main([*args, "--option", "length.max_ratio=3"]) == 0
    v2 = read(out)[0]["reward"]["components"]["length"]
    assert 0 <= v1 < v2 < 1  # 15 words over [9, 11]: a later cut-off is more lenient


def test_every_line_malformed_exits_nonzero(tmp_path, capsys):
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    write_lines(inp, ["{not json", {"prompt": "no response"}])
    assert main(["rm", "score", "--in", str(inp), "--out", str(out), "--rewards", "format"]) == 1
    err = capsys.readouterr().err
    assert "in.jsonl:1:" in err and "in.jsonl:2:" in err and "every line" in err
    assert out.read_text() == ""
