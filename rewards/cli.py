"""``longwrite rm score``: score a JSONL file of responses with the configured rewards.

Each input line is an object with ``prompt`` and ``response`` (optional ``id``, optional
``target`` = ``{"lower", "upper"[, "unit"]}``, optional ``metadata``). Each output line is the
input plus ``reward``: ``{"total", "components", "reasons", "details", "answer_len",
"think_len"}``. A malformed line is reported as ``FILE:LINE: why`` and skipped; the rest are scored
(the exit status is 1 when every line is malformed: nothing was scored).
Output is written batch by batch, so ``--resume`` continues an interrupted run without repeating
or losing lines.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rollout.jsonl import cut_torn_tail, read_jsonl

__all__ = ["register", "read_samples", "parse_weights", "parse_options", "score_file"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``rm`` (reward models) with its ``score`` subcommand to the ``longwrite`` CLI."""
    rm = subparsers.add_parser(
        "rm",
        help="reward models: score responses; train and evaluate a learned RM",
        description="Reward models.",
    )
    rm_sub = rm.add_subparsers(dest="rm_command", metavar="SUBCOMMAND")
    p = rm_sub.add_parser(
        "score",
        help="score a JSONL file of {prompt, response} lines",
        description=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--in", dest="inp", required=True, type=Path, help="input JSONL (prompt, response per line)"
    )
    p.add_argument("--out", required=True, type=Path, help="output JSONL (input lines plus 'reward')")
    p.add_argument(
        "--rewards",
        default=None,
        help="comma-separated reward names or dotted paths 'pkg.mod:fn' (default: length,quality,format)",
    )
    p.add_argument("--weights", default=None, help="comma-separated name=weight, e.g. 'length=1,quality=0.5'")
    p.add_argument(
        "--config", type=Path, default=None, help="a reward config YAML (rewards, weights, options)"
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="REWARD.KEY=VALUE",
        help="a reward option, e.g. quality.backend=judge (value parsed as JSON when it can be); repeatable",
    )
    p.add_argument("--batch-size", type=int, default=32, help="samples per score_batch call (default 32)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run into an existing --out")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.set_defaults(func=_score_command)
    from rewards.rm.cli import register_rm_commands

    register_rm_commands(rm_sub)
    rm.set_defaults(func=lambda args: (rm.print_help(), 2)[1])


def parse_weights(text: str | None) -> dict[str, float]:
    """``"a=1,b=0.5"`` -> ``{"a": 1.0, "b": 0.5}``; a clear ValueError for anything else."""
    out: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--weights item {item!r} must look like name=weight")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--weights item {item!r}: {value!r} is not a number") from None
    return out


def parse_options(items: list[str]) -> dict[str, dict[str, Any]]:
    """``["quality.backend=judge", "length.max_ratio=2"]`` -> ``{"quality": {"backend": "judge"}, ...}``."""
    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        name, dot, opt = key.rpartition(".")
        if not sep or not dot or not name or not opt:
            raise ValueError(f"--option {item!r} must look like reward.key=value")
        try:
            parsed: Any = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        out.setdefault(name, {})[opt] = parsed
    return out


def build_config(args: argparse.Namespace):
    """The RewardConfig from ``--config``, then ``--rewards``/``--weights``/``--option`` on top."""
    from rewards.base import DEFAULT_REWARDS, RewardConfig

    base = RewardConfig.from_yaml(args.config).to_dict() if args.config else {}
    rewards = dict(base.get("rewards") or DEFAULT_REWARDS)
    if args.rewards:
        rewards = {n.strip(): 1.0 for n in args.rewards.split(",") if n.strip()}
    weights = parse_weights(args.weights)
    unknown = set(weights) - set(rewards)
    if unknown:
        raise ValueError(
            f"--weights names {', '.join(sorted(unknown))} not among the rewards {', '.join(rewards)}"
        )
    rewards.update(weights)
    options = {k: dict(v) for k, v in (base.get("options") or {}).items() if k in rewards}
    for name, opts in parse_options(args.option).items():
        options.setdefault(name, {}).update(opts)
    return RewardConfig(rewards=rewards, options=options)


