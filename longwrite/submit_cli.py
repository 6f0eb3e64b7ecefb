"""``longwrite submit``: a GRPO, SFT, RM or DPO preset as a Ray job on a cluster, following its logs.

It lives with the CLI (not in ``rl``) because it dispatches to every training kind: GRPO plans come
from ``rl.presets``, SFT entrypoints from ``sft_baseline.jobs``, RM entrypoints from
``rewards.rm.jobs``, DPO entrypoints from ``sft_baseline.dpo_jobs``; all run through ``rl.jobs``.
"""

from __future__ import annotations

import argparse
import json

from rl.train_cli import add_run_arguments, print_plan_notes


def _cmd_submit_sft(args: argparse.Namespace) -> int:
    """``longwrite submit --sft``: ``longwrite sft`` for an SFT preset as a one-node Ray job."""
    from pathlib import Path

    from sft_baseline.jobs import sft_job_entrypoint, sft_preset_gpus

    if args.data_dir:
        raise ValueError("--data-dir is for GRPO presets; give an SFT job data.train_files=/abs/path.parquet")
    if args.py_modules:
        raise ValueError("--py-module is for GRPO presets (a user reward); an SFT job has no reward")
    if args.nodes and args.nodes > 1:
        raise ValueError(
            "an SFT job runs torchrun on one node; for several nodes start torchrun on each node "
            "(see docs/sft.md)"
        )
    overrides = list(args.overrides)
    if args.gpus_per_node:
        overrides.append(f"trainer.n_gpus_per_node={args.gpus_per_node}")
    if args.output_dir:
        overrides.append(f"trainer.default_local_dir={Path(args.output_dir).resolve()}")
    # torchrun trains inside the job's entrypoint process: it must hold the node's GPUs itself
    # (otherwise Ray leaves it no visible devices, or all of them, and verl's worker set-up fails).
    gpus = args.gpus_per_node or sft_preset_gpus(args.preset)
    entrypoint = sft_job_entrypoint(args.preset, overrides, args.python, args.gpus_per_node)
    return _submit_one_node_job(
        args, entrypoint, gpus, {"sft_preset": args.preset}, "(the preset's trainer.default_local_dir)"
    )


def _cmd_submit_cpt(args: argparse.Namespace) -> int:
    """``longwrite submit --cpt``: ``longwrite cpt`` for a CPT preset as a one-node Ray job."""
    from sft_baseline.cpt import build_cpt_plan, cpt_job_entrypoint, cpt_preset_gpus

    if args.data_dir or args.py_modules:
        raise ValueError(
            "--data-dir / --py-module are for GRPO presets; give a CPT job --cpt-data PATH[:WEIGHT]"
        )
    if args.nodes and args.nodes > 1:
        raise ValueError("a CPT job runs torchrun on one node (--nodes 1); see docs/cpt.md for several nodes")
    if not args.output_dir:
        raise ValueError("a CPT job needs --output-dir (on the cluster: tokens/, data/, run/, hf/, cpt.json)")
    overrides = list(args.overrides)
    if args.gpus_per_node:
        overrides.append(f"trainer.n_gpus_per_node={args.gpus_per_node}")
    # Composed and checked here (placeholders, verl keys) before anything is submitted; paths are
    # the cluster's, so nothing is read or written.
    build_cpt_plan(args.preset, args.output_dir, args.cpt_data, overrides)
    gpus = args.gpus_per_node or cpt_preset_gpus(args.preset)
    entrypoint = cpt_job_entrypoint(
        args.preset, args.cpt_data, args.output_dir, overrides, args.python, args.gpus_per_node
    )
    return _submit_one_node_job(args, entrypoint, gpus, {"cpt_preset": args.preset}, args.output_dir)


def _cmd_submit_rm(args: argparse.Namespace) -> int:
    """``longwrite submit --rm``: ``longwrite rm train`` for an RM preset as a one-node Ray job."""
    from pathlib import Path

    from rewards.rm.jobs import rm_job_entrypoint, rm_preset_gpus

    if args.data_dir:
        raise ValueError(
            "--data-dir is for GRPO presets; give an RM job data.train=/abs/train.jsonl data.val=..."
        )
    if args.nodes and args.nodes > 1:
        raise ValueError("an RM job runs torchrun on one node (--nodes 1)")
    overrides = list(args.overrides)
    if args.output_dir:
        overrides.append(f"output_dir={Path(args.output_dir).resolve()}")
    gpus = args.gpus_per_node or rm_preset_gpus(args.preset, overrides)  # composes: a bad key fails here
    entrypoint = rm_job_entrypoint(args.preset, overrides, args.python, args.gpus_per_node)
    return _submit_one_node_job(
        args, entrypoint, gpus, {"rm_preset": args.preset}, "(the preset's output_dir)"
    )


def _cmd_submit_dpo(args: argparse.Namespace) -> int:
    """``longwrite submit --dpo``: ``longwrite dpo`` for a DPO preset as a one-node Ray job."""
    from pathlib import Path

    from sft_baseline.dpo_jobs import dpo_job_entrypoint, dpo_preset_gpus

    if args.data_dir:
        raise ValueError("--data-dir is for GRPO presets; give a DPO job data.train=/abs/pairs.jsonl")
    if args.nodes and args.nodes > 1:
        raise ValueError("a DPO job runs torchrun on one node (--nodes 1)")
    overrides = list(args.overrides)
    if args.output_dir:
        overrides.append(f"output_dir={Path(args.output_dir).resolve()}")
    gpus = args.gpus_per_node or dpo_preset_gpus(args.preset, overrides)  # composes and checks here
    entrypoint = dpo_job_entrypoint(args.preset, overrides, args.python, args.gpus_per_node)
    return _submit_one_node_job(
        args, entrypoint, gpus, {"dpo_preset": args.preset}, "(the preset's output_dir)"
    )


