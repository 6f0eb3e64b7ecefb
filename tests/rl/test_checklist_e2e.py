"""Slow, end to end: the checklist reward and the BRPO advantage in one real tiny-cpu GRPO run
through verl (vLLM CPU rollouts, 2 reward workers, our trainer mode), with one loopback server on
127.0.0.1 (tests/helpers/fake_judge.checklist_e2e_responder) that writes the checklists at
``prepare-rl --checklists``, scores criteria from the answers' content and judges pairs.

One launch of ``tiny-cpu-checklist`` with ``rewards.group_pairwise=1.0`` and
``longwriter.advantage_mode=brpo``, 2 steps: the wiring is proven from the step metrics (checklist
per-criterion scores, judge calls, BRPO's groups / dropped groups / win share) and the judge's
request log. Whether the policy LEARNS a checklist is benchmarks/checklist_learning.py's question.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROMPTS_FILE = Path(__file__).resolve().parents[2] / "rl" / "data" / "pairwise_prompts.jsonl"
SAMPLES = 16  # 4 prompts x rollout.n 4
CRITERIA = 3  # the loopback writer's checklists: "Mentions X" for 3 words of the request


@pytest.fixture(scope="module")
def run():
    from fake_judge import checklist_e2e_responder
    from fake_openai import FakeOpenAIServer

    from longwrite.cli import main
    from rl.metrics import read_metrics
    from rl.prepare import prepare_rl_data

    root = Path(tempfile.mkdtemp(prefix="lw-checklist-"))
    server = FakeOpenAIServer(checklist_e2e_responder()).start()
    try:
        data = prepare_rl_data(
            PROMPTS_FILE,
            root / "data",
            val_fraction=0.2,
            checklist_endpoint=server.url,
            checklist_model="fake-model",
        )
        assert data.n_train == 4
        generated = len(server.snapshot())
        out = root / "run"
        rc = main(
            [
                "train", "--preset", "tiny-cpu-checklist", "--data-dir", str(root / "data"),
                "--output-dir", str(out), "--timeout", "900", "--quiet",
                f"reward_options.checklist.base_url={server.url}", "reward_options.checklist.timeout=120",
                "rewards.group_pairwise=1.0", f"reward_options.group_pairwise.base_url={server.url}",
                "reward_options.group_pairwise.model=fake-model", "reward_options.group_pairwise.timeout=120",
                "longwriter.advantage_mode=brpo", "trainer.total_training_steps=2",
            ]
        )  # fmt: skip
        server.wait_idle()
        if rc != 0 and (out / "logs").exists():  # keep verl's log past the cleanup below
            shutil.copytree(
                out / "logs", Path(tempfile.gettempdir()) / "lw-checklist-e2e-logs", dirs_exist_ok=True
            )
        requests = server.snapshot()[generated:]
        rows = [r for r in read_metrics(out) if any(k.startswith("longwriter/") for k in r)]
        yield {"rc": rc, "rows": rows, "requests": requests, "out": out}
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_checklist_scores_and_brpo_metrics_are_in_every_step(run):
    from fake_openai import last_user_content

    assert run["rc"] == 0, f"verl failed, see {Path(tempfile.gettempdir()) / 'lw-checklist-e2e-logs'}"
    rows = run["rows"]
    assert sorted(r["step"] for r in rows) == [1, 2]
    criterion_calls = [b for b in run["requests"] if "[Criterion]" in last_user_content(b)]
    pair_calls = [b for b in run["requests"] if "## Answer A" in last_user_content(b)]
    for row in rows:
        assert row["longwriter/samples"] == SAMPLES
        # checklist: every answer judged on its 3 criteria (empty answers score 0 without a call)
        assert row["longwriter/reward/checklist/missing_ratio"] == 0.0
        assert 0.0 <= row["longwriter/reward/checklist/mean"] <= 1.0
        judged = row["longwriter/checklist/judged"]
        assert row["longwriter/judge_calls/checklist"] == CRITERIA * judged
        if judged:
            assert row["longwriter/checklist/criteria_mean"] == CRITERIA
            assert any(k.startswith("longwriter/checklist/criterion/Mentions ") for k in row)
        assert row["longwriter/checklist/prompt_tokens"] > 0 or judged == 0
        # BRPO: 4 groups, each either kept or dropped by the skew filter, with the win share logged
        assert row["longwriter/brpo/groups"] == 4
        assert 0 <= row["longwriter/brpo/dropped_groups"] <= 4
        assert row["longwriter/reward/group_pairwise/missing_ratio"] == 0.0
        assert 0.0 <= row.get("longwriter/brpo/win_share", 0.0) <= 1.0
        assert row["longwriter/brpo/max_skew"] == 0.6
    total = sum(r["longwriter/judge_calls/checklist"] for r in rows)
    assert total == len(criterion_calls)  # the logged calls are the judge's requests
    assert len(pair_calls) == sum(r["longwriter/judge_calls/group_pairwise"] for r in rows)