def read_samples(path: Path, errors: list[str]) -> Iterator[tuple[int, dict, dict]]:
    """Yield (line number, input row, sample dict) for each valid line; append ``"FILE:LINE: why"`` to ``errors`` otherwise."""
    from rewards.length.reward import TargetRange

    for lineno, row in read_jsonl(path, allow_torn_tail=False, errors=errors).records:
        if not isinstance(row, dict):
            errors.append(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
            continue
        missing = [k for k in ("prompt", "response") if not isinstance(row.get(k), str)]
        if missing:
            errors.append(f"{path}:{lineno}: missing or non-string field(s): {', '.join(missing)}")
            continue
        meta = row.get("metadata") if isinstance(row.get("metadata"), dict) else {}
        meta = dict(meta)
        if row.get("target") is not None:
            try:
                meta["target"] = TargetRange.from_any(row["target"]).to_dict()
            except (ValueError, TypeError) as exc:
                errors.append(f"{path}:{lineno}: bad target ({exc})")
                continue
        if "id" in row:
            meta["id"] = row["id"]
        yield lineno, row, {"prompt": row["prompt"], "response": row["response"], "metadata": meta}


def _done_lines(out: Path) -> int:
    """Complete lines already in ``out``; a torn last line (interrupted write) is cut off."""
    fd = os.open(out, os.O_RDWR)
    try:
        cut_torn_tail(fd, out)
    finally:
        os.close(fd)
    return out.read_bytes().count(b"\n")


def score_file(
    inp: Path, out: Path, config, batch_size: int = 32, resume: bool = False, progress: bool = True
):
    """Score ``inp`` into ``out``; returns (scored, skipped-as-done, errors). See the module docstring."""
    from tqdm import tqdm

    from rewards.base import score_batch

    if not inp.exists():
        raise FileNotFoundError(f"input not found: {inp}")
    if batch_size < 1:
        raise ValueError("--batch-size must be >= 1")
    done = _done_lines(out) if resume and out.exists() else 0
    out.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    scored = 0
    rows: list[tuple[dict, dict]] = []
    with inp.open("rb") as fh:
        total_lines = sum(1 for _ in fh)
    bar = tqdm(total=total_lines, desc="rm score", unit="line", disable=not progress, file=sys.stderr)
    with out.open("a" if resume else "w", encoding="utf-8") as fh_out:

        def flush() -> None:
            nonlocal scored
            if not rows:
                return
            results = score_batch([s for _, s in rows], config)
            for (row, _), b in zip(rows, results, strict=True):
                row = dict(row)
                row["reward"] = {
                    "total": b.total,
                    "components": b.components,
                    "reasons": b.reasons,
                    "details": b.details,
                    "answer_len": b.answer_len,
                    "think_len": b.think_len,
                }
                fh_out.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh_out.flush()
            scored += len(rows)
            rows.clear()

        skipped = 0
        for lineno, row, sample in read_samples(inp, errors):
            if skipped < done:
                skipped += 1
            else:
                rows.append((row, sample))
                if len(rows) >= batch_size:
                    flush()
            bar.update(lineno - bar.n)
        flush()
    bar.update(total_lines - bar.n)
    bar.close()
    return scored, skipped, errors


def _score_command(args: argparse.Namespace) -> int:
    if args.out.exists() and not (args.resume or args.overwrite):
        raise ValueError(f"{args.out} exists; pass --resume to continue it or --overwrite to replace it")
    config = build_config(args)
    scored, skipped, errors = score_file(args.inp, args.out, config, args.batch_size, args.resume)
    for e in errors:
        print(f"longwrite rm score: skipped {e}", file=sys.stderr)
    print(
        f"scored {scored} line(s) into {args.out}"
        + (f", {skipped} already done" if skipped else "")
        + (f", skipped {len(errors)} malformed line(s)" if errors else ""),
        file=sys.stderr,
    )
    if errors and not scored and not skipped:
        print(f"longwrite rm score: every line of {args.inp} is malformed; nothing scored", file=sys.stderr)
        return 1
    return 0
