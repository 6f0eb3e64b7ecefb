"""The judged-benchmark core (eval/judged_run.py) on its own: the judgement store keyed by judge
model and prompt hash over loopback HTTP, failures, comparability fields, the run-folder checks,
and eval/data.load_rows (the row reader Arena-Write and WritingBench share)."""

import json
import re

import pytest

from eval.data import load_rows
from eval.generate import EndpointBackend, GenerationSettings
from eval.judge import JudgePrompt
from eval.judged_run import (
    BenchmarkPlan,
    Failures,
    JudgeCall,
    JudgeSetup,
    Judging,
    check_run_meta,
    comparability_fields,
    generation_error,
    judge_missing,
    judgement_record,
    judgments_for,
    run_judged,
)
from rollout.endpoint import EndpointClient

ANSWER_WORDS = 10_000


def _score_reply(body: dict, attempt: int) -> str:
    """A judge that scores an answer by its marker's number and never reads one marked 'garbled'."""
    text = next(m["content"] for m in body["messages"] if m["role"] == "user")  # the judged answer
    if "garbled" in text:
        return "I enjoyed it."
    return "SCORE=" + re.search(r"mark(\d)", text).group(1)


def _parse(reply):
    m = re.fullmatch(r"SCORE=(\d)", reply or "")
    return (int(m.group(1)), None) if m else (None, "no SCORE=<digit> in the reply")


JUDGING = Judging(
    _parse,
    lambda reason: f"Unreadable ({reason}); reply SCORE=<digit>.",
    lambda o, model, prompt, fields: judgement_record(o, model, prompt, **fields, score=o.value),
    "test judge",
)


def _calls(prompt: JudgePrompt) -> list[JudgeCall]:
    answers = {f"i{k}": " ".join([f"mark{k}"] + ["word"] * (ANSWER_WORDS - 1)) for k in (1, 2, 3)}
    answers["i4"] = " ".join(["garbled"] * ANSWER_WORDS)
    return [JudgeCall(i, prompt.render("Write.", a), {"item": i}) for i, a in answers.items()]


def test_judgements_are_keyed_by_judge_model_and_prompt_hash(fake_openai, tmp_path):
    server = fake_openai(_score_reply, model="judge-a")
    path = tmp_path / "judgments.jsonl"
    p1 = JudgePrompt("Rate {{answer}} for {{request}}", "t-1")
    p2 = JudgePrompt("Grade {{answer}} for {{request}}", "t-2")

    def judge(prompt, model="judge-a"):
        client = EndpointClient(server.url, model, max_retries=0)
        return judge_missing(path, client, prompt, _calls(prompt), JUDGING, progress=False)

    first = judge(p1)
    # Three readable answers once each; the garbled one three times (two correction turns).
    assert len(server.requests) == 3 + 3
    assert {i: r["score"] for i, r in first.items()} == {"i1": 1, "i2": 2, "i3": 3, "i4": None}
    assert (
        first["i4"]["error"].startswith("unreadable judge reply: no SCORE") and first["i4"]["attempts"] == 3
    )
    assert list(first["i1"]) == [
        "id",
        "item",
        "score",
        "judge_model",
        "prompt_version",
        "prompt_hash",
        "error",
        "attempts",
        "raw",
        "cached",
        "history",
    ]
    assert first["i1"]["prompt_hash"] == p1.hash and first["i1"]["judge_model"] == "judge-a"

    again = judge(p1)  # resumed: only the failure is asked again
    assert len(server.requests) == 6 + 3 and again.keys() == first.keys()
    other_prompt = judge(p2)  # another prompt hash: everything is judged afresh
    assert len(server.requests) == 9 + 6 and other_prompt["i2"]["prompt_hash"] == p2.hash
    other_judge = judge(p1, model="judge-b")  # another judge model: everything again
    assert len(server.requests) == 15 + 6 and other_judge["i3"]["judge_model"] == "judge-b"

    assert sum(1 for _ in path.open(encoding="utf-8")) == 4 + 1 + 4 + 4  # one file holds them all
    assert judgments_for(path, "judge-a", p1.hash)["i1"]["score"] == 1
    assert judgments_for(path, "judge-a", p2.hash).keys() == first.keys()
    assert judgments_for(path, "judge-b", p2.hash) == {}


