"""Does GRPO learn a checklist on CPU? And BRPO a pairwise judge's preference? From the tiny writer.

The proof is a contrast of two runs, as for the length targets (``longwrite.learning``): runs
identical but for what their judge asks, one pushed up, one pushed down. Every request's
checklist (made through ``prepare-rl --checklists`` by a loopback generator, padded with two
neutral criteria the judge always scores 6) either asks the answer to use the term :data:`TERM`
(``use``: ``Mentions music``) or forbids it (``avoid``: ``Avoids music``, a negative constraint);
the loopback judge on 127.0.0.1 (``tests/helpers/fake_judge.learning_responder``) scores that
criterion 9 when the answer does what it asks, 2 when not. The tiny writer (``sft_baseline.writer``)
picks its nouns at random from a small grammar, so about half its answers use "music" (measured:
53% of 128 samples at T 1.0; see the table's step 1): room to learn either way. The quantity
measured is the share of a step's answers that use the term, read from the criterion's mean score
``s``: ``(s - 2) / 7`` in a ``use`` run, ``(9 - s) / 7`` in an ``avoid`` run.

Two designs, each a ``use`` and an ``avoid`` run on 8 bundled English requests x :data:`ROLLOUTS`
rollouts, the learning settings of the length runs (``longwrite.learning.LEARNING_OVERRIDES``),
preset ``tiny-cpu-checklist``:

``checklist``
    rewards checklist 1 + format 0.5, the balanced advantage.
``brpo``
    rewards group_pairwise 1 + format 0.5, ``longwriter.advantage_mode=brpo``; the pairwise judge
    prefers the answer that uses the term (``avoid``: that does not; a tie when both or neither
    do). The checklist reward is kept at weight 0: logged, not trained on, it measures the share.

The verdict is :func:`longwrite.learning.contrast_criterion`: the share, ``use`` run minus ``avoid``
run, must rise beyond random-walk drift (a t-test on its step-to-step changes); the ``use`` run's
share must rise and the ``avoid`` run's fall; the reward (the checklist reward, trained on or
logged), both runs pooled, must rise. ``--control permute|negate`` runs the same pairs with their
advantages broken on purpose (``+longwriter.debug_advantage``), which must FAIL it. Per-step rows go
to ``checklist-learning[-<control>].json`` beside this file (``$LONGWRITE_BENCH_OUT``);
``--rescore FILE`` prints the verdicts of a saved file again.

``python -m benchmarks checklist_learning`` (four GRPO runs; about 5 minutes each on 2 quiet cores).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from longwrite.learning import Criterion

TERM = "music"
#: Rollouts per request: 128 answers a step per run. The drift test's t is about (total change of
#: the contrast) / (its per-step noise x sqrt(steps)), and a share cannot change by more than 1, so
#: the test needs a quiet measurement: with 8 (64 answers) the 2026-12-05 checklist pair learned
#: plainly (0.58 -> 0.97 and 0.64 -> 0.19) yet reached only t 2.14 (needs 2.31).
ROLLOUTS = 16
STEPS = 10
KINDS = ("checklist", "brpo")
DIRECTIONS = ("use", "avoid")
CONTROLS = ("permute", "negate")
#: (scored 9 when done, 2 when not) per direction: the criterion each run's checklist holds.
CRITERION = {"use": f"Mentions {TERM}", "avoid": f"Avoids {TERM}"}
CHECKLIST_REWARD = "longwriter/reward/checklist/mean"
KEPT_PREFIXES = ("longwriter/", "timing_s/step", "actor/entropy")


def criterion_key(direction: str) -> str:
    """The step metric of ``direction``'s term criterion: its mean 1-10 score over the step's answers."""
    return f"longwriter/checklist/criterion/{CRITERION[direction]}/mean"


def term_share(rows: list[dict], direction: str) -> list[float]:
    """Per step, the share of answers that use :data:`TERM`, from the loopback judge's mean score of
    the run's term criterion (9 when the answer does what the criterion asks, 2 when not)."""
    key = criterion_key(direction)
    scores = [float(r[key]) for r in rows if key in r]
    return [(s - 2) / 7 if direction == "use" else (9 - s) / 7 for s in scores]


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


