"""References in the RL data, margin-aware selection and the trainer's pairwise helpers."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from fake_judge import reference_pairwise_responder
from fake_openai import FakeOpenAIServer, last_user_content

from longwrite.cli import main as longwrite_main
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


def test_judge_calls_reach_verl_reward_info():
    with FakeOpenAIServer(reference_pairwise_responder()) as server:
        cfg = {
            "rewards": {"group_pairwise": 1.0},
            "options": {"group_pairwise": {"base_url": server.url, "model": server.model}},
        }
        out = compute_score_batch(
            None,
            ["<think>p</think><answer>a [q1]</answer>", "<think>p</think><answer>b [q2]</answer>"],
            None,
            [{"id": "g", "request": "Write."}] * 2,
            reward_config=cfg,
        )
    assert set(out[0]) == set(result_keys(cfg))
    assert [r["group_pairwise"] for r in out] == [0.0, 1.0]
    assert [r["group_pairwise_judge_calls"] for r in out] == [2.0, 2.0]
    from rl.trainer import judge_call_metrics

    assert judge_call_metrics(out) == {"longwriter/judge_calls/group_pairwise": 4.0}


def policy_responder(body, attempt):
    """The starting policy: the quality marker it writes is named in the request ("policy q3")."""
    import re

    q = re.search(r"policy q(\d+)", last_user_content(body)).group(1)
    return f"<think>plan</think><answer>my essay [q{q}]</answer>"


def test_select_by_margin_keeps_the_hand_worked_requests(tmp_path, capsys):
    rows = [
        # margin = 1 - mean outcome vs the strongest (last) reference
        {"id": "r1", "prompt": "policy q3", "references": ["[q1]", "[q9]"]},  # loss -> 1.0
        {"id": "r2", "prompt": "policy q9", "references": ["[q9]"]},  # tie -> 0.5
        {"id": "r3", "prompt": "policy q10", "references": ["[q20]", "[q5]"]},  # win -> 0.0
        {"id": "r4", "prompt": "policy q1"},  # no references -> no margin
        {"id": "r5", "prompt": "policy q2", "references": ["[q4]"]},  # loss -> 1.0
    ]
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    with (
        FakeOpenAIServer(policy_responder) as policy,
        FakeOpenAIServer(reference_pairwise_responder()) as judge,
    ):
        rc = longwrite_main(
            ["prepare-rl", "--prompts", str(path), "--out", str(tmp_path / "out"), "--val-fraction", "0",
             "--preset", "tiny-cpu", "--select-by-margin", "2", "--policy-endpoint", policy.url, "--policy-model", policy.model,
             "--judge-endpoint", judge.url, "--judge-model", judge.model]
        )  # fmt: skip
    assert rc == 0
    kept = sorted(
        r["extra_info"]["id"] for r in pq.read_table(tmp_path / "out" / "train.parquet").to_pylist()
    )
    assert kept == ["r1", "r5"]
    scores = [
        json.loads(line) for line in (tmp_path / "out" / "margin_scores.jsonl").read_text().splitlines()
    ]
    assert [(s["id"], s["margin"], s["selected"]) for s in scores] == [
        ("r1", 1.0, True),
        ("r2", 0.5, False),
        ("r3", 0.0, False),
        ("r4", None, False),
        ("r5", 1.0, True),
    ]
    assert scores[3]["failures"] == ["no references"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["select_by_margin"] == 2 and manifest["requests_before_selection"] == 5


def test_select_by_margin_needs_its_endpoints(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "prompt": "Write.", "references": ["x"]}])
    with pytest.raises(ValueError, match="--policy-endpoint"):
        prepare_rl_data(path, tmp_path / "out", select_by_margin=1)
