"""Arena-Write runs over loopback HTTP: a writer and a pairwise judge on 127.0.0.1 that sometimes
fails or answers unreadably; Elo checked against a hand-worked value; resume re-pays nothing."""

import json
import math

import pytest
from fake_judge import pairwise_responder, writer_responder
from judged_data import WORDS, write_arena

from eval.arena_write import load_arena, run_arena_write, score_arena
from eval.generate import EndpointBackend, GenerationSettings
from rollout.endpoint import EndpointClient


def _client(server, path, retries=0):
    return EndpointClient(server.url, server.model, cache_path=path, max_retries=retries, backoff_base=0.01)


def test_arena_run_elo_failures_resume(fake_openai, tmp_path):
    data = write_arena(tmp_path / "arena.jsonl")
    writer = fake_openai(writer_responder(WORDS), model="writer")
    # a3 vs ref-b ("zebra") never gets a readable verdict; a2's first replies name two verdicts
    # (fixed by the correction turn); a1's first requests get HTTP 500.
    judge = fake_openai(
        pairwise_responder(always_bad={"zebra"}, bad_once={"rivers"}, error_once={"kettles"}),
        model="pair-judge",
    )
    out = tmp_path / "run"

    def run(cache="jc.jsonl"):
        return run_arena_write(
            data,
            out,
            EndpointBackend(_client(writer, tmp_path / "gc.jsonl")),
            GenerationSettings(max_tokens=64),
            judge_client=_client(judge, tmp_path / cache),
            anchor="ref-a",
            reference_prior=0.0,  # no prior between the baselines: the plain MLE, hand-workable
            strong_weight=2.0,
            bootstrap_rounds=50,
            name="writer-x",
            progress=False,
        )

    res = run()
    # Plan stripped: the judge never saw the writer's <think> plan.
    assert judge.requests and all("a plan in three parts" not in json.dumps(b) for b in judge.requests)
    pairs = {(p["item"], p["baseline"]): p for p in res["pairs"]}
    # Hand-worked from the judge's rule (longer wins; within 1.2x, position A wins):
    assert pairs["a1", "ref-a"]["model_scores"] == [1.0, 1.0] and pairs["a1", "ref-a"]["orders"] == "agree"
    assert pairs["a1", "ref-a"]["model_first"] == "A>>B" and pairs["a1", "ref-a"]["model_second"] == "B>>A"
    assert pairs["a1", "ref-b"]["model_scores"] == [1.0, 0.0] and pairs["a1", "ref-b"]["orders"] == "disagree"
    assert pairs["a2", "ref-a"]["model_scores"] == [0.0, 0.0] and pairs["a2", "ref-a"]["orders"] == "agree"
    assert pairs["a2", "ref-b"]["orders"] == "disagree" and pairs["a3", "ref-a"]["orders"] == "disagree"
    assert pairs["a3", "ref-b"]["orders"] == "incomplete" and pairs["a3", "ref-b"]["model_scores"] == [
        None,
        None,
    ]
    assert res["orders"] == {"agree": 2, "disagree": 3, "incomplete": 1}
    # Failures listed with reasons, never ties: both orders of a3 vs ref-b.
    assert res["failures"]["judge"] == 2 and res["failures"]["generation"] == 0
    assert all("unreadable judge reply" in f["error"] for f in res["failures"]["items"]["judge"])
    assert res["n_comparisons"] == 10
    # Elo, anchor ref-a = 1000. Against ref-a: two strong wins (weight 2 each), a3: one win, one
    # loss, a2: two plain losses -> 5 of 8 -> odds 5/3 -> +88.74. Against ref-b: 2 of 4 -> equal.
    r = res["elo"]["fit"]["ratings"]
    assert r["ref-a"] == 1000.0
    assert r["writer-x"] == pytest.approx(1000 + 400 * math.log10(5 / 3), abs=1e-6)
    assert r["ref-b"] == pytest.approx(r["writer-x"], abs=1e-6)
    ci = res["elo"]["intervals"]["writer-x"]
    assert ci["lo"] is None or ci["lo"] <= r["writer-x"]
    assert res["elo"]["win_matrix"]["writer-x"]["ref-a"] == {"win": 3, "tie": 0, "loss": 3}
    assert res["elo"]["win_matrix"]["writer-x"]["ref-b"] == {"win": 2, "tie": 0, "loss": 2}
    stored = json.loads((out / "scores.json").read_text())
    assert (
        stored["run"]["judge"]["prompt_version"] == "lw-pairwise-v1"
        and stored["run"]["benchmark"] == "arena-write"
    )

    # Resume: nothing new is paid for (finished judgements kept; the failed pair's retries are cached).
    n_judge, n_writer = len(judge.requests), len(writer.requests)
    again = run()
    assert len(judge.requests) == n_judge and len(writer.requests) == n_writer
    assert again["elo"]["fit"] == res["elo"]["fit"]
    # Without the judge cache only the failed pair is asked again (2 orders x 3 attempts).
    again = run(cache="other-cache.jsonl")
    assert len(judge.requests) == n_judge + 6 and again["failures"]["judge"] == 2
    # Scores are recomputed from the run directory's files alone.
    assert score_arena(out, write=False)["elo"]["fit"] == res["elo"]["fit"]


