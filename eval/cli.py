"""``longwrite eval longbench-write``, ``longwrite eval ruler`` and ``longwrite report``.

Thin layers over :mod:`eval.longbench_write`, :mod:`eval.ruler` and :mod:`eval.report`; nothing
heavy is imported until a handler runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

_LBW_DOC = """\
Evaluate one model on LongBench-Write: generate an answer per request (a local checkpoint through
vLLM, or any OpenAI-compatible endpoint), score its length (S_l), have a judge endpoint rate its
quality (S_q), and write run.json, predictions.jsonl, judgments.jsonl and scores.json into --out.
Re-running the same command resumes: finished answers and judgements are kept.

examples:
  longwrite eval longbench-write --model ckpts/step_200 --data longbench_write.jsonl \\
      --judge-endpoint https://api.openai.com/v1 --judge-model gpt-4o --out runs/rl-200
  longwrite eval longbench-write --endpoint http://127.0.0.1:8000/v1 --model qwen2.5-7b \\
      --template direct --judge-endpoint http://judge:8000/v1 --judge-model judge --out runs/base
"""

_RULER_DOC = """\
LongWrite-Ruler for one model: answer prompts that ask for 1,000 to 30,000 words and report the
produced length per required length and the largest required length still met within
--tolerance. Writes run.json, predictions.jsonl and ruler.json into --out (resumable).
"""

_REPORT_DOC = """\
Compare evaluation runs (LongBench-Write and LongWrite-Ruler run directories of any models) in a
self-contained report.html (plots embedded) and a report.md: leaderboard, per bucket and
language, required-vs-produced scatter, ruler curves, judge dimensions, failures, run metadata.
"""


def _add_model_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (a local checkpoint, or --endpoint with a served model name)")
    g.add_argument("--model", required=True, help="checkpoint path, or the model name at --endpoint")
    g.add_argument("--endpoint", help="OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1)")
    g.add_argument("--api-key-env", default="OPENAI_API_KEY", help="env var holding the endpoint's API key")
    g.add_argument("--concurrency", type=int, default=8, help="endpoint requests in flight (default 8)")
    g.add_argument("--num-engines", type=int, default=1, help="vLLM engines (>1 uses a Ray EnginePool)")
    g.add_argument("--ray-address", help="Ray cluster address for the engine pool")
    g.add_argument("--max-model-len", type=int, default=None, help="engine context length (tokens)")
    g.add_argument("--dtype", default=None, help="engine dtype (default: the engine's)")
    g.add_argument("--tensor-parallel-size", type=int, default=None, help="GPUs per engine")
    s = p.add_argument_group("generation")
    s.add_argument(
        "--template",
        default="plan_write",
        choices=["plan_write", "direct", "none"],
        help="plan_write scores the <answer> only (default); direct asks for the text only",
    )
    s.add_argument("--style", default="chat", choices=["chat", "base"], help="prompt style for checkpoints")
    s.add_argument("--max-tokens", type=int, default=32768, help="new tokens per answer (default 32768)")
    s.add_argument("--temperature", type=float, default=0.5)
    s.add_argument("--top-p", type=float, default=0.8)
    s.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", required=True, help="jsonl with prompt, type, length per line")
    p.add_argument("--out", required=True, help="run directory (created; re-use it to resume)")
    p.add_argument("--limit", type=int, default=None, help="only the first N items")
    p.add_argument("--name", default=None, help="display name in reports (default: model + template)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _settings(args: argparse.Namespace) -> Any:
    from eval.generate import GenerationSettings

    return GenerationSettings(
        template=args.template,
        style=args.style,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
    )


def _backend(args: argparse.Namespace, out_dir: Path) -> Any:
    from eval.generate import CheckpointBackend, EndpointBackend

    if args.endpoint:
        from rollout.endpoint import EndpointClient

        client = EndpointClient(
            args.endpoint,
            args.model,
            api_key=os.environ.get(args.api_key_env),
            concurrency=args.concurrency,
            cache_path=out_dir / "generation_cache.jsonl",
        )
        return EndpointBackend(client)
    model = Path(args.model)
    if not model.exists() and (args.model.startswith((".", "/", "~")) or os.sep in args.model.rstrip(os.sep)):
        raise FileNotFoundError(f"checkpoint not found: {args.model} (for an API model pass --endpoint URL)")
    engine_kwargs = {
        k: v
        for k, v in {
            "max_model_len": args.max_model_len,
            "dtype": args.dtype,
            "tensor_parallel_size": args.tensor_parallel_size,
        }.items()
        if v is not None
    }
    return CheckpointBackend(
        str(model), num_engines=args.num_engines, ray_address=args.ray_address, engine_kwargs=engine_kwargs
    )


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.1f}"


def _cmd_lbw(args: argparse.Namespace) -> int:
    from eval.judge import JudgePrompt
    from eval.longbench_write import run_longbench_write

    if not args.no_judge and not (args.judge_endpoint and args.judge_model):
        raise ValueError("give --judge-endpoint and --judge-model (or --no-judge for the length score only)")
    if not Path(args.data).is_file():
        raise FileNotFoundError(f"data file not found: {args.data}")
    prompt = JudgePrompt.from_file(args.judge_prompt) if args.judge_prompt else JudgePrompt.default()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    judge = None
    if not args.no_judge:
        from rollout.endpoint import EndpointClient

        judge = EndpointClient(
            args.judge_endpoint,
            args.judge_model,
            api_key=os.environ.get(args.judge_api_key_env),
            concurrency=args.judge_concurrency,
            cache_path=out_dir / "judge_cache.jsonl",
        )
    res = run_longbench_write(
        args.data,
        out_dir,
        _backend(args, out_dir),
        _settings(args),
        judge_client=judge,
        judge_prompt=prompt,
        judge_attempts=args.judge_attempts,
        judge_params={"max_tokens": args.judge_max_tokens, "temperature": args.judge_temperature},
        limit=args.limit,
        name=args.name,
        progress=not args.no_progress,
    )
    print(f"\nLongBench-Write: {res['run']['name']}  (judge prompt {prompt.version} #{prompt.hash})")
    rows = [
        [
            "overall",
            str(res["overall"]["n"]),
            _fmt(res["overall"]["S_l"]),
            _fmt(res["overall"]["S_q"]),
            _fmt(res["overall"]["S_bar"]),
        ]
    ]
    for group in ("by_bucket", "by_language"):
        for k, g in res[group].items():
            rows.append([k, str(g["n"]), _fmt(g["S_l"]), _fmt(g["S_q"]), _fmt(g["S_bar"])])
    _print_table(["group", "n", "S_l", "S_q", "S̄"], rows)
    f = res["failures"]
    print(f"failed: {f['generation']} generation, {f['judge']} judge (listed in {out_dir / 'scores.json'})")
    return 1 if f["generation"] + f["judge"] == res["overall"]["n"] and res["overall"]["n"] else 0


def _cmd_ruler(args: argparse.Namespace) -> int:
    from eval.ruler import run_ruler

    if not Path(args.data).is_file():
        raise FileNotFoundError(f"data file not found: {args.data}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    res = run_ruler(
        args.data,
        out_dir,
        _backend(args, out_dir),
        _settings(args),
        tolerance=args.tolerance,
        limit=args.limit,
        name=args.name,
        progress=not args.no_progress,
    )
    print(f"\nLongWrite-Ruler: {res['run']['name']}  (tolerance ±{res['tolerance']:.0%})")
    _print_table(
        ["required", "n", "failed", "median", "mean", "S_l", "within", "met"],
        [
            [
                str(p["required"]),
                str(p["n"]),
                str(p["n_failed"]),
                _fmt(p["median"]),
                _fmt(p["mean"]),
                _fmt(p["S_l"]),
                "-" if p["within"] is None else f"{p['within']:.0%}",
                "yes" if p["met"] else "no",
            ]
            for p in res["curve"]
        ],
    )
    print(f"largest required length met: {res['max_met_length'] or 'none'}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from eval.report import build_report, leaderboard_rows, load_run

    paths = build_report(args.runs, args.out, tolerance=args.tolerance, rm_evals=args.rm_eval)
    rows = leaderboard_rows([load_run(d, args.tolerance) for d in args.runs])
    if rows:
        _print_table(["model", "items", "S_l", "S_q", "S̄", "failed gen", "failed judge"], rows)
    print(f"wrote {paths['html']} and {paths['md']}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``longwrite eval {longbench-write,ruler}`` and ``longwrite report``."""
    ev = subparsers.add_parser(
        "eval",
        help="evaluate a model: LongBench-Write, LongWrite-Ruler",
        description="Evaluate a model the same way for every kind of model.",
    )
    sub = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    ev.set_defaults(func=lambda a: ev.print_help() or 2)

    p = sub.add_parser(
        "longbench-write",
        help="S_l, S_q and S̄ on LongBench-Write",
        description=_LBW_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_model_args(p)
    j = p.add_argument_group("judge")
    j.add_argument("--judge-endpoint", help="OpenAI-compatible base URL of the judge")
    j.add_argument("--judge-model", help="judge model name")
    j.add_argument("--judge-api-key-env", default="OPENAI_API_KEY", help="env var holding the judge's key")
    j.add_argument("--judge-prompt", help="prompt file with {{request}}/{{answer}} (or $INST$/$RESPONSE$)")
    j.add_argument("--judge-attempts", type=int, default=3, help="tries per item for unreadable replies")
    j.add_argument("--judge-concurrency", type=int, default=8, help="judge requests in flight")
    j.add_argument(
        "--judge-max-tokens",
        type=int,
        default=512,
        help="judge reply budget (tokens; more for reasoning judges)",
    )
    j.add_argument(
        "--judge-temperature", type=float, default=0.0, help="judge sampling temperature (default 0)"
    )
    j.add_argument("--no-judge", action="store_true", help="length score only")
    p.set_defaults(func=_cmd_lbw)

    r = sub.add_parser(
        "ruler",
        help="LongWrite-Ruler: produced vs required length",
        description=_RULER_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_model_args(r)
    r.add_argument("--tolerance", type=float, default=0.2, help="relative tolerance for 'met' (default 0.2)")
    r.set_defaults(func=_cmd_ruler)

    rep = subparsers.add_parser(
        "report",
        help="compare evaluation runs in report.html / report.md",
        description=_REPORT_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories (longbench-write or ruler)")
    rep.add_argument("--out", required=True, help="folder for report.html, report.md and the PNGs")
    rep.add_argument("--tolerance", type=float, default=0.2, help="ruler tolerance (default 0.2)")
    rep.add_argument(
        "--rm-eval",
        action="append",
        default=[],
        metavar="JSON",
        help="a `longwrite rm eval --out` result to add as a reward-model section (repeatable)",
    )
    rep.set_defaults(func=_cmd_report)
