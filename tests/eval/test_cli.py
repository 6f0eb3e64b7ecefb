"""``longwrite eval ...`` through the real CLI against loopback HTTP writer and judge servers."""

import json

from fake_judge import judge_responder, writer_responder

from longwrite.cli import main as cli_main


def _lbw_argv(fake_openai, longbench_dir) -> tuple:
    """(writer, judge, argv): ``longwrite eval longbench-write`` against a loopback API writer
    (120 words) and judge."""
    writer = fake_openai(writer_responder(default_words=120), model="api-writer")
    judge = fake_openai(judge_responder(), model="api-judge")
    argv = ["eval", "longbench-write", "--endpoint", writer.url, "--model", "api-writer",
            "--judge-endpoint", judge.url, "--judge-model", "api-judge",
            "--data", str(longbench_dir / "longbench_write.jsonl")]  # fmt: skip
    return writer, judge, argv


def test_eval_longbench_write_and_ruler_cli(fake_openai, longbench_dir, tmp_path, capsys):
    writer, judge, lbw = _lbw_argv(fake_openai, longbench_dir)
    out = tmp_path / "run"
    argv = [
        *lbw,
        "--out",
        str(out),
        "--limit",
        "4",
        "--template",
        "direct",
        "--max-tokens",
        "256",
        "--no-progress",
    ]
    assert cli_main(argv) == 0
    text = capsys.readouterr().out
    assert "LongBench-Write: api-writer (direct)" in text and "overall" in text and "[0,500)" in text
    scores = json.loads((out / "scores.json").read_text())
    assert scores["overall"]["n"] == 4 and scores["overall"]["n_quality"] == 4
    assert (
        scores["run"]["settings"]["template"] == "direct" and scores["run"]["judge"]["model"] == "api-judge"
    )
    assert (out / "judge_cache.jsonl").exists() and (out / "generation_cache.jsonl").exists()
    # Re-running resumes: nothing is sent again.
    sent = len(writer.requests) + len(judge.requests)
    assert cli_main(argv) == 0
    assert len(writer.requests) + len(judge.requests) == sent

    ruler_out = tmp_path / "ruler"
    assert (
        cli_main(
            [
                "eval",
                "ruler",
                "--endpoint",
                writer.url,
                "--model",
                "api-writer",
                "--data",
                str(longbench_dir / "longwrite_ruler.jsonl"),
                "--out",
                str(ruler_out),
                "--limit",
                "3",
                "--tolerance",
                "0.3",
                "--no-progress",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "LongWrite-Ruler" in text and "±30%" in text and "largest required length met: none" in text
    assert json.loads((ruler_out / "ruler.json").read_text())["tolerance"] == 0.3


def test_eval_cli_bad_input(tmp_path, capsys, longbench_dir):
    data = str(longbench_dir / "longbench_write.jsonl")
    assert cli_main(["eval", "longbench-write", "--model", "m", "--data", data, "--out", str(tmp_path)]) == 2
    assert "--judge-endpoint" in capsys.readouterr().err
    assert (
        cli_main(
            [
                "eval",
                "longbench-write",
                "--model",
                "m",
                "--no-judge",
                "--data",
                str(tmp_path / "x.jsonl"),
                "--out",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "data file not found" in capsys.readouterr().err
    assert (
        cli_main(
            [
                "eval",
                "ruler",
                "--model",
                str(tmp_path / "no-ckpt"),
                "--data",
                data,
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "model path not found" in capsys.readouterr().err
    # A hub id is not refused as a path; offline (as here) it cannot be resolved, and says so.
    hub = [
        "eval",
        "ruler",
        "--model",
        "Qwen/Qwen2.5-7B-Instruct",
        "--data",
        data,
        "--out",
        str(tmp_path / "h"),
    ]
    assert cli_main(hub) == 2
    err = capsys.readouterr().err
    assert "cannot be resolved offline" in err and "model path not found" not in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "length": 10}\n{"prompt": "y"}\n', encoding="utf-8")
    assert (
        cli_main(
            [
                "eval",
                "ruler",
                "--model",
                "m",
                "--endpoint",
                "http://127.0.0.1:9/v1",
                "--data",
                str(bad),
                "--out",
                str(tmp_path / "o2"),
            ]
        )
        == 2
    )
    assert "bad.jsonl:2" in capsys.readouterr().err


def test_protocol_longbench_write_uses_the_official_settings(fake_openai, longbench_dir, tmp_path, capsys):
    writer, judge, lbw = _lbw_argv(fake_openai, longbench_dir)
    out = tmp_path / "run"
    base = [
        *lbw,
        "--limit",
        "2",
        "--no-progress",
        "--protocol",
        "longbench-write",
    ]
    assert cli_main([*base, "--out", str(out)]) == 0
    assert "without --judge-prompt" in capsys.readouterr().err  # our prompt is said, not hidden
    # The writer gets the bare prompt (no system turn) at temperature 0.5 with 32768 new tokens.
    w = writer.requests[0]
    assert [m["role"] for m in w["messages"]] == ["user"]
    assert (w["temperature"], w["max_tokens"]) == (0.5, 32768)
    # The judge runs at temperature 0.5 with a 1024-token reply budget.
    j = judge.requests[0]
    assert (j["temperature"], j["max_tokens"]) == (0.5, 1024)
    # The whole response is measured and judged, plan and tags included, as pred.py counts it:
    # "think" + 5 plan words + "think" + "answer" + 120 x "word" + "answer" = 129.
    preds = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert {p["answer_len"] for p in preds} == {129}
    assert all("<think>a plan in three parts</think>" in m["messages"][0]["content"] for m in judge.requests)
    run = json.loads((out / "run.json").read_text())
    assert run["protocol"] == "longbench-write" and run["settings"]["measure"] == "response"
    assert run["judge"]["params"] == {"temperature": 0.5, "max_tokens": 1024}
    assert run["judge"]["max_attempts"] == 5
    # An option that contradicts the protocol is refused, not silently overridden or obeyed.
    for extra in (["--template", "plan_write"], ["--judge-temperature", "0"], ["--judge-max-tokens", "512"]):
        assert cli_main([*base, "--out", str(tmp_path / "x"), *extra]) == 2
        assert "conflicts with it" in capsys.readouterr().err


def test_eval_without_a_judge_prints_not_judged(fake_openai, longbench_dir, tmp_path, capsys):
    writer = fake_openai(writer_responder(default_words=120), model="api-writer")
    argv = ["eval", "longbench-write", "--endpoint", writer.url, "--model", "api-writer", "--no-judge",
            "--data", str(longbench_dir / "longbench_write.jsonl"), "--out", str(tmp_path / "run"),
            "--limit", "2", "--max-tokens", "256", "--no-progress"]  # fmt: skip
    assert cli_main(argv) == 0
    overall = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("overall"))
    assert overall.split()[1] == "2" and overall.count("not judged") == 2, overall
