"""``make demo`` / ``longwrite demo``: SFT baseline -> GRPO -> export -> evaluation -> one report.

The whole story on a CPU host, with the same code paths users run on GPUs:

1. build or reuse the tiny writer (:func:`sft_baseline.writer.tiny_writer_path`: the tiny
   random Qwen2 taught plan-then-write by verl's SFT trainer) - the SFT baseline;
2. GRPO from it (``tiny-cpu`` preset, verl's V1 trainer, our rewards and trainer mode) on
   bundled prompts whose targets ask for more than it writes (:mod:`longwrite.learning`);
   prints the per-step reward table;
3. export the last RL checkpoint to a Hugging Face folder (verl's model merger);
4. evaluate the tiny base model, the SFT writer and the RL checkpoint on the LongBench-Write items
   within the tiny models' reach (required length <= ``--max-required`` words) plus
   LongWrite-Ruler's shortest items, S_l only unless a judge endpoint is given (S_q then shows
   "not judged", never 0);
5. one comparative report (``longwrite report``): the leaderboard and where the report is.

Data: ``--data DIR`` (the LongBench-Write folder with longbench_write.jsonl and
longwrite_ruler.jsonl); by default ``../shared/data/longbench-write`` beside the repository when it
exists, else a clear error naming ``longwrite data get``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "longbench-write"

COLUMNS = (
    ("step", "step", "{:>4}"),
    ("longwriter/reward/length/mean", "length", "{:>7.3f}"),
    ("longwriter/reward/quality/mean", "quality", "{:>7.3f}"),
    ("longwriter/reward/format/mean", "format", "{:>7.3f}"),
    ("longwriter/reward/score/mean", "score", "{:>7.3f}"),
    ("longwriter/advantage/std", "adv std", "{:>7.3f}"),
    ("longwriter/groups/zero_var_ratio", "0-var", "{:>6.2f}"),
    ("longwriter/length/answer/p50", "ans p50", "{:>7.0f}"),
    ("longwriter/length/answer/p90", "ans p90", "{:>7.0f}"),
    ("longwriter/truncated_ratio", "trunc", "{:>6.2f}"),
    ("longwriter/well_formed_ratio", "formed", "{:>6.2f}"),
    ("timing_s/step", "step s", "{:>7.1f}"),
)


def format_table(rows: Sequence[dict]) -> str:
    """One line per logged step with the reward components and our trainer mode's statistics."""

    def width(fmt: str) -> int:
        return len(fmt.format(0)) if "f" in fmt else 4

    lines = [" ".join(f"{label:>{width(fmt)}}" for _, label, fmt in COLUMNS)]
    for row in rows:
        cells = []
        for key, _label, fmt in COLUMNS:
            value = row.get(key)
            cells.append(fmt.format(value) if isinstance(value, (int, float)) else f"{'-':>{width(fmt)}}")
        lines.append(" ".join(cells))
    return "\n".join(lines)


def resolve_data(data: str | Path | None) -> Path:
    """The LongBench-Write folder: ``data``, else the shared folder beside the repo, else an error."""
    path = Path(data) if data else DEFAULT_DATA
    if not (path / "longbench_write.jsonl").is_file():
        where = f"--data {path}" if data else f"the default {path}"
        raise FileNotFoundError(
            f"no LongBench-Write data at {where} (needs longbench_write.jsonl and longwrite_ruler.jsonl); "
            "fetch it with `longwrite data get` and pass --data DIR"
        )
    return path


def _subset(src: Path, dst: Path, max_required: int, limit: int | None = None) -> int:
    """Copy the rows of ``src`` whose required ``length`` <= ``max_required`` to ``dst``; return the count."""
    from rollout.jsonl import read_jsonl

    rows = [rec for _, rec in read_jsonl(src).records if int(rec["length"]) <= max_required]
    rows = rows[:limit] if limit else rows
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def export_latest(run_dir: Path, out: Path) -> Path:
    """The run's latest verl checkpoint as a Hugging Face folder (``rollout.checkpoint``, verl's merger)."""
    from rollout.checkpoint import export_checkpoint

    return Path(export_checkpoint(run_dir / "checkpoints", out))


