"""``longwrite train`` (verl on a local Ray) and ``longwrite submit`` (a Ray job on a cluster).

Both turn a preset (``configs/rl/<name>.yaml``) plus ``key=value`` verl overrides into one verl
command line (``rl.launch.build_plan``). Nothing heavy is imported until a handler runs.
"""

from __future__ import annotations

import argparse
import json
import sys


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--preset", required=True, help="preset name (tiny-cpu, qwen2.5-7b, qwen2.5-32b) or YAML path"
    )
    p.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="verl config overrides, Hydra syntax (a leading + adds a key new to verl's tree)",
    )
    p.add_argument("--output-dir", default=None, help="run directory (default: outputs/rl/<preset>)")
    p.add_argument(
        "--data-dir",
        default=None,
        help="directory with train.parquet and val.parquet from `longwrite prepare-rl` (default: the preset's)",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would run and exit")


def _cmd_train(args: argparse.Namespace) -> int:
    from rl.launch import build_plan, compose, latest_checkpoint_step, train

    plan = build_plan(args.preset, args.overrides, output_dir=args.output_dir, data_dir=args.data_dir)
    if args.dry_run:
        compose(plan)  # fails on an unknown key before anything starts
        print(
            json.dumps(
                {"command": plan.command(), "env": plan.env, "output_dir": str(plan.output_dir)}, indent=2
            )
        )
        return 0
    print(f"longwrite train: preset {plan.preset} ({plan.description}); outputs in {plan.output_dir}")
    result = train(plan, timeout_s=args.timeout, echo=not args.quiet)
    step = latest_checkpoint_step(result.checkpoint_dir)
    print(
        f"\nlongwrite train: exit {result.returncode} after {result.seconds:.0f} s\n"
        f"  log:         {result.log_file}\n  metrics:     {result.metrics_file}\n"
        f"  checkpoints: {result.checkpoint_dir} (latest step: {step})"
    )
    if result.returncode == 124:
        print(f"longwrite train: timed out after {args.timeout:.0f} s (--timeout)", file=sys.stderr)
    return result.returncode


def _cmd_submit(args: argparse.Namespace) -> int:
    from rl.launch import build_plan, job_entrypoint, job_runtime_env, submit

    plan = build_plan(
        args.preset,
        args.overrides,
        output_dir=args.output_dir,
        data_dir=args.data_dir,
        for_job=True,
        nodes=args.nodes,
        gpus_per_node=args.gpus_per_node,
    )
    if args.dry_run:
        print("entrypoint:\n  " + job_entrypoint(plan, args.python))
        print("runtime_env:\n" + json.dumps(job_runtime_env(plan), indent=2))
        return 0
    if not args.address.startswith(("http://", "https://")):
        raise ValueError(
            f"--address must be the Ray dashboard URL, e.g. http://HOST:8265 (got {args.address!r})"
        )
    result = submit(plan, args.address, wait=not args.no_wait, timeout_s=args.timeout, python=args.python)
    if args.no_wait:
        print(f"job id: {result.job_id}  (follow: ray job logs --address {args.address} -f {result.job_id})")
        return 0
    print(f"\nlongwrite submit: job {result.job_id} ended {result.status} after {result.seconds:.0f} s")
    return 0 if result.ok else 1


def register(subparsers) -> None:
    """Add ``longwrite train`` and ``longwrite submit``."""
    p = subparsers.add_parser(
        "train",
        help="GRPO with the balanced multi-reward advantage: verl's trainer on a local Ray",
        description=(
            "Run verl's V1 trainer (mode longwriter_balanced) for a preset on a local Ray. "
            "Example: longwrite train --preset tiny-cpu trainer.total_training_steps=2"
        ),
    )
    _add_common(p)
    p.add_argument(
        "--timeout", type=float, default=3600.0, help="kill the run after this many seconds (default 3600)"
    )
    p.add_argument(
        "--quiet", action="store_true", help="do not echo verl's output (it still goes to the log file)"
    )
    p.set_defaults(func=_cmd_train)

    s = subparsers.add_parser(
        "submit",
        help="submit a preset as a Ray job to a cluster and follow its logs",
        description=(
            "Submit verl's trainer for a preset through Ray's job submission API, shipping this "
            "project as the working_dir and setting the plugin variables. Example: longwrite submit "
            "--address http://HEAD:8265 --preset qwen2.5-32b --nodes 8 --gpus-per-node 8"
        ),
    )
    _add_common(s)
    s.add_argument("--address", default="http://127.0.0.1:8265", help="Ray dashboard URL (http://HOST:8265)")
    s.add_argument("--nodes", type=int, default=None, help="trainer.nnodes (default: the preset's)")
    s.add_argument(
        "--gpus-per-node", type=int, default=None, help="trainer.n_gpus_per_node (default: the preset's)"
    )
    s.add_argument(
        "--no-wait", action="store_true", help="return after submitting instead of following the logs"
    )
    s.add_argument(
        "--timeout", type=float, default=86400.0, help="stop the job after this many seconds of waiting"
    )
    s.add_argument(
        "--python", default="python", help="Python interpreter on the cluster nodes (default: python)"
    )
    s.set_defaults(func=_cmd_submit)
