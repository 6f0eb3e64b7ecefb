"""``longwrite rm data | train | eval | check``: preference data, Bradley-Terry training, pairwise
evaluation, and the reward test kit's contract and probes for any reward.

Nothing heavy is imported until a handler runs (``--help`` stays instant).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

__all__ = ["register_rm_commands", "rm_train_command"]


def _cmd_data(args: argparse.Namespace) -> int:
    from rewards.rm.data import prepare_rm_data

    inputs = list(args.inputs)
    if args.synthetic:
        from rewards.rm.synthetic import write_synthetic_pairs

        inputs.append(
            write_synthetic_pairs(Path(args.out) / "synthetic.jsonl", args.synthetic, seed=args.seed)
        )
    if not inputs:
        raise ValueError("give preference files (--in) or --synthetic N")
    stats = prepare_rm_data(inputs, args.out, args.val_fraction, args.seed)
    read = stats["read"]
    print(
        f"rm data: {read['rows']} row(s) read, {read['duplicates']} duplicate(s) dropped, "
        f"{read['multi_turn']} multi-turn"
    )
    for split in ("train", "val"):
        s = stats[split]
        mean = s["length_diff_mean"]
        print(
            f"  {split}: {s['pairs']} pairs / {s['prompts']} prompts; languages {s['languages']}; "
            f"chosen longer {s['chosen_longer']}, shorter {s['chosen_shorter']}, same {s['same_length']}; "
            f"chosen - rejected length: mean {mean if mean is None else round(mean, 1)}, "
            f"median {s['length_diff_median']}"
        )
    print(f"  wrote {args.out}/train.jsonl, val.jsonl, stats.json")
    return 0


def rm_train_command(
    preset: str, overrides: list[str], nproc_per_node: int, python: str | None = None
) -> list[str]:
    """The argv that trains an RM preset: ``python -m rewards.rm.train`` in this process's
    interpreter for one process, or torchrun with ``nproc_per_node`` processes (one per GPU)."""
    py = python or sys.executable
    if nproc_per_node > 1:
        head = [py, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc_per_node}"]
        return [*head, "-m", "rewards.rm.train", "--preset", preset, *overrides]
    return [py, "-m", "rewards.rm.train", "--preset", preset, *overrides]


def _cmd_train(args: argparse.Namespace) -> int:
    from rewards.rm.train import compose_rm_preset, train_rm

    cfg = compose_rm_preset(args.preset, args.overrides)  # an unknown key fails here
    nproc = int(args.nproc_per_node or (cfg.get("launch") or {}).get("nproc_per_node", 1))
    if args.dry_run:
        print(json.dumps({k: v for k, v in cfg.items() if not k.startswith("_")}, indent=2, default=str))
        print("command: " + shlex.join(rm_train_command(args.preset, args.overrides, nproc)))
        return 0
    if nproc > 1 and "LOCAL_RANK" not in os.environ:
        cmd = rm_train_command(args.preset, args.overrides, nproc)
        print("rm train: " + shlex.join(cmd), flush=True)
        os.execv(cmd[0], cmd)  # torchrun replaces this process; signals reach it directly
    summary = train_rm(cfg)
    val = summary["val"]
    print(
        f"rm train: {summary['global_step']} step(s), train loss {summary['train_loss']:.4f}"
        + (f", val accuracy {val['accuracy']:.3f}, val loss {val['loss']:.4f}" if "accuracy" in val else "")
        + f"\n  model: {summary['final_model']}"
    )
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from rewards.rm.evaluate import (
        evaluate_pairs,
        format_kind_table,
        format_probe_table,
        format_table,
        write_result,
    )

    train = None
    if not args.no_lexical:
        train = args.train or args.data.parent / "train.jsonl"
        if not Path(train).is_file():
            raise FileNotFoundError(
                f"the lexical baseline is fitted on training pairs: {train} not found; give --train PATH "
                "(or --no-lexical)"
            )
    result = evaluate_pairs(
        args.data,
        args.model,
        baseline=not args.no_baseline,
        train_path=train,
        max_length=args.max_length,
        batch_size=args.batch_size,
        probes=bool(args.model) and not args.no_probes,
    )
    print(f"pairwise accuracy on {result['pairs']} held-out pairs ({args.data}); cells: accuracy (pairs)")
    print(format_table(result))
    kinds = format_kind_table(result)
    if kinds:
        print("by kind of pair:\n" + kinds)
    if "lexical" in result["scorers"]:
        lex = result["scorers"]["lexical"]["overall"]["accuracy"]
        print(
            f"lexical: a bag-of-words baseline fitted on {train} ({lex:.3f}); an RM near it has learned "
            "little beyond wording and length"
        )
    if "rm" in result["scorers"]:
        cut = result["scorers"]["rm"]["truncation"]
        print(
            f"rm truncation at {cut['max_length']} tokens: {cut['truncated_sides']}/{cut['sides']} side(s) cut; "
            f"tokens cut: request {cut['request_tokens_cut']}, answer {cut['answer_tokens_cut']}"
        )
    if "probes" in result:
        print(format_probe_table(result["probes"]))
        raised = [n for n, d in result["probes"]["probes"].items() if d["verdict"] == "raised"]
        print(
            "rm probes: "
            + (
                f"these attacks raise the RM's score: {', '.join(raised)}"
                if raised
                else "no attack raised the RM's score"
            )
        )
    if args.out:
        path = write_result(result, args.out)
        print(f"wrote {path} and {path.with_suffix('.md')}")
    return 0


def _check_options(items: list[str]) -> dict:
    """``["backend=judge", "timeout=30"]`` -> ``{"backend": "judge", "timeout": 30}`` (values parsed
    as JSON when they can be, else kept as text), as ``rm score --option`` reads them."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option {item!r} must look like key=value")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _cmd_check(args: argparse.Namespace) -> int:
    from rewards.testing.contract import check_reward

    options = _check_options(args.option)
    metadata = {}
    if args.metadata:
        try:
            metadata = json.loads(args.metadata)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--metadata is not JSON: {exc}") from None
        if not isinstance(metadata, dict):
            raise ValueError(f"--metadata must be a JSON object, got {type(metadata).__name__}")
    if args.threads < 0:
        raise ValueError("--threads must be >= 0")
    result = check_reward(args.reward, options=options, metadata=metadata, threads=args.threads)
    print(result.to_markdown())
    out = {"contract": result.to_dict()}
    if args.probe:
        from rewards.testing.probes import probe_hacking

        report = probe_hacking(args.reward, options=options, metadata=metadata)
        print()
        print(report.to_markdown())
        out["probes"] = report.to_dict()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {args.out}")
    return 0 if result.ok else 1


