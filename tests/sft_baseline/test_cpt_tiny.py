"""Slow: LongWriter-Zero's order on CPU - CPT of the tiny model on synthetic long documents (held-out
perplexity falls), its export, then GRPO with the tiny-cpu RL preset from the CPT model."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
@pytest.mark.timeout(1800)  # ~5 min on a quiet machine; a guard for a loaded one
def test_cpt_lowers_heldout_perplexity_then_grpo_runs_from_it(tmp_path):
    from longwrite.learning import run_learning
    from sft_baseline.cpt_eval import tiny_cpt_experiment

    res = tiny_cpt_experiment(tmp_path / "cpt")
    meta = res["meta"]
    mix = meta["mix"]
    books, traces = mix["sources"]
    print(
        f"\nheld-out perplexity: base {res['base']['perplexity']:.1f} -> CPT {res['cpt']['perplexity']:.1f}"
    )
    print(f"loss {meta['loss_first']:.3f} -> {meta['loss_last']:.3f} over {meta['steps']} steps")
    # the mix: books used once, traces at about their tenth of the tokens, long books split, none dropped
    assert books["passes"] == 1 and books["documents"] == 9 and books["documents_split"] == 9
    assert traces["share_realised"] == pytest.approx(0.1 / 1.1, abs=0.03)
    assert (
        mix["tokens"] == books["tokens"] + traces["tokens"]
        and mix["loss_tokens"] == mix["tokens"] - mix["segments"]
    )
    assert json.loads((tmp_path / "cpt" / "cpt" / "cpt.json").read_text())["mix"] == mix
    assert meta["steps"] >= 6 and meta["loss_last"] < meta["loss_first"]
    # held-out documents (another seed) are predicted far better than by the random base model
    assert res["cpt"]["tokens"] == res["base"]["tokens"] > 8000
    assert res["ratio"] < 0.5, res

    # CPT -> RL: GRPO (tiny-cpu preset: verl V1 trainer, vLLM CPU rollouts) from the exported model
    # The CPT model writes raw text, not the plan-then-write format, and rarely stops: responses are
    # capped at tiny-cpu's own 96 tokens (run_learning's 512 is for the writer's long answers).
    short = ["data.max_response_length=96", "actor_rollout_ref.rollout.max_model_len=480"]
    run = run_learning("long", tmp_path / "rl", steps=2, model=meta["hf"], overrides=short, timeout_s=1200)
    if run.returncode != 0:  # the log's tail in the failure itself: pytest may delete tmp_path later
        tail = run.log_file.read_text(errors="replace").splitlines()[-40:] if run.log_file else []
        pytest.fail(
            f"GRPO from the CPT model exited {run.returncode}; log {run.log_file}:\n" + "\n".join(tail)
        )
    assert [r["step"] for r in run.rows] == [1, 2]
