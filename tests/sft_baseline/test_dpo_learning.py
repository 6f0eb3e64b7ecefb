"""Slow: DPO learns on CPU. The tiny writer's own replies, paired by ``longwrite pairs`` with a
length-aware score for targets it misses, train ``longwrite dpo``; the held-out margin rises from
0, and LongBench-Write S_l on the tiny models' items (required <= 300 words) rises over the SFT
writer, paired over the same items (one-sided exact sign test and a paired bootstrap interval).
The DPO model is evaluated through ``longwrite eval`` (vLLM loads OUT/final as it is)."""

from __future__ import annotations

import pytest

from longwrite.dpo_learning import LEARNING_DEFAULTS, run_dpo_learning


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_dpo_from_the_writer_raises_the_margin_and_s_l(tmp_path, longbench_dir):
    r = run_dpo_learning(tmp_path, longbench_dir / "longbench_write.jsonl", **LEARNING_DEFAULTS)
    curve = r.dpo["val_curve"]
    assert curve[0]["margin"] == pytest.approx(0.0, abs=1e-5)  # the policy starts as its own reference
    assert curve[-1]["margin"] > 0 and curve[-1]["accuracy"] >= 0.7, curve
    assert [row["epoch"] for row in curve] == sorted(row["epoch"] for row in curve)
    assert r.pairs["train"] >= 20 and r.pairs["val"] >= 5, r.pairs
    # the same items, the same sampling: DPO writes longer and scores higher on length
    assert r.produced["dpo"] > r.produced["sft-writer"], r.produced
    assert r.overall["dpo"] > r.overall["sft-writer"], r.overall
    s = r.stats
    assert s.sign_p < 0.05 and s.ci_low > 0, s
