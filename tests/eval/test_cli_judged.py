"""``longwrite eval arena-write`` and ``longwrite eval writingbench`` through the real CLI against
loopback HTTP writer and judge servers: every run, judge and Elo option reaches run.json."""

import json

from fake_judge import criteria_responder, pairwise_responder, writer_responder
from judged_data import WB_WORDS, WORDS, write_arena, write_writingbench

from longwrite.cli import main as cli_main


def _argv(benchmark, writer, judge, data, out, options):
    """``longwrite eval BENCHMARK`` against these servers, plus ``options`` (one string)."""
    where = f"--endpoint {writer.url} --model {writer.model} --judge-endpoint {judge.url} --judge-model {judge.model}"
    return [
        "eval",
        benchmark,
        *where.split(),
        "--data",
        str(data),
        "--out",
        str(out),
        "--no-progress",
        *options.split(),
    ]


def test_arena_write_cli_passes_every_option(fake_openai, tmp_path, capsys):
    writer = fake_openai(writer_responder(WORDS), model="api-writer")
    judge = fake_openai(pairwise_responder(), model="pair-judge")
    out = tmp_path / "arena"
    elo = "--anchor ref-b --anchor-rating 1200 --elo-prior 0.5 --strong-weight 2 --bootstrap 20 --seed 3"
    judging = "--judge-attempts 2 --judge-max-tokens 300 --judge-temperature 0.2"
    data = write_arena(tmp_path / "arena.jsonl")
    argv = _argv("arena-write", writer, judge, data, out, f"--limit 2 --name cand {elo} {judging}")
    assert cli_main(argv) == 0
    text = capsys.readouterr().out
    assert "Arena-Write: cand" in text and "anchor ref-b" in text and "pairs: 4" in text
    meta = json.loads((out / "run.json").read_text())
    assert meta["name"] == "cand" and meta["data"]["items"] == 2 and meta["model"] == "api-writer"
    assert meta["elo"] == {
        "anchor": "ref-b",
        "anchor_rating": 1200.0,
        "prior": 0.5,
        "strong_weight": 2.0,
        "bootstrap_rounds": 20,
        "seed": 3,
    }
    assert meta["judge"]["max_attempts"] == 2 and meta["judge"]["model"] == "pair-judge"
    assert meta["judge"]["params"] == {"temperature": 0.2, "max_tokens": 300}
    assert all(b["max_tokens"] == 300 and b["temperature"] == 0.2 for b in judge.requests)
    assert len(judge.requests) == 2 * 2 * 2  # two items, two baselines, both orders
    assert (out / "judge_cache.jsonl").exists() and (out / "generation_cache.jsonl").exists()
    assert cli_main(argv) == 0  # resumed: nothing is sent again
    assert len(judge.requests) == 8 and len(writer.requests) == 2


def test_writingbench_cli_passes_every_option(fake_openai, tmp_path, capsys):
    writer = fake_openai(writer_responder(WB_WORDS), model="api-writer")
    judge = fake_openai(criteria_responder(), model="crit-judge")
    out = tmp_path / "wb"
    data = write_writingbench(tmp_path / "wb.jsonl")
    argv = _argv(
        "writingbench",
        writer,
        judge,
        data,
        out,
        "--judge-max-tokens 200 --judge-attempts 4 --template direct",
    )
    assert cli_main(argv) == 0
    text = capsys.readouterr().out
    assert (
        "WritingBench: api-writer (direct)" in text and "Business" in text and "failed: 0 generation" in text
    )
    meta = json.loads((out / "run.json").read_text())
    assert meta["benchmark"] == "writingbench" and meta["settings"]["template"] == "direct"
    assert meta["judge"]["max_attempts"] == 4 and meta["judge"]["params"] == {
        "temperature": 0.0,
        "max_tokens": 200,
    }
    assert (out / "criteria.json").exists() and (out / "judge_cache.jsonl").exists()
    scores = json.loads((out / "scores.json").read_text())
    assert scores["overall"]["n"] == 3 and scores["overall"]["n_scored"] == 3
