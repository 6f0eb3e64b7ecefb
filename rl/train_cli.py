"""``longwrite train``: GRPO with verl on a local Ray.

A preset (``configs/rl/<name>.yaml``) plus ``key=value`` verl overrides become one verl command
line (``rl.presets.build_plan``), run by ``rl.local_run.train``. ``longwrite submit``
(``longwrite/submit_cli.py``) shares the arguments. Nothing heavy is imported until a handler runs.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments ``train`` and ``submit`` share: preset, overrides, output/data dirs, --dry-run."""
    p.add_argument(
        "--preset", required=True, help="preset name (tiny-cpu, qwen2.5-7b, qwen2.5-32b) or YAML path"
    )
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help=(
            "verl config overrides, Hydra syntax (a leading + adds a key new to verl's tree); "
            "reward weights and options: rewards.NAME=WEIGHT, ~rewards.NAME, "
            "reward_options.NAME.KEY=VALUE (NAME may be a dotted path, my_pkg.my_mod:my_fn)"
        ),
    )
    p.add_argument("--output-dir", default=None, help="run directory (default: outputs/rl/<preset>)")
    p.add_argument(
        "--data-dir",
        default=None,
        help="directory with train.parquet and val.parquet from `longwrite prepare-rl` (default: the preset's)",
    )
    p.add_argument(
        "--py-module",
        action="append",
        default=[],
        metavar="PATH",
        dest="py_modules",
        help=(
            "a module file (x.py) or package folder your run imports, e.g. a reward named "
            "'x:fn' in rewards.x:fn=1 (train: put on PYTHONPATH; submit: shipped as Ray "
            "py_modules); repeatable"
        ),
    )
    p.add_argument(
        "--async",
        choices=("colocate", "separate"),
        default=None,
        dest="async_mode",
        help=(
            "asynchronous training: verl's colocate_async or separate_async trainer with our balanced "
            "advantage, plus the preset's async settings (docs/training.md, 'Asynchronous training')"
        ),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=(
            "run every check (reward options, verl's config, the reward import check; train: the "
            "data files), print what would run and exit; writes nothing"
        ),
    )


def print_plan_notes(plan, prog: str) -> None:
    """Print the plan's reward config, py_modules and notes (manifest overrides applied/replaced)."""
    print(f"{prog}: rewards {plan.reward_config['rewards']} options {plan.reward_config['options']}")
    for module in plan.py_modules:
        print(f"{prog}: py-module {module}")
    for note in plan.notes:
        print(f"{prog}: {note}")


def _cmd_train(args: argparse.Namespace) -> int:
    from rl.local_run import check_plan, print_tail, train
    from rl.metrics import latest_checkpoint_step
    from rl.presets import build_plan, check_reward_config

    plan = build_plan(
        args.preset,
        args.overrides,
        output_dir=args.output_dir,
        data_dir=args.data_dir,
        py_modules=args.py_modules,
        async_mode=args.async_mode,
    )
    if args.dry_run:
        # Every check of a real run (options, verl's config, data files, the reward import check
        # in a fresh process); nothing is written.
        report = check_plan(plan)
        print(
            json.dumps(
                {
                    "command": plan.command(),
                    "env": plan.env,
                    "output_dir": str(plan.output_dir),
                    "rewards": plan.reward_config,
                    "py_modules": [str(m) for m in plan.py_modules],
                    "notes": plan.notes,
                    "reward_check": report,
                },
                indent=2,
            )
        )
        return 0
    check_reward_config(plan)  # e.g. a required RM path left unset fails here, not in a worker
    print(f"longwrite train: preset {plan.preset} ({plan.description}); outputs in {plan.output_dir}")
    print_plan_notes(plan, "longwrite train")
    # One line per step of ours by default, verl's whole stream in the log file (its path printed
    # first); --verbose (or the global -v) streams it here too; --quiet prints neither.
    stream = args.stream or args.verbose
    result = train(plan, timeout_s=args.timeout, echo=stream, progress=not (stream or args.quiet))
    step = latest_checkpoint_step(result.checkpoint_dir)
    print(
        f"\nlongwrite train: exit {result.returncode} after {result.seconds:.0f} s\n"
        f"  log:         {result.log_file}\n  metrics:     {result.metrics_file}\n"
        f"  checkpoints: {result.checkpoint_dir} (latest step: {step})"
    )
    if result.returncode == 124:
        print(f"longwrite train: timed out after {args.timeout:.0f} s (--timeout)", file=sys.stderr)
    if result.returncode != 0 and not stream:
        print_tail(result.log_file, 40)  # what failed, without making the user open the log
    return result.returncode


def register(subparsers) -> None:
    """Add ``longwrite train``."""
    p = subparsers.add_parser(
        "train",
        help="GRPO with the balanced multi-reward advantage: verl's trainer on a local Ray",
        description=(
            "Run verl's V1 trainer (mode longwriter_balanced) for a preset on a local Ray. "
            "Example: longwrite train --preset tiny-cpu trainer.total_training_steps=2"
        ),
    )
    add_run_arguments(p)
    p.add_argument(
        "--timeout", type=float, default=3600.0, help="kill the run after this many seconds (default 3600)"
    )
    p.add_argument(
        "--verbose",
        dest="stream",
        action="store_true",
        help="stream verl's whole output here (default: one line per step; the full output is in the "
        "run's logs/train-*.log, and its last lines are shown if the run fails)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="not even the per-step lines (the log file still has everything)"
    )
    p.set_defaults(func=_cmd_train)
