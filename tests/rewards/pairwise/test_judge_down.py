"""A judge that answers, then hangs, then refuses: the pairwise rewards at step level.

One real loopback judge (tests/helpers/fake_openai.py, HTTP on 127.0.0.1) goes through three
phases while the trainer's step helpers (rl.trainer.score_group_rewards, JudgeWatch) score a step
of 2 whole groups of 4 in each phase:

1. it answers: every judgement arrives, both prompts advance on whole groups;
2. it hangs (every reply delayed far past the deadline): each step ends at the per-step deadline,
   not after timeout x retries, and a second step is not held up by the first one's hung calls;
   the curriculum hears nothing (no losses for the empty answers of a group whose real answers
   are missing);
3. it refuses (the server is gone): judgements fail fast; after 2 bad steps in a row the run stops
   with an error naming the endpoint.
"""

from __future__ import annotations

import math
import time

import pytest
from fake_judge import policy_wins_responder
from fake_openai import FakeOpenAIServer, Reply

from rewards.base import RewardConfig, RewardSample
from rewards.pairwise.curriculum import get_curriculum
from rl.trainer import JudgeDownError, JudgeWatch, judge_limits, score_group_rewards

DEADLINE_S = 1.5
N = 4  # rollouts per prompt


def phased_judge():
    """A responder answering as :func:`policy_wins_responder` while ``phase["now"] == "answer"``,
    and hanging (a reply an hour late) while it is ``"hang"``."""
    phase = {"now": "answer"}
    answer = policy_wins_responder()

    def respond(body: dict, attempt: int):
        if phase["now"] == "hang":
            return Reply.slow(3600.0)
        return answer(body, attempt)

    return respond, phase


def step_samples(step: int) -> tuple[list[RewardSample], list[str]]:
    """2 prompts x N rollouts, interleaved (as TransferQueue may hand them over); prompt "b" has
    two empty answers, prompt "a" one 10,000-word answer; requests of several thousand characters.
    References are marked ``[reference`` so the policy always wins."""
    samples, groups = [], []
    for k in range(N):
        for pid in ("a", "b"):
            answer = (
                "" if (pid == "b" and k < 2) else f"answer {k} of {pid} at step {step} " + "word " * (k + 1)
            )
            if pid == "a" and k == 3:
                answer += " ".join(f"w{j % 997}" for j in range(10_000))
            samples.append(
                RewardSample(
                    f"Write about {pid}. " + "Keep to the brief and mind the details. " * 100,
                    f"<think>plan</think><answer>{answer}</answer>",
                    {"id": pid, "references": [f"[reference L{j}] {pid}" for j in range(3)]},
                )
            )
            groups.append(f"uid-{pid}-{step}")
    return samples, groups


def test_a_judge_that_answers_then_hangs_then_refuses():
    respond, phase = phased_judge()
    server = FakeOpenAIServer(respond).start()
    name = "test-judge-down"
    options = {
        "base_url": server.url,
        "model": server.model,
        "concurrency": 2,  # fewer slots than calls: a hung call holding one would stall the rest
        "timeout": 30.0,  # per attempt: without the deadline a hung step would take minutes
        "max_retries": 2,
        "backoff_base": 0.01,
        "deadline_s": DEADLINE_S,
    }
    config = RewardConfig(
        rewards={"pairwise": 1.0, "group_pairwise": 1.0},
        options={
            "pairwise": {**options, "curriculum_name": name, "curriculum_min_samples": 1},
            "group_pairwise": dict(options),
        },
    )
    limits = judge_limits(config, {"judge_max_missing_share": 0.5, "judge_max_missing_steps": 3})
    assert {n: (lim.endpoint, lim.max_steps) for n, lim in limits.items()} == {
        "pairwise": (server.url, 3),
        "group_pairwise": (server.url, 3),
    }
    watch = JudgeWatch(limits)
    store = get_curriculum(name, use_ray=False)

    def step(number: int) -> tuple[list[dict], dict, float]:
        samples, groups = step_samples(number)
        start = time.monotonic()
        additions, reasons, metrics = score_group_rewards(samples, groups, config)
        elapsed = time.monotonic() - start
        scores = {n: [row[n] for row in additions] for n in config.rewards}
        metrics.update({f"curriculum/{k}": v for k, v in store.step_metrics().items()})
        metrics.update(watch.update(number, scores, reasons))
        return additions, metrics, elapsed

    try:
        # 1. answering: every sample judged, each prompt decided once on its whole group of 4
        rows, m, _ = step(1)
        assert [row["pairwise"] for row in rows] == [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0]
        assert m["longwriter/judge/pairwise/missing_ratio"] == 0.0
        assert m["longwriter/judge/group_pairwise/missing_ratio"] == 0.0
        assert m["longwriter/groups/group_pairwise/judged_size_min"] == N
        assert m["curriculum/reports"] == 2 and m["curriculum/report_size_min"] == N
        assert store.get_levels(["a", "b"]) == {"a": 1, "b": 1}  # 4/4 and 2/4 >= 0.5

        # 2. hanging: each step ends at its deadline (not after 30 s x 3 attempts), and the second
        # is not held up by the first one's hung calls (cancelled, their slots freed)
        phase["now"] = "hang"
        for number in (2, 3):
            rows, m, elapsed = step(number)
            assert elapsed < 2 * DEADLINE_S + 3.0, elapsed  # two rewards, one deadline each
            assert [math.isnan(row["pairwise"]) for row in rows] == [True, False, True, False] + [True] * 4
            assert m["longwriter/judge/pairwise/missing_ratio"] == 0.75  # the 2 empties are losses
            # b's empty answers are not reported as losses while its real answers are missing:
            # the curriculum heard nothing from either group
            assert m["curriculum/reports"] == 0 and m["curriculum/groups_skipped"] == 2
            assert m["longwriter/judge/pairwise/bad_steps"] == number - 1
        assert store.get_levels(["a", "b"]) == {"a": 1, "b": 1}

        # 3. refusing (the server is gone): fails fast; the third bad step in a row stops the run
        server.stop()
        with pytest.raises(JudgeDownError) as err:
            step(4)
    finally:
        server.stop()
    message = str(err.value)
    assert message.startswith("reward 'pairwise': the judge at " + server.url + " left 75% of step 4")
    assert "connection error" in message and "judge_max_missing_share" in message


def test_a_refusing_judge_fails_fast_and_stops_the_run_naming_the_endpoint():
    server = FakeOpenAIServer(policy_wins_responder()).start()
    url = server.url
    server.stop()  # nothing listens there any more: connection refused
    options = {"base_url": url, "model": "m", "timeout": 30.0, "max_retries": 1, "backoff_base": 0.01}
    config = RewardConfig(rewards={"group_pairwise": 1.0}, options={"group_pairwise": options})
    watch = JudgeWatch(judge_limits(config, {}))  # defaults: more than 50 % for 3 steps
    assert watch.limits["group_pairwise"].max_steps == 3
    for number in (1, 2, 3):
        samples, groups = step_samples(number)
        start = time.monotonic()
        rows, reasons, _ = score_group_rewards(samples, groups, config)
        assert time.monotonic() - start < 10.0
        assert "connection error" in " ".join(r for rs in reasons for r in rs)
        scores = {"group_pairwise": [row["group_pairwise"] for row in rows]}
        if number < 3:
            assert (
                watch.update(number, scores, reasons)["longwriter/judge/group_pairwise/bad_steps"] == number
            )
    with pytest.raises(JudgeDownError, match=rf"reward 'group_pairwise': the judge at {url} left 75%"):
        watch.update(3, scores, reasons)
