"""Preference pairs: K samples from a loopback endpoint, scored by the real rewards, paired."""

from __future__ import annotations

import json

from fake_openai import FakeOpenAIServer, Reply, last_user_content

from longwrite.cli import main
from rollout.endpoint import EndpointClient
from sft_baseline.agentwrite import Instruction
from sft_baseline.pairs import build_pairs, sample_with_endpoint

# Length and format only: fast (no embedding model) and with a known best sample.
REWARDS = {"rewards": {"length": 1.0, "format": 1.0}}
LENGTHS = (40, 300, 120, 900)  # answer words of sample j; the request asks for 300


def _responder(body: dict, attempt: int) -> str | Reply:
    """Sample j (its seed) answers with LENGTHS[j] words in the plan-then-write format."""
    j = int(body.get("seed") or 0)
    if "[[refuse]]" in last_user_content(body) and j > 0:
        return Reply.error(400, "content policy")  # not retried: the sample fails
    words = " ".join(["river"] * LENGTHS[j % len(LENGTHS)])
    return f"<think>Plan: one part about rivers.</think><answer>{words}.</answer>"


def test_best_sample_is_chosen_and_rejected_is_another(tmp_path):
    items = [
        Instruction("a", "Write a 300-word essay about rivers."),
        Instruction("b", "Write a 300-word essay about cities."),
    ]
    with FakeOpenAIServer(_responder) as server:
        client = EndpointClient(server.url, server.model, concurrency=4, cache_path=tmp_path / "c.jsonl")
        samples = sample_with_endpoint(items, client, 4, max_tokens=2000, progress=False)
        assert len(server.snapshot()) == 8
        seeds = sorted(b["seed"] for b in server.snapshot())
        assert seeds == [0, 0, 1, 1, 2, 2, 3, 3]
    pairs, skipped = build_pairs(items, samples, REWARDS, seed=0)
    assert skipped == {} and [p["id"] for p in pairs] == ["a", "b"]
    for p in pairs:
        assert p["chosen_index"] == 1  # the 300-word answer: best length reward
        assert p["rejected_index"] != 1 and p["chosen"] != p["rejected"]
        assert p["chosen_score"] == max(p["scores"]) and p["rejected_score"] in p["scores"]
        assert p["margin"] > 0 and p["chosen_rewards"]["length"] >= p["rejected_rewards"]["length"]
    # Pairing is reproducible for a seed.
    again, _ = build_pairs(items, samples, REWARDS, seed=0)
    assert [p["rejected_index"] for p in again] == [p["rejected_index"] for p in pairs]


def test_cli_pairs_skips_items_without_two_scoreable_samples(tmp_path, capsys):
    instr = tmp_path / "in.jsonl"
    instr.write_text(
        json.dumps({"id": "ok", "instruction": "Write a 300-word essay about rivers."})
        + "\n"
        + json.dumps({"id": "one", "instruction": "Write a 300-word poem. [[refuse]]"})
        + "\n"
    )
    cfg = tmp_path / "rewards.yaml"
    cfg.write_text("rewards: {length: 1.0, format: 1.0}\n")
    out = tmp_path / "pairs.jsonl"
    with FakeOpenAIServer(_responder) as server:
        args = ["pairs", "--instructions", str(instr), "--out", str(out), "--endpoint", server.url,
                "--model", server.model, "-k", "2", "--reward-config", str(cfg), "--no-progress"]  # fmt: skip
        assert main(args) == 0
        n = len(server.snapshot())
        assert main(args) == 0  # re-run: every finished sample comes from the cache
        assert n == 4 and len(server.snapshot()) == 5  # only the refused sample is asked again
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["ok"]
    assert "skipped fewer_than_2_samples: 1" in capsys.readouterr().out
    assert main(["pairs", "--instructions", str(instr), "--out", str(out), "--endpoint", "http://x", "-k", "1",
                 "--model", "m"]) == 2  # fmt: skip
