"""References in the RL data, margin-aware selection and the trainer's pairwise helpers."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from fake_judge import reference_pairwise_responder
from fake_openai import FakeOpenAIServer

from rl.prepare import prepare_rl_data, read_prompts
from rl.verl_reward import build_sample, compute_score_batch, result_keys


def write_jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_references_are_validated_with_file_and_line(tmp_path):
    ok = {"id": "a", "prompt": "Write.", "references": ["weak", "strong"]}
    for bad, msg in [
        ({"id": "b", "prompt": "Write.", "references": "one"}, "'references' must be a list"),
        (
            {"id": "b", "prompt": "Write.", "references": ["x", ""]},
            "'references[1]' must be a non-empty string",
        ),
        ({"id": "b", "prompt": "Write.", "references": [3]}, "'references[0]'"),
    ]:
        path = write_jsonl(tmp_path / "p.jsonl", [ok, bad])
        with pytest.raises(ValueError) as err:
            read_prompts(path)
        assert str(err.value).startswith(f"{path}:2: ") and msg in str(err.value)
    assert read_prompts(write_jsonl(tmp_path / "q.jsonl", [ok]))[0].references == ("weak", "strong")


def test_references_reach_the_reward_sample(tmp_path):
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": "a", "prompt": "Write.", "references": ["weak", "strong"]},
            {"id": "b", "prompt": "Write more."},
        ],
    )
    data = prepare_rl_data(path, tmp_path / "out", val_fraction=0.0)
    rows = {r["extra_info"]["id"]: r for r in pq.read_table(data.train).to_pylist()}
    assert rows["a"]["extra_info"]["references"] == ["weak", "strong"]
    assert rows["b"]["extra_info"]["references"] == []
    import pandas as pd  # verl reads parquet through pandas/datasets: references arrive as arrays

    info = pd.read_parquet(data.train).set_index(
        pd.read_parquet(data.train)["extra_info"].map(lambda e: e["id"])
    )
    sample = build_sample("<think>p</think><answer>x</answer>", None, info.loc["a", "extra_info"])
    assert sample.metadata["references"] == ["weak", "strong"] and sample.metadata["id"] == "a"


def test_group_rewards_leave_verl_reward_info_and_judge_calls_reach_the_trainer_helper():
    """verl's reward entry point leaves a group-level reward out (no judge call: a worker sees
    fragments of groups); the trainer's step helper scores it over the whole group and its judge
    calls reach the per-step metric."""
    from rl.trainer import judge_call_metrics, score_group_rewards

    with FakeOpenAIServer(reference_pairwise_responder()) as server:
        cfg = {
            "rewards": {"length": 1.0, "group_pairwise": 1.0},
            "options": {"group_pairwise": {"base_url": server.url, "model": server.model}},
        }
        responses = ["<think>p</think><answer>a [q1]</answer>", "<think>p</think><answer>b [q2]</answer>"]
        infos = [{"id": "g", "request": "Write 20 words."}] * 2
        out = compute_score_batch(None, responses, None, infos, reward_config=cfg)
        assert server.requests == []
        assert set(out[0]) == set(result_keys(cfg)) and "group_pairwise" not in out[0]
        samples = [build_sample(r, None, info) for r, info in zip(responses, infos, strict=True)]
        from rewards.base import split_by_scope
        from rl.verl_reward import resolve_config

        additions, _, metrics = score_group_rewards(
            samples, ["uid0", "uid0"], split_by_scope(resolve_config(cfg))[1]
        )
    assert [r["group_pairwise"] for r in additions] == [0.0, 1.0]
    assert [r["group_pairwise_judge_calls"] for r in additions] == [2.0, 2.0]
    assert judge_call_metrics(additions) == {"longwriter/judge_calls/group_pairwise": 4.0}
    assert [r["group_pairwise_cut_chars"] for r in additions] == [0.0, 0.0]  # short answers, read whole
    assert metrics["longwriter/groups/group_pairwise/judged_size_min"] == 2.0


def test_only_group_rewards_leave_verl_a_zero_score_with_the_reason():
    cfg = {
        "rewards": {"group_pairwise": 1.0},
        "options": {"group_pairwise": {"base_url": "http://127.0.0.1:1/v1", "model": "m"}},
    }
    (out,) = compute_score_batch(
        None, ["<think>p</think><answer>one two</answer>"], None, [{"request": "Write."}], reward_config=cfg
    )
    assert set(out) == set(result_keys(cfg)) and out["score"] == 0.0 and out["answer_len"] == 2.0
    assert "scored by the trainer" in out["reasons"]