def run(kind: str, direction: str, root: Path, steps: int, control: str | None) -> dict:
    """One learning run (``kind`` x ``direction``) against its own loopback judge; its per-step rows,
    exit code and seconds. A failed run's verl log is copied to the temp folder and named."""
    helpers = str(Path(__file__).resolve().parents[1] / "tests" / "helpers")
    if helpers not in sys.path:
        sys.path.insert(0, helpers)
    from fake_judge import learning_responder
    from fake_openai import FakeOpenAIServer

    from longwrite.learning import LEARNING_OVERRIDES
    from rl.local_run import train
    from rl.metrics import read_metrics
    from rl.prepare import prepare_rl_data
    from rl.presets import build_plan
    from sft_baseline.writer import tiny_writer_path

    name = f"{kind}-{direction}"
    t0 = time.monotonic()
    with FakeOpenAIServer(learning_responder(TERM, avoid=direction == "avoid")) as server:
        url = server.url
        data = root / name / "data"
        prepare_rl_data(
            _prompts(root / name / "prompts.jsonl"),
            data,
            val_fraction=0.0,
            checklist_endpoint=url,
            checklist_model="fake-model",
        )
        common = [
            f"actor_rollout_ref.model.path={tiny_writer_path(0)}",
            f"trainer.total_training_steps={steps}",
            f"trainer.save_freq={steps}",
            f"trainer.total_epochs={steps}",
            f"data.val_files={data / 'train.parquet'}",
            f"trainer.experiment_name=checklist-learning-{name}",
            f"reward_options.checklist.base_url={url}",
            f"actor_rollout_ref.rollout.n={ROLLOUTS}",
            f"actor_rollout_ref.rollout.max_num_seqs={8 * ROLLOUTS}",  # one batch of the whole step
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
        if control:
            common.append(f"+longwriter.debug_advantage={control}")
        plan = build_plan("tiny-cpu-checklist", common, output_dir=root / name / "run", data_dir=data)
        result = train(plan, timeout_s=3000, echo=False)
    if result.returncode != 0:
        kept = Path(tempfile.gettempdir()) / f"checklist-learning-{name}.log"
        if result.log_file is not None and Path(result.log_file).exists():
            shutil.copy(result.log_file, kept)  # the run folder is removed at the end
        print(f"{name}: verl failed (exit {result.returncode}); log kept at {kept}")
    rows = [_kept(r) for r in read_metrics(plan.output_dir) if any(k.startswith("longwriter/") for k in r)]
    rows.sort(key=lambda r: r["step"])
    return {
        "kind": kind,
        "direction": direction,
        "control": control,
        "term": TERM,
        "returncode": result.returncode,
        "seconds": round(time.monotonic() - t0, 1),
        "rows": rows,
    }


def _kept(row: dict) -> dict:
    """The metrics a saved row keeps: the step, ours (``longwriter/*``) and the step's wall time
    (verl's hundred others would make each saved file ~300 KB)."""
    return {k: v for k, v in row.items() if k == "step" or k.startswith(KEPT_PREFIXES)}


def verdict(use: dict, avoid: dict) -> Criterion:
    """:func:`longwrite.learning.contrast_criterion` on one design's ``use`` and ``avoid`` runs."""
    from longwrite.learning import contrast_criterion

    return contrast_criterion(
        term_share(use["rows"], "use"),
        term_share(avoid["rows"], "avoid"),
        [float(r[CHECKLIST_REWARD]) for r in use["rows"] if CHECKLIST_REWARD in r],
        [float(r[CHECKLIST_REWARD]) for r in avoid["rows"] if CHECKLIST_REWARD in r],
        labels=(
            f"share of answers using {TERM!r}",
            "checklist reward" + (" (logged, weight 0)" if use["kind"] == "brpo" else ""),
            "use",
            "avoid",
        ),
    )


def report(runs: dict[str, dict]) -> None:
    """Per run the per-step table; per design with both runs, the contrast criterion."""
    for name, r in runs.items():
        share = term_share(r["rows"], r["direction"])
        print(f"\n[{name}] exit {r['returncode']}, {r['seconds']:.0f} s, {len(r['rows'])} steps")
        print(
            f"[{name}] step  share using {TERM!r}  checklist reward  format  well-formed  brpo win share  dropped"
        )
        for row, sh in zip(r["rows"], share, strict=False):
            print(
                f"[{name}] {row['step']:>4}  {sh:>17.3f}  {row.get(CHECKLIST_REWARD, float('nan')):>16.3f}"
                f"  {row.get('longwriter/reward/format/mean', float('nan')):>6.3f}"
                f"  {row.get('longwriter/well_formed_ratio', float('nan')):>11.2f}"
                f"  {row.get('longwriter/brpo/win_share', float('nan')):>14.2f}"
                f"  {row.get('longwriter/brpo/dropped_groups', float('nan')):>7.0f}"
            )
    for kind in KINDS:
        use, avoid = runs.get(f"{kind}-use"), runs.get(f"{kind}-avoid")
        if not use or not avoid:
            continue
        control = use.get("control")
        print(f"\n{'NEGATIVE CONTROL ' + control + ': ' if control else ''}[{kind}] the learning criterion")
        failed = [n for n, r in ((f"{kind}-use", use), (f"{kind}-avoid", avoid)) if r["returncode"] != 0]
        if failed:  # a crashed run's rows prove nothing either way
            print(f"no verdict: {', '.join(failed)} did not finish (exit != 0)")
            continue
        print(verdict(use, avoid))


def main(steps: int = STEPS, control: str | None = None, kinds: tuple[str, ...] = KINDS) -> dict[str, dict]:
    """Run ``kinds`` x (use, avoid), print the tables and verdicts, save the rows; return the runs."""
    root = Path(tempfile.mkdtemp(prefix="lw-checklist-learning-"))
    runs: dict[str, dict] = {}
    try:
        for kind in kinds:
            for direction in DIRECTIONS:
                runs[f"{kind}-{direction}"] = run(kind, direction, root, steps, control)
    finally:
        if all(r["returncode"] == 0 for r in runs.values()):
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"a run failed: folders kept at {root}")
    out_dir = Path(os.environ.get("LONGWRITE_BENCH_OUT", Path(__file__).parent))
    out = out_dir / f"checklist-learning{'-' + control if control else ''}.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(runs, default=str, indent=1))  # before the report: its rows are kept
    print(f"machine: {platform.node()} {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}")
    if control:
        print(f"NEGATIVE CONTROL: +longwriter.debug_advantage={control}")
    report(runs)
    print(f"\nwrote {out}")
    return runs


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", choices=CONTROLS, default=None, help="run a negative control")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument(
        "--rescore", type=Path, default=None, help="print the verdicts of a saved JSON; no run"
    )
    args = parser.parse_args()
    if args.rescore:
        report(json.loads(args.rescore.read_text()))
    else:
        main(args.steps, args.control, tuple(args.kinds))
