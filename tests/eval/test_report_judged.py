"""The report's Arena-Write, WritingBench and comparability sections over real run directories
(made through the CLI against loopback HTTP writers and judges)."""

import math
import re

import pytest
from fake_judge import criteria_responder, judge_responder, pairwise_responder, writer_responder
from judged_data import WB_WORDS, WORDS, write_arena, write_writingbench

from eval.report import build_report
from longwrite.cli import main as cli_main


def _eval(kind, writer, judge, data, out, *extra):
    argv = ["eval", kind, "--endpoint", writer.url, "--model", writer.model, "--judge-endpoint", judge.url]
    argv += ["--judge-model", judge.model, "--data", str(data), "--out", str(out), "--no-progress", *extra]
    return cli_main(argv)


@pytest.fixture
def judged_runs(fake_openai, tmp_path, longbench_dir):
    arena = write_arena(tmp_path / "arena.jsonl")
    wb = write_writingbench(tmp_path / "wb.jsonl")
    pj = fake_openai(pairwise_responder(always_bad={"zebra"}), model="pair-judge")
    cj = fake_openai(criteria_responder(), model="crit-judge")
    words = {**WORDS, **WB_WORDS}
    long_w = fake_openai(writer_responder(words), model="long-w")
    short_w = fake_openai(writer_responder({k: v // 2 for k, v in words.items()}), model="short-w")
    runs = {}
    for w in (long_w, short_w):
        runs[f"arena-{w.model}"] = tmp_path / f"arena-{w.model}"
        assert _eval("arena-write", w, pj, arena, runs[f"arena-{w.model}"], "--anchor", "ref-a") == 0
        runs[f"wb-{w.model}"] = tmp_path / f"wb-{w.model}"
        assert _eval("writingbench", w, cj, wb, runs[f"wb-{w.model}"]) == 0
    # A WritingBench run with another judge prompt, and LongBench-Write runs with two judges:
    # not comparable, and must be flagged so.
    prompt = tmp_path / "my-criteria.txt"
    prompt.write_text(
        "Q: {{request}}\nA: {{answer}}\nC: {{criterion}}\nJSON score + justification.", encoding="utf-8"
    )
    runs["wb-other-prompt"] = tmp_path / "wb-other"
    assert (
        _eval(
            "writingbench",
            long_w,
            cj,
            wb,
            runs["wb-other-prompt"],
            "--judge-prompt",
            str(prompt),
            "--name",
            "long-w-p2",
        )
        == 0
    )
    for judge_name in ("judge-1", "judge-2"):
        j = fake_openai(judge_responder(), model=judge_name)
        runs[f"lbw-{judge_name}"] = tmp_path / f"lbw-{judge_name}"
        rc = _eval(
            "longbench-write",
            long_w,
            j,
            longbench_dir / "longbench_write.jsonl",
            runs[f"lbw-{judge_name}"],
            "--limit",
            "3",
            "--name",
            f"long-w ({judge_name})",
        )
        assert rc == 0
    return runs


def test_report_with_judged_sections(judged_runs, tmp_path, capsys):
    out = tmp_path / "report"
    assert cli_main(["report", *map(str, judged_runs.values()), "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    for title in (
        "Arena-Write Elo",
        "Arena-Write win/tie/loss matrix",
        "WritingBench by domain (x10)",
        "Comparability",
        "Leaderboard (LongBench-Write)",
    ):
        assert f"## {title}" in md and title in html
    # One joint Elo fit over both arena runs: baselines ref-a (anchor, 1000) and ref-b, and both models.
    elo_rows = {
        r.split("|")[1].strip(): r
        for r in md.split("## Arena-Write Elo")[1].split("\n\n")[1].splitlines()[2:]
    }
    assert set(elo_rows) == {"long-w (plan_write)", "short-w (plan_write)", "ref-a", "ref-b"}
    assert "| baseline (anchor) | 1000.0 |" in elo_rows["ref-a"]
    # Hand-worked for the long writer alone is in test_arena_write; here: the long writer out-rates
    # the short one (the judge prefers longer answers).
    rating = {k: float(v.split("|")[3]) for k, v in elo_rows.items()}
    assert rating["long-w (plan_write)"] > rating["short-w (plan_write)"]
    assert all(math.isfinite(v) for v in rating.values())
    # The style-controlled column beside the raw one, and what it controls for.
    assert "| Elo | 95% interval | style-controlled Elo | 95% interval |" in md
    styled = {k: v.split("|")[5].strip() for k, v in elo_rows.items()}
    assert all(math.isfinite(float(v)) for v in styled.values()), styled
    assert "style-controlled: the same fit with answer length and markdown counts" in md
    # Both orders of a3 vs ref-b failed for each model: listed, not ties.
    assert "a3::@model::ref-b" in md and "unreadable judge reply" in md
    # WritingBench by domain, and the flags: the other criteria prompt, the second LBW judge.
    assert "| long-w (plan_write) |" in md.split("## WritingBench by domain")[1]
    assert "| WritingBench Overall (x10) | protocol |" in md.split("## WritingBench (per-query criteria)")[1]
    assert "long-w-p2 ⚠ not comparable (group 2)" in md
    assert "long-w (judge-2) ⚠ not comparable (group 2)" in md.split("## Leaderboard")[1]
    comp = md.split("## Comparability")[1].split("\n## ")[0]
    assert re.search(r"\| longbench-write \| long-w \(judge-2\) \| 2 \| judge: judge-2 \(not judge-1\)", comp)
    assert re.search(r"\| writingbench \| long-w-p2 \| 2 \| judge prompt: \w{12} \(not \w{12}\)", comp)
    assert "3 run(s) used another judge" not in comp and "2 run(s) used another judge" in comp
    # Plots: the LongBench-Write ones plus the Elo plot, all embedded.
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == 4 and "id='plot-elo'" in html and (out / "elo.png").stat().st_size > 5000


def test_report_only_judged_runs_and_name_clash(judged_runs, tmp_path):
    paths = build_report([judged_runs["arena-long-w"], judged_runs["wb-long-w"]], tmp_path / "r")
    md = paths["md"].read_text(encoding="utf-8")
    assert "Arena-Write Elo" in md and "WritingBench" in md and "Leaderboard" not in md
    assert "every run used the same judge" in md
    with pytest.raises(ValueError, match="share the name"):
        build_report([judged_runs["arena-long-w"], judged_runs["arena-long-w"]], tmp_path / "r2")
