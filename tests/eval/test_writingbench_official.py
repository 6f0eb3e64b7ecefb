"""``--protocol writingbench`` and ``--responses``: WritingBench's own judging and aggregation,
over a loopback critic on 127.0.0.1, checked against hand-computed scores."""

import pytest
from fake_judge import official_responder
from judged_data import (
    OFFICIAL_PROMPT_PY as PROMPT_PY,
)
from judged_data import (
    WB_RELEASED_RESPONSES as RESPONSES,
)
from judged_data import (
    WB_RELEASED_ROWS as ROWS,
)
from judged_data import (
    WB_RELEASED_SCORES as SCORES,
)
from judged_data import (
    released_criterion as _crit,
)
from judged_data import (
    write_jsonl as _jsonl,
)
from judged_data import (
    write_requirements as _requirements,
)

from eval.generate import GenerationSettings
from eval.responses import ResponsesBackend, read_responses
from eval.writingbench import (
    PROTOCOLS,
    load_writingbench,
    official_prompt,
    official_response,
    parse_official_score,
    run_writingbench,
)


def _run(tmp_path, judge, data, requirements=None, protocol="writingbench"):
    from rollout.endpoint import EndpointClient

    responses = _jsonl(
        tmp_path / "responses.jsonl", [{"index": i, "response": r} for i, r in RESPONSES.items()]
    )
    values = PROTOCOLS[protocol]
    settings = GenerationSettings(
        template=values["template"],
        max_tokens=values["max_tokens"],
        temperature=values["temperature"],
        measure=values["measure"],
    )
    return run_writingbench(
        data,
        tmp_path / "run",
        ResponsesBackend(responses, "their-model", [it.id for it in load_writingbench(data)]),
        settings,
        judge_client=EndpointClient(judge.url, "critic", cache_path=tmp_path / "jc.jsonl", max_retries=0),
        judge_prompt=official_prompt(PROMPT_PY) if protocol == "writingbench" else None,
        judge_attempts=values["judge_attempts"],
        judge_params={"temperature": 1.0, "top_p": 0.95, "max_tokens": 2048},
        protocol=protocol,
        requirements=requirements,
        progress=False,
    )


def test_official_protocol_renders_retries_and_aggregates_as_published(fake_openai, tmp_path):
    data = _jsonl(tmp_path / "benchmark_all.jsonl", ROWS)
    judge = fake_openai(official_responder(SCORES, bad_times={"c1": 2, "e1": 99}), model="critic")
    res = _run(tmp_path, judge, data, requirements=_requirements(tmp_path / "requirement"))

    # Rendering: the system message, then the template filled by str.format with the criterion
    # as the released dict (its Python form), the query as is ("{x}" untouched) and the response
    # cut after the first "</think>\n\n" only.
    template = PROMPT_PY.read_text().split('evaluate_prompt = """', 1)[1].split('""".strip()', 1)[0].strip()
    by_name = {}
    for body in judge.requests:
        assert body["messages"][0] == {"role": "system", "content": "You grade writing for a test."}
        assert len(body["messages"]) == 2  # a retry is the same conversation, never a correction turn
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (1.0, 0.95, 2048)
        by_name.setdefault(body["messages"][1]["content"], []).append(body)
    first = template.format(criteria=_crit("a1"), query="Q1 {x}", response="Answer one.")
    assert first in by_name and "secret plan" not in first
    assert "{'name': 'a1', 'criteria_description': 'Checks a1.', '1-2': 'a1 band 1-2'" in first
    second = template.format(criteria=_crit("b1"), query="Q2", response=RESPONSES[2])
    assert second in by_name

    # Retry: c1 unreadable twice, then read; the resends carry seed 2 and 3 (fresh samples).
    c1 = by_name[template.format(criteria=_crit("c1"), query=ROWS[2]["query"], response=RESPONSES[3])]
    assert len(ROWS[2]["query"]) > 5000 and len(RESPONSES[3].split()) > 10_000  # the real shape, judged whole
    assert [b.get("seed") for b in c1] == [None, 2, 3]
    # e1 never readable: 15 tries (WritingBench's 3 x 5), then a listed failure, not an abort.
    e1 = by_name[template.format(criteria=_crit("e1"), query="Q5", response="Answer five.")]
    assert len(e1) == 15
    fails = res["failures"]["items"]
    assert [f["id"] for f in fails["judge"]] == ["5"] and "e1: unreadable judge reply" in fails["judge"][0][
        "error"
    ]
    assert [f["id"] for f in fails["generation"]] == ["4"] and "no response for index '4'" in fails[
        "generation"
    ][0]["error"]

    # Aggregation, by hand. Scored items: 1 (8, 6), 2 (3, 5, 10), 3 (9); 4 and 5 failed.
    off = res["official"]
    assert off["overall"]["score"] == pytest.approx((8 + 6 + 3 + 5 + 10 + 9) / 6)  # criteria mean
    assert off["overall"]["n_criteria"] == 6 and off["overall"]["n"] == 5 and off["overall"]["n_scored"] == 3
    assert res["overall"]["score"] == pytest.approx((7 + 6 + 9) / 3)  # ours: the mean of item means
    assert off["domain1"]["Academic"]["score"] == pytest.approx((7 + 6) / 2)
    assert off["domain1"]["Finance"] == {"n": 3, "n_scored": 1, "score": 9}
    assert {d: g["score"] for d, g in off["domain2"].items()} == {"Memo": 9, "Paper": 7, "Report": 6}
    req = off["requirements"]
    assert req["length"]["R"]["score"] == pytest.approx((7 + 6) / 2)
    assert req["length"]["C"]["score"] == pytest.approx((6 + 3 + 10) / 3)
    assert req["length"]["not_in_run"] == 1
    assert req["style"]["R"] == {"n": 2, "n_scored": 1, "score": 9}  # item 4 failed: counted
    assert req["style"]["C"]["score"] == 9
    assert req["format"]["R"] == {"n": 0, "n_scored": 0, "score": None}  # never a 0
    assert res["run"]["protocol"] == "writingbench" and res["protocol"] == "writingbench"
    assert res["run"]["judge"]["max_attempts"] == 15
    assert res["run"]["backend"] == "responses" and res["run"]["model"] == "their-model"


