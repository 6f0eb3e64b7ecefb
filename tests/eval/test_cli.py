"""``longwrite eval ...`` through the real CLI against loopback HTTP writer and judge servers."""

import json

from fake_judge import judge_responder, writer_responder

from longwrite.cli import main as cli_main


def test_eval_longbench_write_and_ruler_cli(fake_openai, longbench_dir, tmp_path, capsys):
    writer = fake_openai(writer_responder(default_words=120), model="api-writer")
    judge = fake_openai(judge_responder(), model="api-judge")
    out = tmp_path / "run"
    argv = [
        "eval",
        "longbench-write",
        "--endpoint",
        writer.url,
        "--model",
        "api-writer",
        "--judge-endpoint",
        judge.url,
        "--judge-model",
        "api-judge",
        "--data",
        str(longbench_dir / "longbench_write.jsonl"),
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
    assert "checkpoint not found" in capsys.readouterr().err
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
