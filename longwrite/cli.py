"""``longwrite``: the project's single command line.

Each subcommand lives in a small ``cli`` module next to the code it drives (``rewards/cli.py``,
``rl/cli.py``, ...) and exposes ``register(subparsers)``, which adds its parser(s) and sets
``func`` to a handler taking the parsed arguments. Those modules import nothing heavy at their top
level, so ``longwrite --help`` stays fast; the work's own imports happen inside the handler.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from longwrite import __version__

# Modules that contribute subcommands, in the order --help lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "longwrite.demo",
    "rollout.cli",
    "rewards.cli",
    "rl.cli",
    "rl.train_cli",
    "longwrite.submit_cli",
    "sft_baseline.cli",
    "eval.cli",
    "eval.data_cli",
)


def build_parser() -> argparse.ArgumentParser:
    """The full ``longwrite`` argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="longwrite",
        description=(
            "LongWriter-Zero-style RL for ultra-long writing on verl: data preparation, GRPO "
            "training (local or as a Ray job), reward models, the AgentWrite/SFT baseline, and "
            "the shared LongBench-Write evaluator."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``longwrite`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError) as exc:
        # Bad input: one clear line, no traceback (use -v for one).
        if args.verbose:
            raise
        print(f"longwrite {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
