"""LongBench-Write runs against real loopback HTTP servers: a writer endpoint and a judge."""

import json

import pytest
from fake_judge import judge_responder, judge_scores, writer_responder

from eval.generate import EndpointBackend, GenerationSettings
from eval.judge import JudgePrompt
from eval.longbench_write import run_longbench_write, score_run
from rollout.endpoint import EndpointClient

ROWS = [
    {"prompt": "Write a 100-word note about a river.", "type": "Letter", "length": 100},
    {"prompt": "Write a 600-word essay about a kettle.", "type": "Essay", "length": 600},
    {"prompt": "Write a 3000-word story about a lighthouse.", "type": "Fiction", "length": 3000},
    {"prompt": "写一篇200字的短文，关于秋天。", "type": "Essay", "length": 200},
    {"prompt": "Write a 300-word forbidden text.", "type": "Essay", "length": 300},
]


def _client(server, tmp_path, name, **kw):
    return EndpointClient(
        server.url,
        server.model,
        cache_path=tmp_path / name,
        max_retries=1,
        backoff_base=0.01,
        backoff_max=0.05,
        **kw,
    )


@pytest.fixture
def data_file(tmp_path):
    f = tmp_path / "lbw.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n", encoding="utf-8")
    return f


def test_endpoint_run_scores_counts_failures_and_resumes(fake_openai, tmp_path, data_file):
    writer = fake_openai(
        writer_responder({"river": 100, "kettle": 300, "lighthouse": 9000}, fail=["forbidden"])
    )
    judge = fake_openai(
        judge_responder(always_bad={"lighthouse"}, bad_once={"kettle"}, error_once={"river"}), model="judge-x"
    )
    out = tmp_path / "run"
    settings = GenerationSettings(template="plan_write", max_tokens=64, temperature=0.0)

    def run():
        return run_longbench_write(
            data_file,
            out,
            EndpointBackend(_client(writer, tmp_path, "gen.jsonl")),
            settings,
            judge_client=_client(judge, tmp_path, "judge.jsonl"),
            progress=False,
        )

    res = run()
    items = {i["id"]: i for i in res["items"]}
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    by_prompt = {p["prompt"]: p for p in preds}
    # Full response, plan, answer, lengths, finish reason and settings are stored per item.
    river = by_prompt[ROWS[0]["prompt"]]
    assert river["plan"] == "a plan in three parts" and river["answer_len"] == 100
    assert river["response"].startswith("<think>") and river["finish_reason"] == "stop"
    assert river["settings"]["max_tokens"] == 64 and river["settings"]["template"] == "plan_write"
    # Length scores, exactly the formula, on the answer only.
    assert items[river["id"]]["S_l"] == 100.0
    kettle = by_prompt[ROWS[1]["prompt"]]
    # under length: 100 * (1 - (600 / 300 - 1) / 2) = 50
    assert items[kettle["id"]]["S_l"] == pytest.approx(50.0)
    # Judge: transient 500 recovered; out-of-range reply fixed by the correction turn; scores recomputable.
    judgments = [json.loads(line) for line in (out / "judgments.jsonl").read_text().splitlines()]
    jk = next(j for j in judgments if j["id"] == kettle["id"])
    assert jk["attempts"] == 2 and jk["error"] is None
    prompt = JudgePrompt.default()
    expected = judge_scores(prompt.render(ROWS[1]["prompt"], kettle["answer"]))
    assert jk["scores"] == expected
    assert jk["S_q"] == pytest.approx(sum((v - 1) * 25 for v in expected.values()) / 6)  # by definition
    assert jk["prompt_hash"] == prompt.hash and jk["judge_model"] == "judge-x"
    # Failures are counted and listed, never defaulted.
    f = res["failures"]
    assert f["generation"] == 1 and f["judge"] == 1
    assert "HTTP 400" in f["items"]["generation"][0]["error"]
    assert "unreadable judge reply" in f["items"]["judge"][0]["error"]
    lighthouse = items[by_prompt[ROWS[2]["prompt"]]["id"]]
    assert lighthouse["S_q"] is None and lighthouse["S_bar"] is None and lighthouse["S_l"] is not None
    assert res["overall"]["n"] == 5 and res["overall"]["n_length"] == 4 and res["overall"]["n_quality"] == 3
    assert res["overall"]["S_bar"] == pytest.approx((res["overall"]["S_l"] + res["overall"]["S_q"]) / 2)
    assert json.loads((out / "scores.json").read_text())["overall"] == res["overall"]
    meta = json.loads((out / "run.json").read_text())
    assert meta["judge"]["prompt_hash"] == prompt.hash and meta["backend"] == "endpoint"

    # Resume: finished answers and judgements are not requested again; failures are retried.
    gen_before, judge_before = len(writer.requests), len(judge.requests)
    res2 = run()
    assert len(writer.requests) - gen_before == 1  # only the failed generation
    new_judge = judge.snapshot()[judge_before:]
    assert all("lighthouse" in m["messages"][0]["content"] for m in new_judge)  # only the failed judgement
    assert res2["overall"] == res["overall"]
    assert len((out / "predictions.jsonl").read_text().splitlines()) == len(preds) + 1


