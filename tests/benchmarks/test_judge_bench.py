"""The judge benchmark's loopback judge picks its reply by a marker in the prompt, the evaluator's
two judge paths read those replies, and the table has the promised columns."""

from __future__ import annotations

import json
import urllib.request

import pytest

from benchmarks._loopback import pick_reply, start_server
from benchmarks.judge import CLIENTS, LABELS, PAIRWISE_REPLY, _replies, bench_judge, format_rows


def _chat(url: str, *contents: str) -> str:
    body = {"model": "m", "messages": [{"role": "user", "content": c} for c in contents]}
    req = urllib.request.Request(
        f"{url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["choices"][0]["message"]["content"]


def test_pick_reply_first_matching_rule_in_the_last_message():
    when = (("[Answer A]", "pairwise"), ("[Answer", "other"), ("zzz", "never"))
    assert (
        pick_reply({"messages": [{"role": "user", "content": "x [Answer A] y"}]}, "default", when)
        == "pairwise"
    )
    assert pick_reply({"messages": [{"role": "user", "content": "[Answer B]"}]}, "default", when) == "other"
    assert pick_reply({"messages": [{"role": "user", "content": "plain"}]}, "default", when) == "default"
    # only the last message counts (a correction turn after a pairwise prompt is not pairwise)
    two = {"messages": [{"role": "user", "content": "[Answer A]"}, {"role": "user", "content": "again"}]}
    assert pick_reply(two, "default", when) == "default"
    assert pick_reply({"messages": []}, "default", when) == "default"
    assert pick_reply({"messages": [{"role": "user", "content": None}]}, "default", when) == "default"
    assert pick_reply({"messages": [{"role": "user", "content": "[Answer A]"}]}, "default") == "default"


def test_server_answers_by_marker_and_the_judge_parsers_read_it():
    from eval.judge import parse_judgement
    from eval.pairwise import pairwise_prompt, parse_verdict

    text, when = _replies()
    proc, url = start_server(0.01, text, when)
    try:
        pairwise = pairwise_prompt().fill(request="Write.", answer_a="One.", answer_b="Two.")
        got = _chat(url, pairwise)
        assert got == PAIRWISE_REPLY and parse_verdict(got) == ("A>B", None)
        got = _chat(url, "Rate this answer.")
        assert got == text
        parsed = parse_judgement(got)
        assert parsed.error is None and set(parsed.scores.values()) == {4}
        assert _chat(url, pairwise, "plain follow-up") == text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bench_judge_rows_and_table_columns():
    from bench_rows import check_interleaved_rows

    rows = bench_judge(latency=0.01, concurrency=(1, 3), waves=2, repeats=2)
    check_interleaved_rows(rows, CLIENTS, (1, 3), latency=0.01, waves=2, repeats=2)
    lines = format_rows(rows).splitlines()
    assert len(lines) == 3
    for column in ("concurrency", "ideal/s", "of ideal", "CPU", "all runs", "LBW/bare", "arena/bare"):
        assert column in lines[0]
    for name in CLIENTS:
        assert f"{LABELS[name]} /s" in lines[0]
    assert lines[2].split()[:3] == ["3", "6", "300"]


def test_arena_path_needs_an_even_number_of_judgements(tmp_path):
    from benchmarks.judge import _measure_arena

    with pytest.raises(ValueError, match="even"):
        _measure_arena("http://127.0.0.1:9/v1", 3, 1, tmp_path)