def run(
    out: str | Path | None = None,
    data: str | Path | None = None,
    steps: int | None = None,
    max_required: int = 300,
    ruler_items: int = 8,
    max_tokens: int = 512,
    judge: Sequence[str] = (),
) -> int:
    """The whole demo; returns 0 when every stage ran (prints where everything is)."""
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from longwrite.cli import main as cli
    from longwrite.learning import DEFAULT_STEPS, run_learning
    from rollout.tiny import tiny_model_path
    from sft_baseline.writer import tiny_writer_path

    steps = DEFAULT_STEPS if steps is None else steps
    t0 = time.monotonic()
    data_dir = resolve_data(data)
    out = Path(out or REPO / "outputs" / "demo").resolve()
    out.mkdir(parents=True, exist_ok=True)

    print("[1/5] the SFT baseline: tiny writer (built once per machine, then reused) ...")
    writer = tiny_writer_path(0)
    print(f"      {writer}")
    print(f"[2/5] GRPO from the writer, {steps} steps (targets above what it writes) ...")
    rl = run_learning("long", out / "rl", steps=steps, model=writer, progress=True)
    print()
    print(format_table(rl.rows) if rl.rows else "(no steps were logged)")
    print(f"\n      rewards in [0, 1]; lengths in words / Chinese characters; log: {rl.output_dir / 'logs'}")
    if rl.returncode != 0:
        print(f"GRPO failed (exit {rl.returncode}); see {rl.output_dir / 'logs'}", file=sys.stderr)
        return rl.returncode
    print("[3/5] export the last RL checkpoint ...")
    rl_model = export_latest(rl.output_dir, out / "rl-export")
    print(f"      {rl_model}")

    print("[4/5] evaluate base, SFT and RL with LongBench-Write (S_l) and LongWrite-Ruler ...")
    lbw = out / "eval-data" / "longbench_write.jsonl"
    ruler = out / "eval-data" / "longwrite_ruler.jsonl"
    n_lbw = _subset(data_dir / "longbench_write.jsonl", lbw, max_required)
    n_ruler = _subset(data_dir / "longwrite_ruler.jsonl", ruler, 10**9, ruler_items)
    print(
        f"      {n_lbw} LongBench-Write items with required length <= {max_required}; {n_ruler} Ruler items"
    )
    judge_args = list(judge) if judge else ["--no-judge"]
    runs = []
    for name, model in (("tiny-base", tiny_model_path(0)), ("sft-writer", writer), ("rl", rl_model)):
        common = ["--model", str(model), "--name", name, "--max-model-len", "1024",
                  "--max-tokens", str(max_tokens), "--temperature", "0.8", "--no-progress"]  # fmt: skip
        d = out / "eval" / name
        rc = cli(
            ["eval", "longbench-write", *common, "--data", str(lbw), "--out", str(d / "lbw"), *judge_args]
        )
        rc |= cli(["eval", "ruler", *common, "--data", str(ruler), "--out", str(d / "ruler")])
        if rc:
            print(f"evaluation of {name} failed (exit {rc})", file=sys.stderr)
            return rc
        runs += [str(d / "lbw"), str(d / "ruler")]

    print("[5/5] one comparative report ...")
    rc = cli(["report", *runs, str(rl.output_dir), "--out", str(out / "report")])
    print()
    print(length_verdict({name: out / "eval" / name / "lbw" for name in ("tiny-base", "sft-writer", "rl")}))
    print(f"\ndemo done in {time.monotonic() - t0:.0f} s; report: {out / 'report' / 'report.html'}")
    return rc


def length_verdict(runs: dict[str, Path]) -> str:
    """One line per model with its LongBench-Write S_l (0-100) and whether RL beats the SFT writer.

    Reads each run's ``scores.json`` (``overall``: n items, S_l over the items that generated);
    the verdict compares ``rl`` with ``sft-writer``, the question the demo exists to answer.
    """
    scores = {}
    for name, d in runs.items():
        overall = json.loads((Path(d) / "scores.json").read_text(encoding="utf-8"))["overall"]
        scores[name] = overall.get("S_l")
    lines = ["LongBench-Write S_l (length score, 0-100) on the evaluated items:"]
    lines += [f"  {name:<11} {'-' if v is None else f'{v:.1f}'}" for name, v in scores.items()]
    rl, sft = scores.get("rl"), scores.get("sft-writer")
    if rl is None or sft is None:
        lines.append("  RL vs SFT: not comparable (a run has no S_l; see its failures)")
    else:
        verdict = "beats" if rl > sft else "does NOT beat"
        lines.append(f"  RL {verdict} the SFT writer on length: {rl:.1f} vs {sft:.1f} ({rl - sft:+.1f})")
    return "\n".join(lines)


def _cmd(args: argparse.Namespace) -> int:
    judge = []
    if args.judge_endpoint:
        judge = ["--judge-endpoint", args.judge_endpoint, "--judge-model", args.judge_model]
    return run(args.out, args.data, args.steps, args.max_required, args.ruler_items, args.max_tokens, judge)


def register(subparsers) -> None:
    """Add ``longwrite demo``."""
    p = subparsers.add_parser(
        "demo",
        help="the whole story on this machine: SFT writer -> GRPO -> export -> eval -> report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data", default=None, help="LongBench-Write folder (default: ../shared/data/longbench-write)"
    )
    p.add_argument("--out", default=None, help="output folder (default: outputs/demo)")
    from longwrite.learning import DEFAULT_STEPS
    from rollout.cli import positive_int

    p.add_argument(
        "--steps", type=positive_int, default=DEFAULT_STEPS, help=f"GRPO steps (default: {DEFAULT_STEPS})"
    )
    p.add_argument(
        "--max-required", type=positive_int, default=300, help="LongBench-Write items up to this length"
    )
    p.add_argument(
        "--ruler-items", type=positive_int, default=8, help="LongWrite-Ruler items (the shortest first)"
    )
    p.add_argument(
        "--max-tokens", type=positive_int, default=512, help="tokens per evaluated answer (default: 512)"
    )
    p.add_argument("--judge-endpoint", default=None, help="OpenAI-compatible judge for S_q (default: none)")
    p.add_argument("--judge-model", default=None, help="judge model name (with --judge-endpoint)")
    p.set_defaults(func=_cmd)


if __name__ == "__main__":
    from longwrite.cli import main

    sys.exit(main(["demo", *sys.argv[1:]]))
