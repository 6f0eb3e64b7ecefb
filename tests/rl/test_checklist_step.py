"""The checklist reward through verl's reward entry point (fixed keys, the row's checklist read from
extra_info) and its per-step metrics; BRPO's metrics through the trainer's step helper."""

from __future__ import annotations

import json
import math

import pytest
from fake_judge import checklist_judge_responder, term_checklist
from fake_openai import FakeOpenAIServer

from rl.reward_details import checklist_metrics
from rl.trainer import extra_step_metrics
from rl.verl_reward import build_sample, compute_score_sync, result_keys

REQUEST = "Write about the harbour and its lighthouse keeper. " * 60


def test_verl_reward_reads_the_row_checklist_and_returns_fixed_keys():
    checklist = json.dumps(term_checklist(["lighthouse", "keeper", "harbour"], hard=["harbour"]))
    info = {"request": REQUEST, "id": "p1", "checklist": checklist, "checklist_key": "k"}
    assert build_sample("x", None, info).metadata["checklist"] == checklist
    with FakeOpenAIServer(checklist_judge_responder()) as server:
        cfg = {
            "rewards": {"checklist": 1.0},
            "options": {"checklist": {"base_url": server.url, "model": "m"}},
        }
        good = compute_score_sync(
            "longwriter_rl",
            "<think>p</think><answer>the harbour lighthouse keeper</answer>",
            None,
            info,
            reward_config=cfg,
        )
        vetoed = compute_score_sync(
            "longwriter_rl",
            "<think>p</think><answer>a lighthouse keeper</answer>",
            None,
            info,
            reward_config=cfg,
        )
        none = compute_score_sync(
            "longwriter_rl",
            "<think>p</think><answer>text</answer>",
            None,
            {"request": REQUEST},
            reward_config=cfg,
        )
    keys = result_keys(cfg)
    for r in (good, vetoed, none):
        assert list(r) == keys  # the same key set whatever happened
    assert good["checklist"] == pytest.approx(8 / 9) and good["checklist_judge_calls"] == 3
    assert json.loads(good["checklist_scores"]) == {
        "Mentions lighthouse": 9,
        "Mentions keeper": 9,
        "Mentions harbour": 9,
    }
    assert vetoed["checklist"] == pytest.approx(0.2) and vetoed["checklist_vetoed"] == 1.0
    assert (
        math.isnan(none["checklist"])
        and none["checklist_missing"] == 1.0
        and none["checklist_scores"] == "{}"
    )
    metrics = checklist_metrics([good, vetoed, none])
    assert metrics["longwriter/checklist/judged"] == 2
    assert metrics["longwriter/checklist/vetoed_ratio"] == 0.5
    assert metrics["longwriter/checklist/criterion/Mentions harbour/mean"] == pytest.approx((9 + 2) / 2)
    assert (
        metrics["longwriter/checklist/prompt_tokens"]
        == good["checklist_prompt_tokens"] + vetoed["checklist_prompt_tokens"]
    )


def test_step_helper_adds_brpo_metrics_over_real_samples_only():
    scores = {"group_pairwise": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]}
    uids = ["a"] * 4 + ["b"] * 4 + ["a"]
    keep = [True] * 8 + [False]  # the padding copy is left out
    out = extra_step_metrics(scores, uids, keep, [{}] * 8, {"pairwise": "group_pairwise", "max_skew": 0.6})
    assert out["longwriter/brpo/groups"] == 2 and out["longwriter/brpo/dropped_groups"] == 1
    assert out["longwriter/brpo/win_share"] == pytest.approx(6 / 8)
    assert extra_step_metrics(scores, uids, keep, [{}] * 8, {}) == {}  # neither checklist nor brpo


def test_a_checklist_judge_that_stays_missing_stops_the_run():
    """The judge rules apply: checklist has a base_url, so JudgeWatch watches it."""
    from rewards.base import RewardConfig
    from rl.trainer import JudgeDownError, JudgeWatch, judge_limits

    cfg = RewardConfig(
        {"checklist": 1.0}, {"checklist": {"base_url": "http://127.0.0.1:9/v1", "judge_max_missing_steps": 2}}
    )
    watch = JudgeWatch(judge_limits(cfg))
    assert set(watch.limits) == {"checklist"}
    reasons = [["checklist: judge failed, criterion 'A': endpoint error: HTTP 500 (missing, not 0)"]]
    watch.update(1, {"checklist": [math.nan, math.nan, 0.5]}, reasons)
    with pytest.raises(JudgeDownError, match="reward 'checklist': the judge at http://127.0.0.1:9/v1"):
        watch.update(2, {"checklist": [math.nan, math.nan, 0.5]}, reasons)


def test_a_step_with_too_many_criterion_names_logs_none_of_them_and_says_so(caplog):
    """Thousands of requests, each with its own criteria, would log a series per name: above the
    cap the per-name series are left out, counted each step and warned about once, never dropped
    in silence; at or under it, every name is logged."""
    import logging

    import rl.reward_details as details

    def info(names):
        scores = {n: 9 for n in names}
        return {"checklist_scores": json.dumps(scores), "checklist_prompt_tokens": 10.0}

    infos = [info([f"Covers point {i}" for i in range(k, k + 3)]) for k in range(0, 12, 3)]  # 12 names
    under = details.checklist_metrics(infos, max_named=12)
    assert under["longwriter/checklist/criterion_names"] == 12
    assert under["longwriter/checklist/criterion_names_unlogged"] == 0
    assert sum(k.startswith("longwriter/checklist/criterion/") for k in under) == 12
    details._warned = False
    with caplog.at_level(logging.WARNING, logger="rl.reward_details"):
        over = details.checklist_metrics(infos, max_named=11)
        details.checklist_metrics(infos, max_named=11)
    assert not any(k.startswith("longwriter/checklist/criterion/") for k in over)
    assert over["longwriter/checklist/criterion_names"] == 12
    assert over["longwriter/checklist/criterion_names_unlogged"] == 12
    assert over["longwriter/checklist/judged"] == 4  # the aggregates stay
    warned = [r for r in caplog.records if "checklist_max_named" in r.getMessage()]
    assert len(warned) == 1, [r.getMessage() for r in caplog.records]
    # the trainer's step helper passes the setting through (None: the default, 32)
    from rl.trainer import extra_step_metrics

    step = extra_step_metrics({}, [], [], infos, {}, 11)
    assert step["longwriter/checklist/criterion_names_unlogged"] == 12
    assert (
        extra_step_metrics({}, [], [], infos, {}, None)["longwriter/checklist/criterion_names_unlogged"] == 0
    )