def test_a_benchmark_that_needs_a_judge_refuses_to_start_without_one(fake_openai, tmp_path):
    writer = fake_openai(model="w")
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "x"}\n', encoding="utf-8")
    plan = BenchmarkPlan("toy", "toy-1", [], lambda preds, prompt: [], JUDGING, lambda d: {})
    backend = EndpointBackend(EndpointClient(writer.url, "w"))
    with pytest.raises(ValueError, match="toy needs a judge"):
        run_judged(
            plan,
            data,
            tmp_path / "run",
            backend,
            GenerationSettings(),
            JudgeSetup(None, JudgePrompt("{{answer}}{{request}}")),
        )
    assert not (tmp_path / "run").exists() and writer.requests == []


def test_a_folder_holding_another_benchmark_is_refused(tmp_path):
    meta = {
        "benchmark": "arena-write",
        "model": "m",
        "settings": {"t": 1},
        "data": {"sha256": "ab", "path": "/a"},
    }
    first = check_run_meta(tmp_path, meta)
    moved = check_run_meta(tmp_path, {**meta, "data": {"sha256": "ab", "path": "/b"}, "note": 1})
    assert moved["created"] == first["created"] and moved["note"] == 1  # same data moved: resumed
    with pytest.raises(ValueError, match=r"other benchmark \(benchmark='arena-write'\)"):
        check_run_meta(tmp_path, {**meta, "benchmark": "writingbench"})
    assert json.loads((tmp_path / "run.json").read_text())["benchmark"] == "arena-write"


def test_failures_are_listed_with_their_reasons():
    assert generation_error(None) == "no answer"
    assert generation_error({"id": "a", "error": "HTTP 400"}) == "HTTP 400"
    assert generation_error({"id": "a", "error": None, "answer": ""}) is None
    f = Failures()
    f.generation.append({"id": "a", "error": "HTTP 400"})
    f.judge += [{"id": "b", "error": "not judged"}, {"id": "c", "error": "unreadable"}]
    assert f.to_dict() == {
        "generation": 1,
        "judge": 2,
        "items": {"generation": [{"id": "a", "error": "HTTP 400"}], "judge": f.judge},
    }
    assert Failures().to_dict() == {"generation": 0, "judge": 0, "items": {"generation": [], "judge": []}}


def test_comparability_fields_name_what_must_match():
    base = {
        "judge": {"model": "j", "prompt_hash": "h1"},
        "settings": {"template": "plan_write"},
        "data": {"sha256": "d1", "path": "/x"},
        "evaluator_version": "lbw-1",
    }
    lbw = comparability_fields(base)  # no "benchmark": an early LongBench-Write run
    assert lbw == {
        "judge": "j",
        "judge prompt": "h1",
        "template": "plan_write",
        "data": "d1",
        "evaluator": "lbw-1",
    }
    assert comparability_fields({**base, "judge": {"model": "j", "prompt_hash": "h2"}}) != lbw
    assert comparability_fields({**base, "data": {"sha256": "d1", "path": "/elsewhere"}}) == lbw
    ruler = comparability_fields({**base, "benchmark": "ruler", "judge": None})
    assert "judge" not in ruler and "judge prompt" not in ruler
    elo = {"anchor": "ref-a", "anchor_rating": 1000.0, "prior": 0.0, "strong_weight": 2.0}
    arena = comparability_fields({**base, "benchmark": "arena-write", "elo": elo})
    assert arena["rating settings"] == "anchor ref-a=1000.0, prior 0.0, strong weight 2.0"


class _Row:
    def __init__(self, row, where):
        if "text" not in row:
            raise ValueError(f"{where}: no 'text'")
        self.id = str(row.get("id"))


def test_load_rows_names_the_file_and_line(tmp_path):
    f = tmp_path / "rows.jsonl"
    with pytest.raises(FileNotFoundError, match="data file not found"):
        load_rows(f, None, _Row)
    f.write_text('{"id": 1, "text": "a"}\n\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"rows.jsonl:3: expected a JSON object"):
        load_rows(f, None, _Row)
    f.write_text('{"id": 1, "text": "a"}\n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"rows.jsonl:2: no 'text'"):
        load_rows(f, None, _Row)
    f.write_text('{"id": 1, "text": "a"}\n{"id": 2, "text": "b"}\n{"id": 1, "text": "c"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"rows.jsonl:3: duplicate id '1'"):
        load_rows(f, None, _Row)
    assert [r.id for r in load_rows(f, 2, _Row)] == ["1", "2"]  # the limit stops before the repeat
    f.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no items"):
        load_rows(f, None, _Row)
