"""WritingBench-style criteria judging over loopback HTTP: a writer and a criteria judge on
127.0.0.1 that sometimes fails, answers truncated JSON or never answers readably."""

import json

import pytest
from fake_judge import criteria_responder, criterion_score, writer_responder
from judged_data import WB_WORDS, write_writingbench

from eval.generate import EndpointBackend, GenerationSettings
from eval.writingbench import load_writingbench, parse_criterion_score, run_writingbench


def test_writingbench_run(fake_openai, tmp_path):
    data = write_writingbench(tmp_path / "wb.jsonl")
    writer = fake_openai(writer_responder(WB_WORDS), model="w")
    # q1's Tone criterion is never read (prose); q2's Depth first gets truncated JSON (fixed by the
    # correction turn); q3's first request is an HTTP 500.
    judge = fake_openai(
        criteria_responder(always_bad={"Name: Tone"}, bad_once={"Name: Depth"}, error_once={"budgets"}),
        model="crit-judge",
    )

    def run(cache="jc.jsonl"):
        from rollout.endpoint import EndpointClient

        return run_writingbench(
            data,
            tmp_path / "run",
            EndpointBackend(EndpointClient(writer.url, "w", cache_path=tmp_path / "g.jsonl", max_retries=0)),
            GenerationSettings(max_tokens=64),
            judge_client=EndpointClient(judge.url, "crit-judge", cache_path=tmp_path / cache, max_retries=0),
            name="w-run",
            progress=False,
        )

    res = run()
    assert all("a plan in three parts" not in json.dumps(b) for b in judge.requests)  # plan stripped
    # The score the judge sent for each criterion, read off what the server received.
    sent = {}
    for body in judge.requests:
        first = body["messages"][0]["content"]
        name = first.split("Name: ", 1)[1].split("\n", 1)[0]
        sent[name] = criterion_score(first)
    items = {r["id"]: r for r in res["items"]}
    assert items["q1"]["score"] is None and "Tone: unreadable judge reply" in items["q1"]["judge_error"]
    assert items["q1"]["criteria"]["Fit"]["score"] == sent["Fit"]  # the judged criterion is kept
    q2 = (sent["Structure"] + sent["Depth"] + sent["Sources"]) / 3
    assert items["7"]["score"] == pytest.approx(q2) and items["7"]["domain"] == "Academic"
    assert items["7"]["criteria"]["Depth"]["justification"] == "Meets it in part."
    assert items["q3"]["score"] == sent["Clarity"]
    assert res["overall"]["n"] == 3 and res["overall"]["n_scored"] == 2
    assert res["overall"]["score"] == pytest.approx((q2 + sent["Clarity"]) / 2)
    assert res["overall"]["score_x10"] == pytest.approx(10 * res["overall"]["score"])
    assert res["by_domain"]["Business"] == {
        "n": 2,
        "n_scored": 1,
        "score": sent["Clarity"],
        "score_x10": 10 * sent["Clarity"],
    }
    assert res["failures"]["judge"] == 1 and res["failures"]["items"]["judge"][0]["id"] == "q1"
    assert res["run"]["judge"]["prompt_version"] == "lw-criteria-v1"

    n = len(judge.requests)
    again = run()
    assert len(judge.requests) == n and again["overall"] == res["overall"]
    again = run(cache="fresh.jsonl")  # only the failed criterion is asked again (3 attempts)
    assert len(judge.requests) == n + 3 and again["overall"] == res["overall"]


CASES = [
    ('{"score": 7, "justification": "Good."}', {"score": 7, "justification": "Good."}),
    ('```json\n{"Score": "8", "reason": "Fine."}\n```', {"score": 8, "justification": "Fine."}),
    ('<think>{"score": 2}</think>Verdict: {"score": 9/10}', None),
    (
        '<think>{"score": 2}</think>{"score": "9/10", "justification": "ok"}',
        {"score": 9, "justification": "ok"},
    ),
]


@pytest.mark.parametrize(("reply", "value"), CASES)
def test_parse_criterion_score(reply, value):
    got, why = parse_criterion_score(reply)
    assert got == value and (why is None) == (value is not None)


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("", "empty"),
        ('{"score": 11, "justification": "x"}', "outside 1-10"),
        ('{"score": 0, "justification": "x"}', "outside 1-10"),
        ('{"score": 7.5, "justification": "x"}', "whole number"),
        ('{"score": 7}', "missing justification"),
        ('{"score": 7, "justifica', "no JSON object"),
        ("Great answer, 8 out of 10.", "no JSON object"),
    ],
)
def test_parse_criterion_score_failures(reply, why):
    got, reason = parse_criterion_score(reply)
    assert got is None and why in reason


def test_load_writingbench_errors(tmp_path):
    f = tmp_path / "wb.jsonl"
    good = {"id": "a", "query": "Q", "criteria": [{"name": "n", "description": "d"}]}
    items = load_writingbench(_write(f, [good]))
    assert items[0].domain == "unknown" and items[0].criteria[0].guidance == ""
    bad = [
        ({"id": "b", "query": "Q", "criteria": []}, "'criteria' must be a non-empty list"),
        ({"id": "b", "query": "Q"}, "'criteria' must be a non-empty list"),
        (
            {"id": "b", "query": "Q", "criteria": [{"name": "n"}]},
            "criterion 'n' needs a non-empty 'description'",
        ),
        ({"id": "b", "query": "Q", "criteria": ["x"]}, "criterion 1 must be an object"),
        ({"id": "b", "criteria": [{"name": "n", "description": "d"}]}, "'query'"),
        ({"id": "a", "query": "Q", "criteria": [{"name": "n", "description": "d"}]}, "duplicate id"),
        (
            {"id": "b", "query": "Q", "criteria": [{"name": "n", "description": "d"}] * 2},
            "criterion names repeat",
        ),
    ]
    for row, msg in bad:
        with pytest.raises(ValueError, match="wb.jsonl:2: " + msg.replace("(", r"\(")):
            load_writingbench(_write(f, [good, row]))


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
