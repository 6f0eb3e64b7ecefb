"""``longwrite dpo``: DPO from an SFT model on preference pairs (:mod:`sft_baseline.dpo`).

Nothing heavy is imported until the handler runs (``--help`` stays instant).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence

__all__ = ["register", "dpo_overrides", "dpo_train_command"]


def dpo_overrides(
    pairs: str | None = None,
    out: str | None = None,
    model: str | None = None,
    val_pairs: str | None = None,
    overrides: Sequence[str] = (),
) -> list[str]:
    """The preset overrides ``--pairs``/``--out``/``--model``/``--val-pairs`` stand for (paths made
    absolute, so a torchrun or Ray job started elsewhere reads the same files), then ``overrides``."""
    out_list = []
    if pairs:
        out_list.append(f"data.train={os.path.abspath(pairs)}")
    if val_pairs:
        out_list.append(f"data.val={os.path.abspath(val_pairs)}")
    if out:
        out_list.append(f"output_dir={os.path.abspath(out)}")
    if model:
        out_list.append(f"model={os.path.abspath(model) if os.path.exists(model) else model}")
    return [*out_list, *overrides]


def dpo_train_command(
    preset: str, overrides: Sequence[str], nproc_per_node: int, python: str | None = None
) -> list[str]:
    """The argv that trains a DPO preset: ``python -m sft_baseline.dpo`` in this interpreter for one
    process, or torchrun with ``nproc_per_node`` processes (one per GPU; gloo on CPU)."""
    py = python or sys.executable
    if nproc_per_node > 1:
        head = [py, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc_per_node}"]
        return [*head, "-m", "sft_baseline.dpo", "--preset", preset, *overrides]
    return [py, "-m", "sft_baseline.dpo", "--preset", preset, *overrides]


def _cmd_dpo(args: argparse.Namespace) -> int:
    from sft_baseline.dpo import check_runnable, compose_dpo_preset, train_dpo, unpublished_keys
    from sft_baseline.dpo_data import read_dpo_pairs

    overrides = dpo_overrides(args.pairs, args.out, args.model, args.val_pairs, args.overrides)
    cfg = compose_dpo_preset(args.preset, overrides)  # an unknown key fails here
    nproc = int(args.nproc_per_node or (cfg.get("launch") or {}).get("nproc_per_node", 1))
    # Bad rows fail here, before any process or model starts: FILE:LINE for each, exit 2.
    data = cfg.get("data") or {}
    for split in ("train", "val"):
        if data.get(split):
            pairs, read = read_dpo_pairs(data[split], str(cfg.get("template") or "plan_write"))
            print(f"dpo: {split}: {len(pairs)} pair(s) from {data[split]} ({read})", file=sys.stderr)
    if args.dry_run:
        print(json.dumps({k: v for k, v in cfg.items() if not k.startswith("_")}, indent=2, default=str))
        missing = unpublished_keys(cfg)
        if missing:
            print(f"unpublished (set before a run): {', '.join(missing)}")
        print("command: " + shlex.join(dpo_train_command(args.preset, overrides, nproc)))
        return 0
    check_runnable(cfg)
    if nproc > 1 and "LOCAL_RANK" not in os.environ:
        cmd = dpo_train_command(args.preset, overrides, nproc)
        print("dpo: " + shlex.join(cmd), flush=True)
        os.execv(cmd[0], cmd)  # torchrun replaces this process; signals reach it directly
    summary = train_dpo(cfg)
    val, cuts = summary["val"], summary["cuts"]["train"]
    print(
        f"dpo: {summary['global_step']} step(s), train loss {summary['train_loss']:.4f}; budget "
        f"{summary['budget']['max_length']} tokens (data needs {summary['budget']['need_length']}); "
        f"{cuts['cut_pairs']}/{cuts['pairs']} training pair(s) cut"
        + (
            f"; held-out margin {val['margin']:.4f}, accuracy {val['accuracy']:.3f}"
            if "margin" in val
            else ""
        )
        + f"\n  model: {summary['final_model']}"
    )
    return 0


def register(subparsers) -> None:
    """Add ``longwrite dpo``."""
    p = subparsers.add_parser(
        "dpo",
        help="DPO from an SFT model on preference pairs (transformers' Trainer; long pairs cut only on record)",
        description=(
            "DPO from an SFT model (the preset's model; --model overrides: a folder or hub id) on "
            "preference pairs: `longwrite pairs` output, flat {prompt, chosen, rejected} rows or chat "
            "message lists (bad rows: FILE:LINE, exit 2). The token budget is sized from the data up to "
            "the preset's ceilings; a cut pair is listed in OUT/dpo_cuts.jsonl and summed in "
            "OUT/dpo_train.json. Presets: configs/dpo/ (tiny-cpu, longwriter-glm4-9b, "
            "longwriter-llama3.1-8b). The model lands in OUT/final."
        ),
    )
    p.add_argument("--preset", required=True, help="DPO preset name in configs/dpo/ or a yaml path")
    p.add_argument("--pairs", default=None, help="training pairs jsonl (data.train)")
    p.add_argument("--val-pairs", default=None, help="held-out pairs jsonl: margin and accuracy every epoch")
    p.add_argument(
        "--out", default=None, help="output folder (output_dir): final/, dpo_train.json, dpo_cuts.jsonl"
    )
    p.add_argument(
        "--model", default=None, help="starting (SFT) model folder or hub id (default: the preset's)"
    )
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="preset overrides (dotted keys)")
    p.add_argument(
        "--nproc-per-node", type=int, default=None, help="torchrun processes (default: the preset's)"
    )
    p.add_argument("--dry-run", action="store_true", help="check the preset and pairs, print the command")
    p.set_defaults(func=_cmd_dpo)