def test_elo_summary_without_anchor_comparisons():
    from eval.arena_write import elo_summary
    from eval.elo import Comparison

    out = elo_summary([Comparison("i", "m", "ref-b", 1.0)], "ref-a")
    assert out["fit"] is None and "'ref-a' has no successful comparison" in out["note"]
    assert out["win_matrix"]["m"]["ref-b"] == {"win": 1, "tie": 0, "loss": 0}


def test_arena_refuses_bad_anchor_and_name(fake_openai, tmp_path):
    data = write_arena(tmp_path / "arena.jsonl")
    writer = fake_openai(writer_responder(WORDS), model="writer")
    judge = fake_openai(pairwise_responder(), model="pair-judge")
    kw = dict(judge_client=_client(judge, tmp_path / "j"), progress=False)
    backend = EndpointBackend(_client(writer, tmp_path / "g"))
    with pytest.raises(ValueError, match="anchor 'gpt'"):
        run_arena_write(data, tmp_path / "o1", backend, GenerationSettings(), anchor="gpt", **kw)
    with pytest.raises(ValueError, match="also a baseline"):
        run_arena_write(data, tmp_path / "o2", backend, GenerationSettings(), name="ref-b", **kw)


def test_load_arena_formats_and_errors(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text(
        json.dumps({"id": "x", "request": "R1", "baseline_response": "one"})
        + "\n"
        + json.dumps({"prompt": "R2", "baseline_responses": ["b1", "b2"]})
        + "\n"
        + json.dumps({"id": "z", "request": "写一篇文章", "length": 300, "baseline_response": {"gpt": "t"}})
        + "\n",
        encoding="utf-8",
    )
    items = load_arena(f)
    assert items[0].baselines == {"baseline": "one"} and items[0].length is None
    assert items[1].baselines == {"baseline-1": "b1", "baseline-2": "b2"} and len(items[1].id) == 12
    assert items[2].baselines == {"gpt": "t"} and items[2].language == "zh" and items[2].length == 300
    bad = [
        ({"id": "q", "request": "R", "baseline_response": 5}, "a.jsonl:2: 'baseline_response' must be"),
        ({"id": "q", "request": "R"}, "a.jsonl:2: no 'baseline_response'"),
        ({"id": "q", "request": "", "baseline_response": "x"}, "a.jsonl:2: 'request'"),
        ({"id": "q", "request": "R", "baseline_response": {"m": ""}}, "a.jsonl:2: baseline 'm'"),
        ({"id": "q", "request": "R", "baseline_response": []}, "a.jsonl:2: 'baseline_response' must be"),
        ({"id": "x", "request": "R", "baseline_response": "t"}, "a.jsonl:2: duplicate id"),
        ({"id": "q", "request": "R", "length": -3, "baseline_response": "t"}, "a.jsonl:2: 'length'"),
    ]
    for row, msg in bad:
        f.write_text(
            json.dumps({"id": "x", "request": "R", "baseline_response": "t"}) + "\n" + json.dumps(row) + "\n",
            encoding="utf-8",
        )
        with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
            load_arena(f)
    f.write_text('{"id": "x", "request": "R", "baseline_response": "t"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(ValueError, match="a.jsonl:2"):
        load_arena(f)


def test_load_arena_reads_the_released_fields(tmp_path):
    # THU-KEG/Arena-Write's rows: idx, question, type, length, baseline_response.
    row = {
        "idx": 0,
        "question": "Write about tides.",
        "type": "essay",
        "length": 800,
        "baseline_response": {"m1": "text"},
    }
    path = tmp_path / "arena.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    it = load_arena(path)[0]
    assert (it.id, it.request, it.type, it.length, it.baselines) == (
        "0",
        "Write about tides.",
        "essay",
        800,
        {"m1": "text"},
    )
    path.write_text(json.dumps({**row, "question": ""}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"arena.jsonl:1: 'request' \(or the released 'question'\)"):
        load_arena(path)
