"""The checklist / BRPO learning proof (benchmarks/checklist_learning.py): how it reads a run, and
the verdicts of the runs recorded in benchmarks/RESULTS.md.

The GRPO runs themselves take about 5 minutes each (four per design pair), so the suite does not
repeat them; their per-step rows are saved beside the benchmark (``checklist-learning.json``, and
``-permute`` / ``-negate`` for the negative controls) and re-scored here: the real pairs must pass
the contrast criterion and each broken-advantage control must fail it. What the rows are, how they
were made and the tables: RESULTS.md, "Checklist and BRPO learning".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_judge import term_pairwise_verdict

from benchmarks.checklist_learning import (
    CHECKLIST_REWARD,
    KINDS,
    ROLLOUTS,
    TERM,
    criterion_key,
    term_share,
    verdict,
)
from longwrite.learning import contrast_criterion

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _rows(direction: str, scores: list[float], reward: list[float]) -> list[dict]:
    return [
        {"step": i + 1, criterion_key(direction): s, CHECKLIST_REWARD: r}
        for i, (s, r) in enumerate(zip(scores, reward, strict=True))
    ]


def test_the_share_is_read_from_either_criterion_the_right_way_round():
    # The loopback judge scores 9 for doing what the criterion asks, 2 for not: a use run's mean
    # score 5.5 is half the answers using the term; an avoid run's 7.6 is 20% using it.
    assert term_share(_rows("use", [2, 5.5, 9], [0, 0, 0]), "use") == pytest.approx([0, 0.5, 1])
    assert term_share(_rows("avoid", [9, 7.6, 2], [0, 0, 0]), "avoid") == pytest.approx([0, 0.2, 1])
    assert term_share([{"step": 1}], "use") == []  # a step without the metric is not a share of 0


def test_the_pairwise_judge_can_be_asked_either_way():
    uses, lacks = f"a story of {TERM} and light", "a story of light"
    assert term_pairwise_verdict(uses, lacks, TERM) == "A"
    assert term_pairwise_verdict(uses, lacks, TERM, avoid=True) == "B"
    assert term_pairwise_verdict(uses, uses, TERM, avoid=True) == "tie"


def _saved(name: str) -> dict:
    path = BENCH / name
    assert path.exists(), (
        f"{path} is missing: run python -m benchmarks.checklist_learning (see its docstring)"
    )
    return json.loads(path.read_text())


def test_the_recorded_pairs_learned_and_every_control_failed():
    real = _saved("checklist-learning.json")
    for kind in KINDS:
        use, avoid = real[f"{kind}-use"], real[f"{kind}-avoid"]
        assert use["returncode"] == avoid["returncode"] == 0
        assert use["control"] is None and len(use["rows"]) == len(avoid["rows"]) >= 8
        got = verdict(use, avoid)
        assert got.passed, f"{kind}:\n{got}"
        # the criterion is directional: the same shares with the runs' roles swapped fail it
        up, down = term_share(use["rows"], "use"), term_share(avoid["rows"], "avoid")
        reward = [[r[CHECKLIST_REWARD] for r in x["rows"]] for x in (avoid, use)]
        assert not contrast_criterion(down, up, *reward).passed
    for control in ("permute", "negate"):
        runs = _saved(f"checklist-learning-{control}.json")
        for kind in KINDS:
            use, avoid = runs[f"{kind}-use"], runs[f"{kind}-avoid"]
            assert use["control"] == avoid["control"] == control
            assert use["returncode"] == avoid["returncode"] == 0, "a control that crashed proves nothing"
            got = verdict(use, avoid)
            assert not got.passed, f"negative control {control} passed for {kind}:\n{got}"


def test_the_recorded_rows_are_the_benchmark_settings():
    """The saved rows were made by the settings the benchmark states (so a re-run compares)."""
    for name in (
        "checklist-learning.json",
        "checklist-learning-permute.json",
        "checklist-learning-negate.json",
    ):
        for run in _saved(name).values():
            assert run["term"] == TERM
            for row in run["rows"]:  # 8 requests x ROLLOUTS answers a step, no judgement missing
                assert row["longwriter/samples"] == 8 * ROLLOUTS, row
                assert row["longwriter/reward/checklist/missing_ratio"] == 0.0, row