def _submit_one_node_job(
    args: argparse.Namespace, entrypoint: str, gpus: int, metadata: dict, default_output: str
) -> int:
    """Print (``--dry-run``) or submit a one-node torchrun job (SFT, RM) and follow or report it.

    The entrypoint holds ``gpus`` GPUs itself: torchrun trains inside the job's entrypoint process.
    """
    from pathlib import Path

    from rl.jobs import project_runtime_env, submit_job

    runtime_env = project_runtime_env()
    if args.dry_run:
        print(f"entrypoint (entrypoint_num_gpus={gpus}):\n  " + entrypoint)
        print("runtime_env:\n" + json.dumps(runtime_env, indent=2))
        return 0
    _check_address(args.address)
    result = submit_job(
        entrypoint,
        args.address,
        runtime_env=runtime_env,
        metadata=metadata,
        entrypoint_num_gpus=gpus,
        output_dir=Path(args.output_dir or default_output),
        wait=not args.no_wait,
        timeout_s=args.timeout,
    )
    return _report_job(args, result)


def _check_address(address: str) -> None:
    if not address.startswith(("http://", "https://")):
        raise ValueError(f"--address must be the Ray dashboard URL, e.g. http://HOST:8265 (got {address!r})")


def _report_job(args: argparse.Namespace, result) -> int:
    if args.no_wait:
        print(f"job id: {result.job_id}  (follow: ray job logs --address {args.address} -f {result.job_id})")
        return 0
    print(f"\nlongwrite submit: job {result.job_id} ended {result.status} after {result.seconds:.0f} s")
    return 0 if result.ok else 1


def _cmd_submit(args: argparse.Namespace) -> int:
    from rl.jobs import job_entrypoint, job_runtime_env, submit
    from rl.presets import build_plan

    if args.sft + args.rm + args.cpt + args.dpo > 1:
        raise ValueError("give at most one of --sft, --rm, --cpt and --dpo")
    if args.cpt_data and not args.cpt:
        raise ValueError("--cpt-data is for --cpt jobs")
    if args.async_mode and (args.sft or args.rm or args.cpt or args.dpo):
        raise ValueError("--async is a GRPO setting; --sft, --rm, --cpt and --dpo jobs have no trainer mode")
    if args.cpt:
        return _cmd_submit_cpt(args)
    if args.dpo:
        return _cmd_submit_dpo(args)
    if args.sft:
        return _cmd_submit_sft(args)
    if args.rm:
        return _cmd_submit_rm(args)
    plan = build_plan(
        args.preset,
        args.overrides,
        output_dir=args.output_dir,
        data_dir=args.data_dir,
        for_job=True,
        nodes=args.nodes,
        gpus_per_node=args.gpus_per_node,
        py_modules=args.py_modules,
        async_mode=args.async_mode,
    )
    print_plan_notes(plan, "longwrite submit")
    if args.dry_run:
        from rl.local_run import check_plan

        # The checks of a local run, here (the data lies on the cluster); nothing is written.
        print(f"longwrite submit: {check_plan(plan, local_data=False)}")
        print("entrypoint:\n  " + job_entrypoint(plan, args.python))
        print("runtime_env:\n" + json.dumps(job_runtime_env(plan, write=False), indent=2))
        return 0
    _check_address(args.address)
    from rl.presets import check_reward_config

    check_reward_config(plan)  # a required RM path left unset fails here, before submitting
    result = submit(plan, args.address, wait=not args.no_wait, timeout_s=args.timeout, python=args.python)
    return _report_job(args, result)


def register(subparsers) -> None:
    """Add ``longwrite submit``."""
    s = subparsers.add_parser(
        "submit",
        help="submit a preset as a Ray job to a cluster and follow its logs",
        description=(
            "Submit verl's trainer for a preset through Ray's job submission API, shipping this "
            "project as the working_dir and setting the plugin variables. Example: longwrite submit "
            "--address http://HEAD:8265 --preset qwen2.5-32b --nodes 8 --gpus-per-node 8. "
            "A reward of your own: --py-module my_rewards rewards.my_rewards.mod:fn=1 (the module "
            "is shipped as Ray py_modules and import-checked on the cluster before verl starts). "
            "With --sft, PRESET is an SFT preset (configs/sft/) and the job runs `longwrite sft` "
            "on one node: longwrite submit --sft --preset longwriter-llama3.1-8b "
            "data.train_files=/data/sft/train.parquet"
        ),
    )
    add_run_arguments(s)
    s.add_argument(
        "--sft",
        action="store_true",
        help="submit an SFT preset (configs/sft/) as a one-node job running `longwrite sft`",
    )
    s.add_argument(
        "--rm",
        action="store_true",
        help="submit a reward-model preset (configs/rm/) as a one-node job running `longwrite rm train`",
    )
    s.add_argument(
        "--cpt",
        action="store_true",
        help="submit a CPT preset (configs/cpt/) as a one-node job running `longwrite cpt` (needs --output-dir)",
    )
    s.add_argument(
        "--cpt-data",
        action="append",
        default=[],
        metavar="PATH[:WEIGHT]",
        help="with --cpt: a CPT source on the cluster and its weight (repeatable; `longwrite cpt --data`)",
    )
    s.add_argument(
        "--dpo",
        action="store_true",
        help="submit a DPO preset (configs/dpo/) as a one-node job running `longwrite dpo`",
    )
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