def test_other_model_in_same_dir_is_refused(fake_openai, tmp_path, data_file):
    writer = fake_openai(writer_responder())
    out = tmp_path / "run"
    s = GenerationSettings(max_tokens=32)
    run_longbench_write(data_file, out, EndpointBackend(_client(writer, tmp_path, "g")), s, progress=False)
    with pytest.raises(ValueError, match="settings"):
        run_longbench_write(
            data_file,
            out,
            EndpointBackend(_client(writer, tmp_path, "g")),
            GenerationSettings(max_tokens=33),
            progress=False,
        )
    # Without a judge: S_q is absent, not zero, and no judge failure is invented.
    res = score_run(out)
    assert res["overall"]["S_q"] is None and res["failures"]["judge"] == 0


def test_new_judge_prompt_rejudges(fake_openai, tmp_path, data_file):
    writer = fake_openai(writer_responder())
    judge = fake_openai(judge_responder())
    out = tmp_path / "run"
    s = GenerationSettings(max_tokens=32)
    backend = EndpointBackend(_client(writer, tmp_path, "g"))
    custom = tmp_path / "judge.txt"
    custom.write_text("Rate $RESPONSE$ for $INST$ as JSON with the six dimensions.", encoding="utf-8")
    a = run_longbench_write(
        data_file, out, backend, s, judge_client=_client(judge, tmp_path, "j"), progress=False
    )
    b = run_longbench_write(
        data_file,
        out,
        backend,
        s,
        judge_client=_client(judge, tmp_path, "j"),
        judge_prompt=JudgePrompt.from_file(custom),
        progress=False,
    )
    assert a["run"]["judge"]["prompt_version"] != b["run"]["judge"]["prompt_version"]
    assert b["run"]["judge"]["prompt_hash"] == JudgePrompt.from_file(custom).hash
    assert a["overall"]["S_q"] != b["overall"]["S_q"]  # new prompt text, new (deterministic) scores


def test_killed_mid_write_resumes_without_loss(fake_openai, tmp_path, data_file):
    writer = fake_openai(writer_responder(default_words=40))
    out = tmp_path / "run"
    s = GenerationSettings(max_tokens=32)
    backend = EndpointBackend(_client(writer, tmp_path, "g"))
    run_longbench_write(data_file, out, backend, s, progress=False)
    preds = out / "predictions.jsonl"
    lines = preds.read_text(encoding="utf-8").splitlines()
    # A kill in the middle of writing the last record leaves a torn line.
    preds.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2], encoding="utf-8")
    sent = len(writer.requests)
    res = run_longbench_write(data_file, out, backend, s, progress=False)
    assert res["overall"]["n"] == 5 and res["failures"]["generation"] == 0
    assert len(writer.requests) == sent  # the torn item came back from the client's cache
    # The torn fragment was cut, so the re-generated record follows the finished ones directly.
    records = [json.loads(x) for x in preds.read_text(encoding="utf-8").splitlines()[len(lines) - 1 :]]
    assert len(records) == 1 and records[0]["id"] == json.loads(lines[-1])["id"]


def test_other_data_file_in_same_dir_is_refused(fake_openai, tmp_path, data_file):
    # Two data sets must never merge into one scores.json: the data file's hash is part of the
    # run's identity (the same content at another path is the same data and resumes).
    writer = fake_openai(writer_responder())
    out = tmp_path / "run"
    s = GenerationSettings(max_tokens=32)
    run_longbench_write(data_file, out, EndpointBackend(_client(writer, tmp_path, "g")), s, progress=False)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps(ROWS[0]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"other data \(data=.*lbw.jsonl \(sha256 [0-9a-f]{12}\)"):
        run_longbench_write(other, out, EndpointBackend(_client(writer, tmp_path, "g")), s, progress=False)
    moved = tmp_path / "moved.jsonl"
    moved.write_bytes(data_file.read_bytes())
    res = run_longbench_write(moved, out, EndpointBackend(_client(writer, tmp_path, "g")), s, progress=False)
    assert res["overall"]["n"] == len(ROWS)


def test_null_content_reply_is_a_generation_failure(fake_openai, tmp_path, data_file):
    from fake_openai import Reply

    def writer(body, attempt):
        return (
            Reply(text=None, finish_reason="length")
            if "kettle" in str(body)
            else writer_responder()(body, attempt)
        )

    server = fake_openai(writer)
    res = run_longbench_write(
        data_file,
        tmp_path / "run",
        EndpointBackend(_client(server, tmp_path, "g")),
        GenerationSettings(max_tokens=32),
        progress=False,
    )
    [failed] = res["failures"]["items"]["generation"]
    assert "content: null" in failed["error"] and "finish_reason='length'" in failed["error"]
    kettle = next(i for i in res["items"] if i["required"] == 600)
    assert kettle["S_l"] is None and kettle["produced"] is None  # not an empty answer scored 0
