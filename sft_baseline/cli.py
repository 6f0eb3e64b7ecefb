"""``longwrite agentwrite | prepare-sft | sft | pairs``: the SFT baseline's subcommands.

Thin layers over :mod:`sft_baseline.agentwrite`, :mod:`sft_baseline.data`,
:mod:`sft_baseline.train` and :mod:`sft_baseline.pairs`; nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path


def _add_backend_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--endpoint", metavar="URL", help="OpenAI-compatible base URL, e.g. http://host:8000/v1")
    g.add_argument(
        "--local-model",
        metavar="PATH",
        help="a local HF model directory: started behind `longwrite serve` on 127.0.0.1 for this run",
    )
    p.add_argument("--model", help="model name at the endpoint (required with --endpoint)")
    p.add_argument("--api-key", default=None, help="API key (default: $OPENAI_API_KEY, or none)")
    p.add_argument("--rpm", type=float, default=None, help="client-side requests-per-minute limit")
    p.add_argument(
        "--max-model-len",
        type=int,
        default=None,
        help=(
            "--local-model context, prompt + completion tokens (default: the model's own limit, so "
            "long items' growing section prompts fit; a request that does not fit fails, named)"
        ),
    )


@contextlib.contextmanager
def _endpoint(args: argparse.Namespace, concurrency: int):
    """An EndpointClient for ``--endpoint``/``--model``, or for a local model served for the run."""
    import logging

    from rollout.endpoint import EndpointClient

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request drowns the bar

    if args.endpoint:
        if not args.model:
            raise ValueError("--endpoint needs --model (the model name the endpoint serves)")
        yield EndpointClient(
            args.endpoint,
            args.model,
            api_key=args.api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
            concurrency=concurrency,
            requests_per_minute=args.rpm,
        )
        return
    from rollout.model_ref import check_model
    from sft_baseline.serve import local_server

    model = check_model(args.local_model)  # a model folder or a resolvable hub id
    if Path(model).expanduser().exists() and not Path(model).expanduser().is_dir():
        raise FileNotFoundError(f"--local-model: not a model directory: {model}")
    with local_server(model, max_model_len=args.max_model_len) as (url, name):
        yield EndpointClient(url, name, api_key="EMPTY", concurrency=concurrency)


def _cmd_agentwrite(args: argparse.Namespace) -> int:
    from sft_baseline.agentwrite import AgentWriteConfig, format_summary, load_instructions, run_agentwrite

    items = load_instructions(args.instructions)
    if args.limit:
        items = items[: args.limit]
    config = AgentWriteConfig(
        max_steps=args.max_steps,
        min_length_ratio=args.min_length_ratio,
        plan_max_tokens=args.plan_max_tokens,
        section_max_tokens=args.section_max_tokens,
        temperature=args.temperature,
        constrain_plan=args.constrain_plan,
    )
    with _endpoint(args, args.concurrency) as client:
        summary = run_agentwrite(
            items,
            client,
            args.out,
            concurrency=args.concurrency,
            config=config,
            progress=not args.no_progress,
        )
    print(format_summary(summary))
    print(f"outputs in {args.out}: agentwrite.jsonl, dropped.jsonl, sft.parquet, summary.json")
    return 0


def _cmd_prepare_sft(args: argparse.Namespace) -> int:
    from sft_baseline.data import format_stats, prepare_sft

    if args.general_ratio and not args.general:
        raise ValueError("--general-ratio needs --general FILE")
    res = prepare_sft(
        args.data,
        args.out,
        args.tokenizer,
        max_length=args.max_length,
        general=args.general,
        general_ratio=args.general_ratio,
        val_size=args.val_size,
        seed=args.seed,
        skip_bad=args.skip_bad,
        progress=not args.no_progress,
    )
    print(format_stats(res.stats))
    print("wrote " + ", ".join(str(p) for p in res.paths.values()))
    return 0


def _cmd_sft(args: argparse.Namespace) -> int:
    from sft_baseline.train import (
        compose_sft_config,
        launch,
        launch_command,
        read_metrics,
        validate_sft_config,
    )

    if args.dry_run:
        from omegaconf import OmegaConf

        cfg = compose_sft_config(args.preset, args.overrides)
        validate_sft_config(cfg)
        argv, env = launch_command(args.preset, args.overrides, args.nproc_per_node)
        print(OmegaConf.to_yaml(cfg))
        print("env: " + " ".join(f"{k}={v}" for k, v in env.items()))
        print("command: " + " ".join(argv))
        return 0
    run_dir = launch(args.preset, args.overrides, nproc_per_node=args.nproc_per_node)
    losses = [m["data"]["train/loss"] for m in read_metrics(run_dir) if "train/loss" in m["data"]]
    if losses:
        print(f"train/loss: first {losses[0]:.4f}, last {losses[-1]:.4f} over {len(losses)} steps")
    print(f"run folder: {run_dir}")
    return 0


def _cmd_cpt(args: argparse.Namespace) -> int:
    from sft_baseline.cpt import build_cpt_plan, format_mix, run_cpt

    plan = build_cpt_plan(args.preset, args.out, args.data, args.overrides)
    if args.dry_run:
        from omegaconf import OmegaConf

        from sft_baseline.train import launch_command

        argv, env = launch_command(plan.preset_path, plan.verl_overrides, args.nproc_per_node)
        print(OmegaConf.to_yaml(plan.cfg))
        print("cpt: " + json.dumps(plan.cpt))
        print("env: " + " ".join(f"{k}={v}" for k, v in env.items()))
        print("command: " + " ".join(argv))
        return 0
    meta = run_cpt(plan, nproc_per_node=args.nproc_per_node, export=not args.no_export)
    print(format_mix(meta["mix"]))
    if meta["steps"]:
        print(
            f"train/loss: first {meta['loss_first']:.4f}, last {meta['loss_last']:.4f} over {meta['steps']} steps"
        )
    print(f"run folder: {meta['run_dir']}")
    if meta["hf"]:
        print(f"model (Hugging Face folder): {meta['hf']}")
    print(f"metadata: {plan.out / 'cpt.json'}")
    return 0


def _cmd_pairs(args: argparse.Namespace) -> int:
    from sft_baseline.agentwrite import load_instructions
    from sft_baseline.pairs import build_pairs, sample_with_endpoint, sample_with_engine, write_pairs

    if args.k < 2:
        raise ValueError(f"-k must be at least 2 to make a pair, got {args.k}")
    items = load_instructions(args.instructions)
    if args.limit:
        items = items[: args.limit]
    reward_config = None
    if args.reward_config:
        from rewards import RewardConfig

        reward_config = RewardConfig.from_yaml(args.reward_config)
    opts = {
        "template": args.template,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "seed": args.seed,
    }
    out = Path(args.out)
    if args.endpoint:
        from rollout.endpoint import EndpointClient

        if not args.model:
            raise ValueError("--endpoint needs --model (the model name the endpoint serves)")
        client = EndpointClient(
            args.endpoint,
            args.model,
            api_key=args.api_key or os.environ.get("OPENAI_API_KEY") or "EMPTY",
            concurrency=args.concurrency,
            requests_per_minute=args.rpm,
            cache_path=out.with_name(out.name + ".calls.jsonl"),  # a re-run resumes sampling
        )
        samples = sample_with_endpoint(items, client, args.k, progress=not args.no_progress, **opts)
    else:
        from rollout.engine import Engine

        engine = Engine(args.local_model, max_model_len=args.max_model_len, seed=args.seed)
        samples = sample_with_engine(items, engine, args.k, **opts)
    failed = sum(1 for g in samples for s in g if s.error)
    pairs, skipped = build_pairs(items, samples, reward_config, seed=args.seed, min_margin=args.min_margin)
    write_pairs(pairs, out)
    print(f"{len(pairs)} pairs from {len(items)} instructions x {args.k} samples ({failed} failed calls)")
    for reason, n in sorted(skipped.items()):
        print(f"  skipped {reason}: {n}")
    if pairs:
        mean = sum(p["margin"] for p in pairs) / len(pairs)
        print(f"mean reward margin chosen - rejected: {mean:.3f}")
    print(f"wrote {out}")
    return 0


def _cmd_writer_build(args) -> int:
    import json

    from sft_baseline.writer import tiny_writer_path

    path = tiny_writer_path(args.seed)
    print(path)
    print(
        (path / "tiny_writer.json").read_text().strip()
        if (path / "tiny_writer.json").exists()
        else json.dumps({})
    )
    return 0


def register(subparsers) -> None:
    """Add the SFT-baseline subcommands."""
    from sft_baseline import agentwrite as _aw  # light: stdlib + rollout.text
    from sft_baseline import data as _data

    p = subparsers.add_parser(
        "agentwrite",
        help="build long-output SFT data: plan, then write paragraph by paragraph (resumable)",
        description=_aw.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--instructions", required=True, metavar="FILE", help="jsonl with 'instruction' (and 'id'), or .txt"
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (re-run with the same one to resume)"
    )
    _add_backend_args(p)
    p.add_argument("--concurrency", type=int, default=8, help="items in flight at once (default: 8)")
    p.add_argument("--limit", type=int, default=0, help="only the first N instructions")
    p.add_argument("--max-steps", type=int, default=50, help="drop plans with more paragraphs (default: 50)")
    p.add_argument(
        "--min-length-ratio",
        type=float,
        default=0.5,
        help="drop results shorter than this fraction of the plan's total words (default: 0.5)",
    )
    p.add_argument("--plan-max-tokens", type=int, default=1024, help="token budget of the plan call")
    p.add_argument("--section-max-tokens", type=int, default=2048, help="token budget of each paragraph call")
    p.add_argument("--temperature", type=float, default=0.7, help="sampling temperature (default: 0.7)")
    p.add_argument(
        "--constrain-plan",
        action="store_true",
        help="force the plan's numbered form with guided decoding (vLLM structured_outputs regex)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_agentwrite)

    p = subparsers.add_parser(
        "prepare-sft",
        help="LongWriter-6k-style chat jsonl -> verl SFT parquet (validated, mixed, length-filtered)",
        description=_data.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data", required=True, metavar="FILE", help="chat jsonl ('messages' records), e.g. LongWriter-6k"
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="folder for train.parquet / val.parquet / stats.json"
    )
    p.add_argument(
        "--tokenizer", required=True, metavar="PATH", help="model or tokenizer dir (lengths in its tokens)"
    )
    p.add_argument(
        "--max-length", type=int, default=32768, help="drop samples over this many tokens (default: 32768)"
    )
    p.add_argument("--general", metavar="FILE", help="general chat SFT jsonl to mix in")
    p.add_argument("--general-ratio", type=float, default=0.0, help="general rows per long row (e.g. 1.0)")
    p.add_argument("--val-size", type=int, default=0, help="rows held out into val.parquet (default: 0)")
    p.add_argument("--seed", type=int, default=0, help="shuffle / sampling seed")
    p.add_argument(
        "--skip-bad", action="store_true", help="drop bad rows (listed in stats.json) instead of failing"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_prepare_sft)

    p = subparsers.add_parser(
        "sft",
        help="supervised fine-tuning with verl's SFT trainer from a preset (configs/sft/*.yaml)",
        description=(
            "Run verl's SFT trainer (torchrun -m sft_baseline.verl_sft) with a preset from "
            "configs/sft/ (tiny-cpu, longwriter-llama3.1-8b, longwriter-glm4-9b) or a preset yaml, "
            "plus verl config overrides key=value (+key=value adds a key verl does not know). The "
            "config is composed and checked before any process starts. Metrics: "
            "<trainer.default_local_dir>/metrics.jsonl."
        ),
    )
    p.add_argument("--preset", required=True, help="preset name in configs/sft/ or a yaml path")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="verl SFT config overrides")
    p.add_argument(
        "--nproc-per-node", type=int, default=None, help="processes per node (default: the preset's)"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the composed config and command, run nothing"
    )
    p.set_defaults(func=_cmd_sft)

    from sft_baseline import cpt as _cpt

    p = subparsers.add_parser(
        "cpt",
        help="continued pre-training on raw long text (verl's SFT engine, packed, mixed by tokens)",
        description=_cpt.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--preset", required=True, help="preset name in configs/cpt/ or a yaml path")
    p.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="PATH[:WEIGHT]",
        help="a source (.jsonl with 'text', .txt, a folder of .txt, .parquet with 'text') and its "
        "weight (default 1); repeatable; replaces the preset's cpt.sources",
    )
    p.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (tokens/, data/, run/, hf/, cpt.json)"
    )
    p.add_argument(
        "overrides", nargs="*", metavar="key=value", help="cpt.KEY=VALUE, or a verl SFT config override"
    )
    p.add_argument(
        "--nproc-per-node", type=int, default=None, help="processes per node (default: the preset's)"
    )
    p.add_argument("--no-export", action="store_true", help="skip the Hugging Face export of the last step")
    p.add_argument(
        "--dry-run", action="store_true", help="compose and check everything, print it, write nothing"
    )
    p.set_defaults(func=_cmd_cpt)

    from sft_baseline import writer as _writer

    w = subparsers.add_parser(
        "writer",
        help="the tiny writer (tiny model SFT'd on a synthetic plan-then-write corpus)",
        description=_writer.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    wsub = w.add_subparsers(dest="writer_command", metavar="ACTION")
    w.set_defaults(func=lambda a: w.print_help() or 2)
    wb = wsub.add_parser(
        "build",
        help="build the tiny writer (verl SFT on CPU, a few minutes) or reuse the cached one; print its path",
        description=_writer.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    wb.add_argument("--seed", type=int, default=0, help="corpus / training seed (default: 0)")
    wb.set_defaults(func=_cmd_writer_build)

    from sft_baseline import pairs as _pairs

    p = subparsers.add_parser(
        "pairs",
        help="preference pairs: K samples per instruction, scored by our rewards, best vs a random other",
        description=_pairs.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--instructions", required=True, metavar="FILE", help="jsonl with 'instruction' (and 'id'), or .txt"
    )
    p.add_argument("--out", required=True, metavar="FILE", help="pairs jsonl to write")
    _add_backend_args(p)
    p.add_argument("-k", type=int, default=4, help="samples per instruction (default: 4)")
    p.add_argument("--template", default="plan_write", help="prompt template: plan_write, direct or none")
    p.add_argument("--max-tokens", type=int, default=4096, help="completion budget per sample (tokens)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default: 0.8)")
    p.add_argument("--seed", type=int, default=0, help="sampling and pairing seed")
    p.add_argument(
        "--reward-config", metavar="YAML", help="rewards and weights (default: length, quality, format)"
    )
    p.add_argument(
        "--min-margin", type=float, default=0.0, help="skip pairs whose reward margin is not above this"
    )
    p.add_argument("--concurrency", type=int, default=8, help="endpoint requests in flight (default: 8)")
    p.add_argument("--limit", type=int, default=0, help="only the first N instructions")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_pairs)
