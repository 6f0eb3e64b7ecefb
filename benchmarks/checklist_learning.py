"""Does GRPO learn a checklist on CPU? And BRPO a pairwise judge's preference? From the tiny writer.

Two runs of the tiny writer (``sft_baseline.writer``: it writes plan-then-write English prose from a
small grammar in which a sentence opens with "Therefore," about 5% of the time) on 8 bundled English
requests, every request's checklist asking for the term "Therefore" (made through ``prepare-rl
--checklists`` by a loopback generator; padded with two neutral criteria), a loopback judge on
127.0.0.1 (tests/helpers/fake_judge.learning_responder) and the learning settings of the length
runs (``longwrite.learning.LEARNING_OVERRIDES``: lr 5e-4, every prompt every step):

``checklist``
    preset ``tiny-cpu-checklist``, rewards checklist 1 + format 0.5, balanced advantage. Learned:
    ``longwriter/checklist/criterion/Mentions Therefore/mean`` (the judge's 1-10 score: 9 when used,
    2 when not) and ``longwriter/reward/checklist/mean`` rise.
``brpo``
    rewards group_pairwise 1 + format 0.5, ``longwriter.advantage_mode=brpo``; the pairwise judge
    prefers the answer that uses "Therefore" (tie when both or neither do). Learned: the share of
    answers using it rises; measured through the checklist reward kept at weight 0 (logged, not
    trained on) and ``longwriter/brpo/win_share``.

Printed per step, and the statistics of ``longwrite.learning``: the least-squares slope with its
95% t interval and the drift-robust random-walk test (the baseline is each run's own first steps).
``python -m benchmarks checklist_learning`` (two GRPO runs; about 10-20 minutes on 2 quiet cores).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

TERM = "Therefore"
STEPS = int(os.environ.get("CHECKLIST_LEARNING_STEPS", "8"))
KEY = f"longwriter/checklist/criterion/Mentions {TERM}/mean"


def _prompts(out: Path, n: int = 8) -> Path:
    from rl.prepare import BUNDLED_PROMPTS
    from rollout.jsonl import read_jsonl
    from rollout.text import language_of

    rows = [
        r
        for _, r in read_jsonl(BUNDLED_PROMPTS).records
        if (r.get("language") or language_of(r["prompt"])) == "en"
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "".join(
            json.dumps({"id": r["id"], "prompt": r["prompt"], "target": {"lower": 30, "upper": 110}}) + "\n"
            for r in rows[:n]
        )
    )
    return out


def run(kind: str, root: Path, url: str) -> list[dict]:
    """One learning run (``checklist`` or ``brpo``); its per-step metric rows."""
    from longwrite.learning import LEARNING_OVERRIDES
    from rl.local_run import train
    from rl.metrics import read_metrics
    from rl.prepare import prepare_rl_data
    from rl.presets import build_plan
    from sft_baseline.writer import tiny_writer_path

    data = root / kind / "data"
    prepare_rl_data(
        _prompts(root / kind / "prompts.jsonl"),
        data,
        val_fraction=0.0,
        checklist_endpoint=url,
        checklist_model="fake-model",
    )
    common = [
        f"actor_rollout_ref.model.path={tiny_writer_path(0)}",
        f"trainer.total_training_steps={STEPS}",
        f"trainer.save_freq={STEPS}",
        f"trainer.total_epochs={STEPS}",
        f"data.val_files={data / 'train.parquet'}",
        f"trainer.experiment_name=checklist-learning-{kind}",
        f"reward_options.checklist.base_url={url}",
        "~rewards.length",
        "rewards.format=0.5",
        *LEARNING_OVERRIDES,
    ]
    if kind == "brpo":
        common += [
            "rewards.checklist=0",
            "rewards.group_pairwise=1.0",
            f"reward_options.group_pairwise.base_url={url}",
            "reward_options.group_pairwise.model=fake-model",
            "longwriter.advantage_mode=brpo",
        ]
    plan = build_plan("tiny-cpu-checklist", common, output_dir=root / kind / "run", data_dir=data)
    result = train(plan, timeout_s=3000)
    if result.returncode != 0:
        kept = Path(tempfile.gettempdir()) / f"checklist-learning-{kind}.log"
        if result.log_file is not None and Path(result.log_file).exists():
            shutil.copy(result.log_file, kept)  # the run folder is removed at the end
        raise RuntimeError(f"{kind}: verl failed (exit {result.returncode}); log kept at {kept}")
    rows = [r for r in read_metrics(plan.output_dir) if any(k.startswith("longwriter/") for k in r)]
    return sorted(rows, key=lambda r: r["step"])


def main() -> None:
    """Both runs, their per-step table and their statistics."""
    from longwrite.learning import learning_drift_test, learning_slope

    helpers = str(Path(__file__).resolve().parents[1] / "tests" / "helpers")
    sys.path.insert(0, helpers)
    from fake_judge import learning_responder
    from fake_openai import FakeOpenAIServer

    root = Path(tempfile.mkdtemp(prefix="lw-checklist-learning-"))
    kinds = os.environ.get("CHECKLIST_LEARNING_RUNS", "checklist,brpo").split(",")
    try:
        with FakeOpenAIServer(learning_responder(TERM)) as server:
            runs = {kind: run(kind, root, server.url) for kind in kinds}
        for kind, rows in runs.items():
            print(
                f"\n[{kind}] step  '{TERM}' score (1-10)  checklist reward  format  well-formed  brpo win share"
            )
            for r in rows:
                print(
                    f"[{kind}] {r['step']:>4}  {r.get(KEY, float('nan')):>20.2f}  {r.get('longwriter/reward/checklist/mean', float('nan')):>16.3f}"
                    f"  {r.get('longwriter/reward/format/mean', float('nan')):>6.3f}  {r.get('longwriter/well_formed_ratio', float('nan')):>11.2f}"
                    f"  {r.get('longwriter/brpo/win_share', float('nan')):>14.2f}"
                )
            series = [r[KEY] for r in rows if KEY in r]
            if len(series) >= 4:
                print(f"[{kind}] '{TERM}' score: {learning_slope(series)}")
                print(
                    f"[{kind}] '{TERM}' score, drift-robust (random-walk null): {learning_drift_test(series)}"
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