def register_rm_commands(rm_sub: argparse._SubParsersAction) -> None:
    """Add ``data``, ``train``, ``eval`` and ``check`` under ``longwrite rm``."""
    d = rm_sub.add_parser(
        "data",
        help="validate, de-duplicate and split preference pairs (by prompt)",
        description=(
            "Read preference pairs (jsonl: `longwrite pairs` output, prompt + chosen/rejected strings, "
            "or chosen/rejected chat message lists), validate every row (FILE:LINE on error; nothing "
            "is written then), drop exact duplicates, split train/val by prompt and report counts, "
            "languages and the chosen-minus-rejected length. --synthetic N adds N prompts of the "
            "project's synthetic coherent-vs-degraded pairs."
        ),
    )
    d.add_argument(
        "--in", dest="inputs", action="append", default=[], type=Path, help="a pairs jsonl (repeatable)"
    )
    d.add_argument("--synthetic", type=int, default=0, metavar="N", help="add N prompts x 3 synthetic pairs")
    d.add_argument(
        "--out", required=True, type=Path, help="output folder (train.jsonl, val.jsonl, stats.json)"
    )
    d.add_argument("--val-fraction", type=float, default=0.1, help="share of prompts held out (default 0.1)")
    d.add_argument("--seed", type=int, default=0, help="split (and synthetic data) seed")
    d.set_defaults(func=_cmd_data)

    t = rm_sub.add_parser(
        "train",
        help="train a Bradley-Terry reward model with transformers' Trainer",
        description=(
            "Train a one-output sequence-classification RM on `longwrite rm data` pairs with the "
            "Bradley-Terry loss, through transformers' Trainer (configs/rm/PRESET.yaml; key=value "
            "overrides with dotted keys, e.g. training.learning_rate=1e-5 data.train=/abs/train.jsonl). "
            "Long inputs keep the request, the head and the tail (counted, never dropped). The "
            "final model lands in OUTPUT_DIR/final, loadable by the classifier/served quality backends."
        ),
    )
    t.add_argument("--preset", required=True, help="RM preset name (tiny-cpu, qwen2.5-7b-rm) or YAML path")
    t.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="preset overrides (dotted keys)")
    t.add_argument(
        "--nproc-per-node", type=int, default=None, help="torchrun processes (default: the preset's)"
    )
    t.add_argument(
        "--dry-run", action="store_true", help="print the composed preset and the command, then exit"
    )
    t.set_defaults(func=_cmd_train)

    e = rm_sub.add_parser(
        "eval",
        help="pairwise accuracy of an RM (and the MiniLM and lexical baselines) on held-out pairs",
        description=(
            "Pairwise accuracy on held-out pairs, overall, by whether the chosen answer is longer or "
            "shorter, by length-ratio bucket and by pair kind, for the RM at --model and two baselines: "
            "the embedding (MiniLM) quality backend and a lexical bag-of-words logistic regression "
            "fitted on the training pairs (what wording and length alone reach)."
        ),
    )
    e.add_argument("--data", required=True, type=Path, help="val.jsonl from `longwrite rm data`")
    e.add_argument("--model", default=None, help="a trained RM folder (e.g. outputs/rm/tiny-cpu/final)")
    e.add_argument("--no-baseline", action="store_true", help="skip the embedding baseline")
    e.add_argument(
        "--train",
        type=Path,
        default=None,
        help="training pairs the lexical (bag-of-words) baseline is fitted on (default: train.jsonl beside --data)",
    )
    e.add_argument("--no-lexical", action="store_true", help="skip the lexical baseline")
    e.add_argument(
        "--max-length", type=int, default=None, help="token budget (default: the model's, <= 8192)"
    )
    e.add_argument("--batch-size", type=int, default=8, help="inputs per forward pass")
    e.add_argument("--out", type=Path, default=None, help="write the result json (and a .md table beside it)")
    e.add_argument(
        "--no-probes",
        action="store_true",
        help="skip the RM's hacking probes (rewards.testing, run with --model)",
    )
    e.set_defaults(func=_cmd_eval)

    c = rm_sub.add_parser(
        "check",
        help="the reward contract (and hacking probes) for a built-in or dotted-path reward",
        description=(
            "Run rewards.testing.check_reward on a reward: values in [0, 1] or missing with a reason, "
            "no exception on malformed outputs (empty, tags only, unclosed or nested tags, a 10,000-word "
            "and a 20,000-character Chinese answer, control characters, emoji, a missing request), "
            "deterministic, the same under concurrent calls; the scoring cost per 10,000 words is "
            "printed. --probe adds the hacking probes (padding, filler, keyword stuffing, a judge "
            "injection, a cut ending, a broken format, a language switch). Exit 1 when the contract "
            "is broken, 2 on bad input (unknown reward or option)."
        ),
    )
    c.add_argument("reward", metavar="NAME", help="a registered reward (length, format, ...) or 'pkg.mod:fn'")
    c.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a reward option, e.g. backend=judge (value parsed as JSON when it can be); repeatable",
    )
    c.add_argument(
        "--metadata", default=None, help="JSON object merged into every sample's metadata (e.g. references)"
    )
    c.add_argument(
        "--threads", type=int, default=4, help="concurrent scorers of the concurrency check (default 4)"
    )
    c.add_argument("--probe", action="store_true", help="also run the hacking probes and print their table")
    c.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    c.set_defaults(func=_cmd_check)
