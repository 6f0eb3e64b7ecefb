"""End to end: the pairwise judge rewards in a real tiny-cpu GRPO run through verl, and the
curriculum across a real resume.

ONE module fixture does two local ``longwrite train`` launches of the ``tiny-cpu-pairwise`` preset
on one run folder, with a loopback judge (tests/helpers/fake_judge.policy_wins_responder on
127.0.0.1: a reference always loses to the policy's answer, peers are ranked by length):

1. steps 1-2 (checkpoint at step 2, with ``longwriter_curriculum.json`` beside it);
2. ``resume_mode=auto`` to step 3: it loads the step-2 checkpoint and the curriculum state.

The preset runs 2 reward workers (verl hands each finished sample to one of them, so each sees
fragments of groups); the pairwise rewards are group-level, scored by the trainer mode once per
step over whole groups: the tests check that from the metrics and from the judge's request log.

The data (rl/data/pairwise_prompts.jsonl): 4 training prompts (one batch, so every step sees every
prompt), each with 4 references marked ``[reference L<k>]``, so the judge's requests show which
level each comparison used.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

#: The bundled example (also docs/rewards.md's loopback recipe): 5 requests, each with 4 references
#: marked "[reference L<k>]"; prepare-rl with val_fraction 0.2 keeps 4 for training.
PROMPTS_FILE = Path(__file__).resolve().parents[2] / "rl" / "data" / "pairwise_prompts.jsonl"
N_REFS = 4
STATE = "longwriter_curriculum.json"
N_ROLLOUTS = 4  # rollout.n: the group size
SAMPLES = 16  # 4 prompts x rollout.n 4


def _references(pid: str) -> list[str]:
    return [f"[reference L{k}] {pid}: a reference answer at level {k}." for k in range(N_REFS)]


def _request_of(body: dict) -> str:
    """The writing request a pairwise judge request is about."""
    from fake_openai import last_user_content

    return last_user_content(body).split("## Request\n", 1)[-1].split("\n\n## Answer A", 1)[0].strip()


def _peer_blocks(requests: list[dict]) -> list[list[dict]]:
    """The runs of consecutive ``group_pairwise`` requests (no reference answer in them)."""
    from fake_judge import REFERENCE_MARK
    from fake_openai import last_user_content

    blocks: list[list[dict]] = []
    previous_peer = False
    for body in requests:
        peer = REFERENCE_MARK not in last_user_content(body)
        if peer and not previous_peer:
            blocks.append([])
        if peer:
            blocks[-1].append(body)
        previous_peer = peer
    return blocks


def _levels_in(requests: list[dict]) -> set[int]:
    """The reference levels the pairwise judge's requests compared against."""
    from fake_openai import last_user_content

    return {int(m) for body in requests for m in re.findall(r"\[reference L(\d+)\]", last_user_content(body))}


@pytest.fixture(scope="module")
def pairwise_run():
    from fake_judge import policy_wins_responder
    from fake_openai import FakeOpenAIServer

    from longwrite.cli import main
    from rl.metrics import read_metrics
    from rl.prepare import prepare_rl_data

    root = Path(tempfile.mkdtemp(prefix="lw-pairwise-"))
    rows = [json.loads(line) for line in PROMPTS_FILE.read_text().splitlines()]
    assert all(r["references"] == _references(r["id"]) for r in rows)  # the markers the judge reads
    data = prepare_rl_data(PROMPTS_FILE, root / "data", val_fraction=0.2)  # 4 train, 1 val
    assert data.n_train == 4
    out = root / "run"
    server = FakeOpenAIServer(policy_wins_responder()).start()
    common = [
        "train", "--preset", "tiny-cpu-pairwise", "--data-dir", str(root / "data"),
        "--output-dir", str(out), "--timeout", "900", "--quiet",
        f"reward_options.pairwise.base_url={server.url}",
        f"reward_options.group_pairwise.base_url={server.url}",
        "reward_options.pairwise.timeout=120", "reward_options.group_pairwise.timeout=120",
    ]  # fmt: skip
    try:
        rc1 = main([*common, "trainer.total_training_steps=2"])
        first_requests = server.snapshot()
        state2 = out / "checkpoints" / "global_step_2" / STATE
        saved2 = json.loads(state2.read_text()) if state2.exists() else None
        rc2 = main([*common, "trainer.total_training_steps=3", "trainer.resume_mode=auto"])
        server.wait_idle()
        all_requests = server.snapshot()
        rows = read_metrics(out)
        yield {
            "rc": (rc1, rc2),
            "out": out,
            "rows": rows,
            "first_requests": first_requests,
            "resumed_requests": all_requests[len(first_requests) :],
            "saved2": saved2,
            "train_ids": sorted(_train_ids(data.train)),
            "requests_text": _train_requests(data.train),
        }
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _train_requests(path) -> list[str]:
    import pyarrow.parquet as pq

    return sorted(r["extra_info"]["request"].strip() for r in pq.read_table(path).to_pylist())


def _train_ids(path) -> set[str]:
    import pyarrow.parquet as pq

    return {r["extra_info"]["id"] for r in pq.read_table(path).to_pylist()}


def _steps(rows: list[dict], launch: int) -> dict[int, dict]:
    files = sorted({row["_file"] for row in rows})
    return {
        row["step"]: row
        for row in rows
        if row["_file"] == files[launch] and any(k.startswith("longwriter/") for k in row)
    }


