"""Reports over real run directories (made through loopback HTTP writer and judge servers)."""

import json
import re

import pytest
from fake_judge import judge_responder, writer_responder

from eval.generate import EndpointBackend, GenerationSettings
from eval.longbench_write import run_longbench_write
from eval.report import build_report
from eval.ruler import max_met_length, ruler_curve, run_ruler
from longwrite.cli import main as cli_main
from rollout.endpoint import EndpointClient


def _client(server, path):
    return EndpointClient(server.url, server.model, cache_path=path, max_retries=0)


@pytest.fixture
def runs(fake_openai, tmp_path, longbench_dir):
    judge = fake_openai(judge_responder(always_bad={"Christmas Cactus"}), model="judge-x")
    dirs = []
    s = GenerationSettings(max_tokens=64)
    for name, words in (("short-writer", 80), ("long-writer", 900)):
        w = fake_openai(writer_responder(default_words=words), model=name)
        out = tmp_path / name
        run_longbench_write(
            longbench_dir / "longbench_write.jsonl",
            out,
            EndpointBackend(_client(w, tmp_path / f"{name}.g")),
            s,
            judge_client=_client(judge, tmp_path / f"{name}.j"),
            limit=8,
            progress=False,
        )
        dirs.append(out)
    w = fake_openai(
        writer_responder({"1000": 950, "2000": 1900, "5000": 2500}, default_words=3000), model="ruler-w"
    )
    run_ruler(
        longbench_dir / "longwrite_ruler.jsonl",
        tmp_path / "ruler",
        EndpointBackend(_client(w, tmp_path / "r.g")),
        s,
        limit=24,  # required 1000, 2000 and 5000 (8 prompts each)
        progress=False,
    )
    dirs.append(tmp_path / "ruler")
    return dirs


def test_report_html_and_md(runs, tmp_path, capsys):
    # Through the CLI (which prints the leaderboard), then the files themselves.
    assert cli_main(["report", *map(str, runs), "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "short-writer" in out and "report.html" in out
    paths = {"html": tmp_path / "report" / "report.html", "md": tmp_path / "report" / "report.md"}
    html = paths["html"].read_text(encoding="utf-8")
    md = paths["md"].read_text(encoding="utf-8")
    for name in ("short-writer", "long-writer", "ruler-w"):
        assert name in html and name in md
    assert "<table>" in html and "Leaderboard" in html and "[0,500)" in html
    assert "## By type" in md and "Community Forum" in md  # a LongBench-Write type
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == 3 and all(len(i) > 5000 for i in images)  # scatter, ruler, dimensions
    assert "src='http" not in html and 'src="http' not in html  # self-contained
    assert "| model | items | S_l | S_q | S̄ |" in md and "![" in md
    assert all(
        (tmp_path / "report" / f"{k}.png").stat().st_size > 5000 for k in ("scatter", "ruler", "dimensions")
    )
    # Metadata: judge prompt version and hash, template, sampling.
    meta = json.loads((runs[0] / "run.json").read_text())
    assert meta["judge"]["prompt_hash"] in html and "lw-judge-v1" in md and "temperature 0.5" in md
    # Failures listed with their reasons (the Christmas Cactus item's judge never answers in JSON).
    assert "unreadable judge reply" in html and "Failures (2)" in md
    # The ruler run: 1000 and 2000 met within 20%; 5000 (2500 produced) is not.
    assert "| ruler-w (plan_write) | ruler | ±20% | 2000 |" in md
    # Reward-hacking monitors per model, from each run's own answers.
    section = md.split("## Reward-hacking monitors", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "distinct" not in line]
    assert len(rows) == 3 and all(re.search(r"\| \d+ \| 0\.\d{3} \|", row) for row in rows), rows
    # The loopback writer repeats a few words: the monitors see text that compresses > 10x.
    assert all(float(row.split("|")[7]) > 10 for row in rows), rows


def test_ruler_curve_and_tolerance():
    preds = [{"required": 1000, "answer_len": n} for n in (900, 1100, 700)]
    preds += [{"required": 5000, "answer_len": n} for n in (4100, 4000, 6100)]
    preds += [{"required": 10000, "answer_len": None, "error": "endpoint error"}]
    curve = ruler_curve(preds, tolerance=0.2)
    assert [p["required"] for p in curve] == [1000, 5000, 10000]
    assert curve[0]["median"] == 900 and curve[0]["met"] and curve[0]["within"] == pytest.approx(2 / 3)
    assert curve[1]["median"] == 4100 and curve[1]["met"]
    assert curve[2]["n_failed"] == 1 and not curve[2]["met"]
    assert max_met_length(curve) == 5000
    assert max_met_length(ruler_curve(preds, tolerance=0.1)) == 1000
    with pytest.raises(ValueError):
        ruler_curve(preds, tolerance=1.5)


def test_report_bad_input(tmp_path, capsys):
    assert cli_main(["report", str(tmp_path / "nope"), "--out", str(tmp_path / "r3")]) == 2
    assert "not a run directory" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no run"):
        build_report([], tmp_path / "r4")


def test_a_run_without_a_judge_reads_not_judged_never_zero(fake_openai, tmp_path, longbench_dir, capsys):
    w = fake_openai(writer_responder(default_words=200), model="unjudged-writer")
    out = tmp_path / "unjudged"
    run_longbench_write(longbench_dir / "longbench_write.jsonl", out, EndpointBackend(_client(w, tmp_path / "g")),
                        GenerationSettings(max_tokens=64), judge_client=None, limit=3, progress=False)  # fmt: skip
    assert cli_main(["report", str(out), "--out", str(tmp_path / "report")]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("unjudged-writer"))
    assert re.search(r"\s3\s+\d+\.\d\s+not judged\s+not judged\s+0\s+0\s*$", row), row
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert re.search(
        r"\| unjudged-writer[^|]* \| 3 \| \d+\.\d \| not judged \| not judged \| 0 \| 0 \|", md
    ), md


def test_the_report_opens_with_the_leaderboard_and_the_models_side_by_side(runs, tmp_path):
    # What a reader came for first; the comparability and metadata tables after, all still there.
    paths = build_report(runs, tmp_path / "report")
    md = paths["md"].read_text(encoding="utf-8")
    heads = [line for line in md.splitlines() if line.startswith(("## ", "!["))]
    assert heads[0] == "## Leaderboard (LongBench-Write)", heads
    assert heads[1].startswith("![Required vs produced length") and heads[1].endswith("(scatter.png)"), heads
    for later in ("## Comparability", "## Runs", "## Reward-hacking monitors", "## Plots"):
        assert later in heads[2:], heads
    html = paths["html"].read_text(encoding="utf-8")
    first = html.index("<h2>Leaderboard (LongBench-Write)</h2>")
    assert first < html.index("id='plot-scatter'") < html.index("<h2>Comparability</h2>")
    assert html.count("id='plot-scatter'") == 1 and html.count("<img ") == 3  # every plot once
    assert md.count("scatter.png") == 1