def test_protocols_are_not_comparable(fake_openai, tmp_path):
    from eval.judged_run import comparability_fields

    a = comparability_fields({"benchmark": "writingbench", "protocol": "writingbench"})
    b = comparability_fields({"benchmark": "writingbench"})
    assert a["protocol"] == "writingbench" and b["protocol"] == "ours" and a != b


def test_protocol_needs_the_official_prompt(tmp_path):
    data = _jsonl(tmp_path / "d.jsonl", ROWS[:1])
    with pytest.raises(ValueError, match="prompt.py"):
        run_writingbench(
            data, tmp_path / "r", None, GenerationSettings(), judge_client=object(), protocol="writingbench"
        )


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ('```json\n{"score": 7, "reason": "ok"}\n```', {"score": 7, "justification": "ok"}),
        ('json{"score": 7.0, "reason": ""}', {"score": 7, "justification": ""}),
        ('{"score": "7", "reason": "ok"}', None),  # a string score fails the official check
        ('{"score": 11, "reason": "ok"}', None),
        ('{"score": 7.5, "reason": "ok"}', None),
        ('{"score": true, "reason": "ok"}', None),
        ('{"score": 7, "justification": "ok"}', None),  # the key is "reason"
        ('{"score": 7, "reason": 3}', None),
        ('Here: {"score": 7, "reason": "ok"}', None),  # no prose around the JSON
        ("[1, 2]", None),
        (None, None),
    ],
)
def test_parse_official_score(reply, value):
    got, why = parse_official_score(reply)
    assert got == value and (why is None) == (value is not None)


def test_official_response_cut():
    assert official_response("<think>p</think>\n\nA\n\n</think>\n\nB") == "A\n\n</think>\n\nB"
    assert official_response("<think>p</think> A") == "<think>p</think> A"
    assert official_response("<answer>A</answer>") == "<answer>A</answer>"


def test_official_prompt_file_errors(tmp_path):
    bad = tmp_path / "prompt.py"
    bad.write_text('evaluate_system = "s"\nevaluate_prompt = "{query} {response}"\n')
    with pytest.raises(ValueError, match="must use the fields"):
        official_prompt(bad)
    bad.write_text('evaluate_system = make()\nevaluate_prompt = "{criteria}{query}{response}"\n')
    with pytest.raises(ValueError, match="evaluate_system"):
        official_prompt(bad)
    p = official_prompt(PROMPT_PY)
    assert p.system == "You grade writing for a test." and p.version == "writingbench:prompt.py"
    assert p.hash != type(p)(p.text, p.version, p.fields, "another system").hash


def test_read_responses_errors(tmp_path):
    f = tmp_path / "r.jsonl"
    good = {"index": 1, "response": "x"}
    assert read_responses(_jsonl(f, [good]), ["1", "2"]) == {"1": "x"}
    for row, msg in [
        ({"index": 9, "response": "x"}, "index '9' is not an item"),
        ({"index": 1, "response": "y"}, "index '1' repeats"),
        ({"index": 2, "response": None}, "'response' must be a string"),
        ({"response": "x"}, "expected an object with 'index'"),
    ]:
        with pytest.raises(ValueError, match=f"r.jsonl:2: {msg}"):
            read_responses(_jsonl(f, [good, row]), ["1", "2"])


def test_load_released_shape(tmp_path):
    items = load_writingbench(_jsonl(tmp_path / "d.jsonl", ROWS))
    it = items[2]
    assert (it.id, it.domain, it.subdomain, it.language) == ("3", "Finance", "Memo", "zh")
    c = items[0].criteria[0]
    assert c.description == "Checks a1." and c.guidance.startswith("1-2: a1 band 1-2; 3-4:")
    assert c.raw == _crit("a1")