def test_both_pairwise_rewards_are_in_the_metrics_with_judge_calls(pairwise_run):
    assert pairwise_run["rc"] == (0, 0)
    rows = pairwise_run["rows"]
    assert len({row["_file"] for row in rows}) == 2  # one metrics file per launch
    first, resumed = _steps(rows, 0), _steps(rows, 1)
    assert sorted(first) == [1, 2] and sorted(resumed) == [3]
    for step, row in {**first, **resumed}.items():
        assert row["longwriter/samples"] == SAMPLES
        for name in ("pairwise", "group_pairwise"):
            assert row[f"longwriter/reward/{name}/weight"] == 1.0, step
        # The judge always prefers the policy to a reference: every judged rollout wins (1.0); an
        # empty answer (the random tiny policy writes one now and then) is a loss with no call.
        mean = row["longwriter/reward/pairwise/mean"]
        assert mean >= 0.75, step
        assert row["longwriter/reward/pairwise/missing_ratio"] == 0.0, step
        # Both orders per judged rollout: 2 calls each.
        assert row["longwriter/judge_calls/pairwise"] == pytest.approx(2 * SAMPLES * mean), step
        empty = SAMPLES - row["longwriter/judge_calls/pairwise"] / 2
        # Peers: the longer answer wins, an empty one is a loss without a call; with 2 reward
        # workers verl splits groups between them, but the trainer scores the group rewards once
        # per step over whole groups: no sample lacks a peer, each group is judged at its size n.
        assert 0.0 <= row["longwriter/reward/group_pairwise/mean"] <= 1.0, step
        assert row["longwriter/reward/group_pairwise/missing_ratio"] == 0.0, step
        assert row["longwriter/groups/group_pairwise/judged_size_min"] == N_ROLLOUTS, step
        assert row["longwriter/groups/group_pairwise/judged_size_max"] == N_ROLLOUTS, step
        assert row["longwriter/group_rewards/groups"] == 4, step
        assert row["longwriter/judge_calls/group_pairwise"] == pytest.approx(2 * (SAMPLES - empty)), step
    # The logged calls are exactly the requests the judge received, launch by launch.
    calls = {
        launch: sum(r["longwriter/judge_calls/pairwise"] + r["longwriter/judge_calls/group_pairwise"]
                    for r in steps.values())
        for launch, steps in ((0, first), (1, resumed))
    }  # fmt: skip
    assert calls[0] == len(pairwise_run["first_requests"])
    assert calls[1] == len(pairwise_run["resumed_requests"])
    # The judge's log: each step's group_pairwise requests came as ONE batch (a run of requests
    # without a reference in them), and each batch covered every prompt of the step: 2 batches in
    # the first launch, 1 in the resumed one (fragments from 2 reward workers would interleave).
    for launch, steps in (("first_requests", 2), ("resumed_requests", 1)):
        blocks = _peer_blocks(pairwise_run[launch])
        assert len(blocks) == steps, (launch, [len(b) for b in blocks])
        for block in blocks:
            assert {_request_of(body) for body in block} == set(pairwise_run["requests_text"])


def test_curriculum_levels_advance_per_step_and_survive_the_resume(pairwise_run):
    assert pairwise_run["rc"] == (0, 0)
    ids = pairwise_run["train_ids"]
    assert len(ids) == 4
    first, resumed = _steps(pairwise_run["rows"], 0), _steps(pairwise_run["rows"], 1)
    # Every prompt's whole group beats its reference each step: each advances once per step,
    # decided on one report per prompt that covers its whole group (curriculum_min_samples is 1).
    for step, row in ((1, first[1]), (2, first[2]), (3, resumed[3])):
        assert row["longwriter/curriculum/reports"] == 4, step
        assert row["longwriter/curriculum/report_size_min"] == N_ROLLOUTS, step
        assert row["longwriter/curriculum/report_size_max"] == N_ROLLOUTS, step
        assert row["longwriter/curriculum/groups_skipped"] == 0, step
        assert row["longwriter/curriculum/advances"] == 4, step
        assert row["longwriter/curriculum/mean_level"] == step, step
        assert row["longwriter/curriculum/prompts"] == 4, step
    # Saved beside the step-2 checkpoint, at the levels the metrics reported.
    saved2 = pairwise_run["saved2"]
    assert saved2 is not None, "no curriculum state beside the step-2 checkpoint"
    assert saved2["levels"] == {pid: 2 for pid in ids}
    assert saved2["advances_total"] == 8
    # The resumed run started from the saved levels, not from 0: its judge requests compared
    # against level-2 references only (step 3), the first run's against levels 0 and 1.
    assert _levels_in(pairwise_run["first_requests"]) == {0, 1}
    assert _levels_in(pairwise_run["resumed_requests"]) == {2}
    # ...and its own checkpoint (the last step) carries the levels on.
    out = pairwise_run["out"]
    saved3 = json.loads((out / "checkpoints" / "global_step_3" / STATE).read_text())
    assert saved3["levels"] == {pid: 3 for pid in ids}
    assert saved3["advances_total"] == 12
    log = sorted((out / "logs").glob("train-*.log"))[-1].read_text(errors="replace")
    assert "curriculum state loaded from" in log and "global_step_2: 4 prompts, mean level 2.000" in log
