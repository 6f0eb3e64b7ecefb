"""``longwrite eval longbench-write|ruler|arena-write|writingbench`` and ``longwrite report``.

Thin layers over :mod:`eval.longbench_write`, :mod:`eval.ruler`, :mod:`eval.arena_write`,
:mod:`eval.writingbench` and :mod:`eval.report`; nothing
heavy is imported until a handler runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
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

RL run folders (of `longwrite train`/`submit`: metrics/metrics-*.jsonl, one file per launch) may
be given too, mixed with evaluation runs: each gets its training curves against the step (reward
components, answer/plan length p50/p90, truncated share, zero-variance groups) as a plot and a
table; a metric not logged at a step is shown as missing, never 0.
"""


_ARENA_DOC = """\
Arena-Write-style pairwise evaluation of one model: generate an answer per request, have a judge
compare it with each baseline answer of the data file in both orders (five-level verdicts), and
rate everyone by a Bradley-Terry Elo fit anchored to a baseline, with bootstrap intervals and the
win/tie/loss matrix. Writes run.json, pairs.json, predictions.jsonl, judgments.jsonl and
scores.json into --out; re-running resumes. Several runs' Elo is fitted jointly by
`longwrite report`.

data (jsonl): {"id", "request", optional "type" and "length", "baseline_response": a string, a
list of strings, or a {"model name": "text"} mapping}

example:
  longwrite eval arena-write --model ckpts/rl/step_200 --data arena.jsonl \\
      --judge-endpoint http://judge:8000/v1 --judge-model qwen2.5-72b --out runs/arena-rl-200
"""

_WB_DOC = """\
WritingBench-style criteria judging of one model: generate an answer per query, have a judge score
the answer (plan stripped) on each of the query's own criteria, 1-10 in strict JSON with a short
justification; item score = mean over its criteria, run score = mean over items (also x10), by
domain when the data has one. Writes run.json, criteria.json, predictions.jsonl,
judgments.jsonl and scores.json into --out; re-running resumes.

data (jsonl, as released): {"index", "domain1", "domain2", "lang", "query", "checklist": [{"name",
"criteria_description", "1-2", ..., "9-10"}, ...]} (our names id/domain/criteria/description also read)

--protocol writingbench judges as X-PLUG/WritingBench's scripts (its prompt.py via --judge-prompt,
whole response, critic sampling, 15 tries); --responses FILE scores answers you already have
({"index", "response"} per line; no generation); --requirements DIR adds its style/format/length
scores. scores.json's "official" holds WritingBench's own aggregates (Overall = mean of all
criterion scores, domain1/domain2, requirement R and C).

example:
  longwrite eval writingbench --endpoint http://127.0.0.1:8000/v1 --model policy \\
      --data writingbench.jsonl --judge-endpoint http://127.0.0.1:8001/v1 --judge-model critic \\
      --out runs/wb-policy
  longwrite eval writingbench --protocol writingbench --judge-prompt WritingBench/prompt.py \\
      --model gpt-x --responses response_gpt-x.jsonl --data WritingBench/benchmark_query/benchmark_all.jsonl \\
      --requirements WritingBench/benchmark_query/requirement --judge-endpoint http://127.0.0.1:8001/v1 \\
      --judge-model critic --out runs/wb-gpt-x
"""


def _add_judge_args(
    p: argparse.ArgumentParser, max_tokens: int = 512, optional: bool = False, protocol: bool = False
) -> None:
    """The judge options; with ``protocol`` the numeric ones default to None (unset), so
    ``--protocol`` can tell an option the user gave from its default (see ``_protocol``)."""
    j = p.add_argument_group("judge")
    j.add_argument("--judge-endpoint", required=not optional, help="OpenAI-compatible base URL of the judge")
    j.add_argument("--judge-model", required=not optional, help="judge model name")
    j.add_argument("--judge-api-key-env", default="OPENAI_API_KEY", help="env var holding the judge's key")
    j.add_argument(
        "--judge-prompt",
        help="another prompt file (placeholders: see the default prompt in the module's docs)",
    )
    j.add_argument(
        "--judge-attempts",
        type=int,
        default=None if protocol else 3,
        help="tries per judgement for unreadable replies (default 3)",
    )
    j.add_argument("--judge-concurrency", type=int, default=8, help="judge requests in flight")
    j.add_argument(
        "--judge-max-tokens",
        type=int,
        default=None if protocol else max_tokens,
        help=f"judge reply budget (tokens; default {max_tokens}; more for reasoning judges)",
    )
    j.add_argument(
        "--judge-temperature",
        type=float,
        default=None if protocol else 0.0,
        help="judge sampling temperature (default 0)",
    )


def _judge_client(args: argparse.Namespace, out_dir: Path) -> Any:
    from rollout.endpoint import EndpointClient

    return EndpointClient(
        args.judge_endpoint,
        args.judge_model,
        api_key=os.environ.get(args.judge_api_key_env),
        concurrency=args.judge_concurrency,
        cache_path=out_dir / "judge_cache.jsonl",
    )


def _judge_params(args: argparse.Namespace) -> dict:
    return {"max_tokens": args.judge_max_tokens, "temperature": args.judge_temperature}


def _add_model_args(
    p: argparse.ArgumentParser,
    data_help: str = "jsonl with prompt, type, length per line",
    data_cache: str | None = None,
) -> None:
    g = p.add_argument_group("model (a local checkpoint, or --endpoint with a served model name)")
    g.add_argument(
        "--model",
        required=True,
        help="HF model folder, verl checkpoint/run folder (exported once, cached), or the model name at --endpoint",
    )
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
        default=None,
        choices=["plan_write", "direct", "none"],
        help="plan_write scores the <answer> only (default); direct asks for the text only",
    )
    s.add_argument("--style", default="chat", choices=["chat", "base"], help="prompt style for checkpoints")
    s.add_argument("--max-tokens", type=int, default=None, help="new tokens per answer (default 32768)")
    s.add_argument("--temperature", type=float, default=None, help="sampling temperature (default 0.5)")
    s.add_argument("--top-p", type=float, default=0.8)
    s.add_argument("--seed", type=int, default=0)
    if data_cache:
        p.add_argument(
            "--data",
            default=None,
            help=f"{data_help} (default: the cache `longwrite data get {data_cache}` fills)",
        )
    else:
        p.add_argument("--data", required=True, help=data_help)
    p.add_argument("--out", required=True, help="run directory (created; re-use it to resume)")
    p.add_argument("--limit", type=int, default=None, help="only the first N items")
    p.add_argument("--name", default=None, help="display name in reports (default: model + template)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _protocol(args: argparse.Namespace, table: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The generation and judge values of ``--protocol`` (from ``table``, default
    LongBench-Write's) with the options given on top."""
    from eval.longbench_write import protocol_values

    given = {
        "template": args.template,
        "max_tokens": args.max_tokens,
        "temperature": args.temperature,
        "judge_temperature": getattr(args, "judge_temperature", None),
        "judge_max_tokens": getattr(args, "judge_max_tokens", None),
        "judge_attempts": getattr(args, "judge_attempts", None),
    }
    return protocol_values(getattr(args, "protocol", "ours"), given, table)


def _settings(args: argparse.Namespace, table: dict[str, dict[str, Any]] | None = None) -> Any:
    from eval.generate import GenerationSettings

    values = _protocol(args, table)
    return GenerationSettings(
        template=values["template"],
        style=args.style,
        max_tokens=values["max_tokens"],
        temperature=values["temperature"],
        top_p=args.top_p,
        seed=args.seed,
        measure=values["measure"],
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
    from rollout.checkpoint import resolve_model

    # A verl checkpoint or run folder is exported once (cached beside it) and evaluated as such; a
    # hub id goes to vLLM as is (rollout.model_ref.check_model: a path that does not exist, or a
    # hub id that cannot be resolved offline, is a clear error).
    model = resolve_model(args.model)
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
    from eval.benchdata import resolve_data
    from eval.judge import JudgePrompt
    from eval.longbench_write import run_longbench_write

    if not args.no_judge and not (args.judge_endpoint and args.judge_model):
        raise ValueError("give --judge-endpoint and --judge-model (or --no-judge for the length score only)")
    args.data = str(resolve_data(args.data, "longbench-write"))
    prompt = JudgePrompt.from_file(args.judge_prompt) if args.judge_prompt else JudgePrompt.default()
    values = _protocol(args)
    if args.protocol == "longbench-write" and not args.judge_prompt and not args.no_judge:
        print(
            "warning: --protocol longbench-write without --judge-prompt judges with this project's "
            "prompt; pass the official evaluation/judge.txt for published-number comparability",
            file=sys.stderr,
        )
    res, out_dir = _run(
        args,
        run_longbench_write,
        judge_prompt=prompt,
        judged=not args.no_judge,
        judge_attempts=values["judge_attempts"],
        judge_params={"max_tokens": values["judge_max_tokens"], "temperature": values["judge_temperature"]},
        protocol=args.protocol,
    )
    print(f"\nLongBench-Write: {res['run']['name']}  (judge prompt {prompt.version} #{prompt.hash})")
    # Without a judge S_q and S-bar cannot exist: say so, never a blank that reads like a score.
    q = (lambda v: "not judged") if args.no_judge else _fmt
    groups = [("overall", res["overall"])]
    groups += [(k, g) for group in ("by_bucket", "by_language") for k, g in res[group].items()]
    rows = [[k, str(g["n"]), _fmt(g["S_l"]), q(g["S_q"]), q(g["S_bar"])] for k, g in groups]
    _print_table(["group", "n", "S_l", "S_q", "S̄"], rows)
    f = res["failures"]
    print(_failed_line(f, out_dir))
    return 1 if f["generation"] + f["judge"] == res["overall"]["n"] and res["overall"]["n"] else 0


def _prepare(args: argparse.Namespace) -> Path:
    if not Path(args.data).is_file():
        raise FileNotFoundError(f"data file not found: {args.data}")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def _run(
    args: argparse.Namespace,
    run_fn: Callable[..., dict[str, Any]],
    *,
    judge_prompt: Any = None,
    judged: bool = True,
    backend: Any = None,
    protocols: dict[str, dict[str, Any]] | None = None,
    **options: Any,
) -> tuple[dict[str, Any], Path]:
    """Call one benchmark's ``run_*`` with what every subcommand passes, and return its result
    and the run folder.

    Always: --data, --out (created), the model backend, the generation settings, --limit, --name
    and --no-progress. With ``judge_prompt`` (a judged benchmark) also the judge: its client
    (``judged`` False: None, LongBench-Write's --no-judge; its response cache lives in the run
    folder), the prompt, --judge-attempts and the judge sampling. ``options`` go to ``run_fn``
    and win over these (e.g. LongBench-Write's --protocol values, Arena-Write's Elo settings).
    ``backend`` replaces the model backend (e.g. WritingBench's --responses file); ``protocols``
    is the benchmark's --protocol table (default LongBench-Write's).
    """
    out_dir = _prepare(args)
    backend = backend if backend is not None else _backend(args, out_dir)
    common: dict[str, Any] = {"limit": args.limit, "name": args.name, "progress": not args.no_progress}
    if judge_prompt is not None:
        common |= _judge_options(args, out_dir, judge_prompt, judged)
    res = run_fn(args.data, out_dir, backend, _settings(args, protocols), **{**common, **options})
    return res, out_dir


def _judge_options(args: argparse.Namespace, out_dir: Path, prompt: Any, judged: bool) -> dict[str, Any]:
    return {
        "judge_client": _judge_client(args, out_dir) if judged else None,
        "judge_prompt": prompt,
        "judge_attempts": args.judge_attempts,
        "judge_params": _judge_params(args),
    }


def _failed_line(f: dict, out_dir: Path) -> str:
    return f"failed: {f['generation']} generation, {f['judge']} judge (listed in {out_dir / 'scores.json'})"


# run_arena_write's rating options -> the dest of their option in the "Elo" group.
_ELO_OPTIONS = {
    "anchor": "anchor",
    "anchor_rating": "anchor_rating",
    "prior": "elo_prior",
    "strong_weight": "strong_weight",
    "bootstrap_rounds": "bootstrap",
    "reference_prior": "baseline_prior",
}


def _cmd_arena(args: argparse.Namespace) -> int:
    from eval.arena_write import run_arena_write
    from eval.pairwise import pairwise_prompt

    prompt = pairwise_prompt(args.judge_prompt)
    res, out_dir = _run(
        args,
        run_arena_write,
        judge_prompt=prompt,
        seed=args.seed,
        **{k: getattr(args, dest) for k, dest in _ELO_OPTIONS.items()},
    )
    fit = res["elo"]["fit"]
    print(
        f"\nArena-Write: {res['model']}  (judge prompt {prompt.version} #{prompt.hash}, anchor {res['anchor']})"
    )
    if fit:
        sc = res["elo"].get("style_controlled") or {}
        rows = []
        for m, r in sorted(
            fit["ratings"].items(), key=lambda kv: -(float("-inf") if kv[1] is None else kv[1])
        ):
            ci = res["elo"]["intervals"].get(m, {})
            sci = (sc.get("intervals") or {}).get(m, {})
            rows.append(
                [
                    m,
                    _fmt(r) if r is not None else fit["direction"][m],
                    f"[{_fmt(ci.get('lo'))}, {_fmt(ci.get('hi'))}]",
                    _fmt((sc.get("ratings") or {}).get(m)),
                    f"[{_fmt(sci.get('lo'))}, {_fmt(sci.get('hi'))}]" if sci else "-",
                ]
            )
        _print_table(["model", "Elo", "95% interval", "style-controlled", "95% interval"], rows)
        if sc.get("note") or res["elo"].get("note"):
            print(sc.get("note") or res["elo"].get("note"))
    else:
        print(f"no Elo: {res['elo']['note']}")
    o = res["orders"]
    print(
        f"pairs: {res['n_pairs']} ({o['agree']} orders agree, {o['disagree']} disagree, {o['incomplete']} incomplete)"
    )
    print(_failed_line(res["failures"], out_dir))
    return 0 if res["n_comparisons"] else 1


def _cmd_writingbench(args: argparse.Namespace) -> int:
    from eval.writingbench import (
        PROTOCOLS,
        criteria_prompt,
        load_writingbench,
        official_prompt,
        run_writingbench,
    )

    official = args.protocol == "writingbench"
    if args.data is None:  # the release `longwrite data get writingbench` cached, checked
        from eval.benchdata import WRITINGBENCH_PROMPT, WRITINGBENCH_REQUIREMENTS, bench_dir, resolve_data

        args.data = str(resolve_data(None, "writingbench"))
        release = bench_dir("writingbench")
        if official and not args.judge_prompt:
            args.judge_prompt = str(release / WRITINGBENCH_PROMPT)
        if args.requirements is None:
            args.requirements = str(release / WRITINGBENCH_REQUIREMENTS)
    if official and not args.judge_prompt:
        raise ValueError(
            "--protocol writingbench needs --judge-prompt PATH/TO/WritingBench/prompt.py (its "
            "evaluate_system and evaluate_prompt are read from your copy, never shipped here)"
        )
    prompt = official_prompt(args.judge_prompt) if official else criteria_prompt(args.judge_prompt)
    values = _protocol(args, PROTOCOLS)
    backend = None
    if args.responses:
        from eval.responses import ResponsesBackend

        backend = ResponsesBackend(args.responses, args.model, [it.id for it in load_writingbench(args.data)])
    judge_params = {"max_tokens": values["judge_max_tokens"], "temperature": values["judge_temperature"]}
    if values.get("judge_top_p") is not None:
        judge_params["top_p"] = values["judge_top_p"]
    res, out_dir = _run(
        args,
        run_writingbench,
        judge_prompt=prompt,
        backend=backend,
        protocols=PROTOCOLS,
        judge_attempts=values["judge_attempts"],
        judge_params=judge_params,
        protocol=args.protocol,
        requirements=args.requirements,
    )
    print(
        f"\nWritingBench: {res['run']['name']}  (protocol {res['protocol']}, "
        f"judge prompt {prompt.version} #{prompt.hash})"
    )
    groups = [("overall", res["overall"])] + list(res["by_domain"].items())
    _print_table(
        ["group", "n", "scored", "score (1-10)", "x10"],
        [[k, str(g["n"]), str(g["n_scored"]), _fmt(g["score"]), _fmt(g["score_x10"])] for k, g in groups],
    )
    off = res["official"]
    rows = [
        [
            "Overall (mean of criterion scores)",
            str(off["overall"]["n_scored"]),
            _fmt10(off["overall"]["score"]),
        ]
    ]
    rows += [
        [f"{lvl} {d}", str(g["n_scored"]), _fmt10(g["score"])]
        for lvl in ("domain1", "domain2")
        for d, g in off[lvl].items()
    ]
    for req, r in (off["requirements"] or {}).items():
        rows += [[f"{req}_{k}", str(r[k]["n_scored"]), _fmt10(r[k]["score"])] for k in ("R", "C")]
    print("\nWritingBench's own aggregates (x10, as its leaderboard):")
    _print_table(["group", "scored", "x10"], rows)
    print(_failed_line(res["failures"], out_dir))
    return 0 if res["overall"]["n_scored"] else 1


def _fmt10(v: Any) -> str:
    return "-" if v is None else f"{10 * v:.1f}"


def _cmd_ruler(args: argparse.Namespace) -> int:
    from eval.benchdata import resolve_data
    from eval.ruler import run_ruler

    args.data = str(resolve_data(args.data, "ruler"))
    res, _ = _run(args, run_ruler, tolerance=args.tolerance)
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
    from eval.training import is_training_run

    paths = build_report(
        args.runs,
        args.out,
        tolerance=args.tolerance,
        rm_evals=args.rm_eval,
        annotations=args.annotations,
        annotation_judges=args.annotations_judge,
    )
    rows = leaderboard_rows([load_run(d, args.tolerance) for d in args.runs if not is_training_run(d)])
    if rows:
        _print_table(["model", "items", "S_l", "S_q", "S̄", "failed gen", "failed judge"], rows)
    print(f"wrote {paths['html']} and {paths['md']}")
    return 0


def _benchmark_parser(
    sub: Any,
    name: str,
    help_text: str,
    doc: str,
    func: Callable[[argparse.Namespace], int],
    **model_args: Any,
) -> argparse.ArgumentParser:
    """The ``longwrite eval NAME`` parser: ``help_text`` in the list, ``doc`` as its description,
    the model, generation and run options (``model_args`` go to ``_add_model_args``), ``func``."""
    p = sub.add_parser(
        name, help=help_text, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_model_args(p, **model_args)
    p.set_defaults(func=func)
    return p


def register(subparsers: Any) -> None:
    """Add ``longwrite eval {longbench-write,ruler,arena-write,writingbench}`` and ``longwrite report``."""
    ev = subparsers.add_parser(
        "eval",
        help="evaluate a model: LongBench-Write, LongWrite-Ruler, Arena-Write, WritingBench",
        description="Evaluate a model the same way for every kind of model.",
    )
    sub = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    ev.set_defaults(func=lambda a: ev.print_help() or 2)

    p = _benchmark_parser(
        sub,
        "longbench-write",
        "S_l, S_q and S̄ on LongBench-Write",
        _LBW_DOC,
        _cmd_lbw,
        data_cache="longbench-write",
    )
    _add_judge_args(p, optional=True, protocol=True)
    p.add_argument(
        "--protocol",
        default="ours",
        choices=["ours", "longbench-write"],
        help=(
            "ours (default): plan-then-write, the <answer> measured, judge at temperature 0 with 512 "
            "reply tokens; longbench-write: the official scripts' settings (bare prompt, whole "
            "response measured, judge temperature 0.5, 1024 reply tokens, 5 tries); options that "
            "conflict with it are refused"
        ),
    )
    p.add_argument("--no-judge", action="store_true", help="length score only")

    a = _benchmark_parser(
        sub,
        "arena-write",
        "pairwise judging against baseline answers, Elo with intervals",
        _ARENA_DOC,
        _cmd_arena,
        data_help="Arena-Write jsonl (id, request, baseline_response, optional type/length)",
    )
    _add_judge_args(a, max_tokens=1024)
    e = a.add_argument_group("Elo")
    e.add_argument(
        "--anchor",
        help="baseline held at --anchor-rating (default: the baselines' mean is; the choice only shifts the scale)",
    )
    e.add_argument(
        "--anchor-rating",
        type=float,
        default=1000.0,
        help="the anchor's (or baselines' mean) rating (default 1000)",
    )
    e.add_argument(
        "--baseline-prior",
        type=float,
        default=1.0,
        help="virtual ties between every two baselines: the prior that they are equally strong until "
        "their games say otherwise (default 1)",
    )
    e.add_argument(
        "--elo-prior",
        type=float,
        default=0.0,
        help="recorded only; the older anchored fit's virtual ties with the anchor (the joint fit uses --baseline-prior)",
    )
    e.add_argument("--strong-weight", type=float, default=1.0, help="weight of a much-better verdict")
    e.add_argument("--bootstrap", type=int, default=200, help="bootstrap rounds over items (default 200)")

    w = _benchmark_parser(
        sub,
        "writingbench",
        "per-query criteria judging, 1-10 per criterion, by domain",
        _WB_DOC,
        _cmd_writingbench,
        data_help="WritingBench jsonl (index, domain1, domain2, query, checklist; as released)",
        data_cache="writingbench",
    )
    _add_judge_args(w, protocol=True)
    w.add_argument(
        "--protocol",
        default="ours",
        choices=["ours", "writingbench"],
        help=(
            "ours (default): plan-then-write, the <answer> judged with this project's criteria "
            "prompt at temperature 0; writingbench: X-PLUG/WritingBench's scripts (bare query, "
            "temperature 0.7, 16000 new tokens, the whole response judged with its prompt.py, "
            "critic temperature 1.0, top-p 0.95, 2048 reply tokens, 15 tries); options that "
            "conflict with it are refused"
        ),
    )
    w.add_argument(
        "--responses",
        help="score these answers instead of generating: WritingBench's jsonl of {index, response} "
        "(--model then names the model that wrote them)",
    )
    w.add_argument(
        "--requirements",
        help="WritingBench's requirement/ folder (style|format|length/*_subset[_C].jsonl) for its "
        "requirement scores (default with the cached release: its requirement/ folder)",
    )

    r = _benchmark_parser(
        sub,
        "ruler",
        "LongWrite-Ruler: produced vs required length",
        _RULER_DOC,
        _cmd_ruler,
        data_cache="ruler",
    )
    r.add_argument("--tolerance", type=float, default=0.2, help="relative tolerance for 'met' (default 0.2)")

    rep = subparsers.add_parser(
        "report",
        help="compare evaluation runs in report.html / report.md",
        description=_REPORT_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument(
        "runs",
        nargs="+",
        metavar="RUN_DIR",
        help="run directories (longbench-write, ruler) and/or RL run folders",
    )
    rep.add_argument("--out", required=True, help="folder for report.html, report.md and the PNGs")
    rep.add_argument("--tolerance", type=float, default=0.2, help="ruler tolerance (default 0.2)")
    rep.add_argument(
        "--rm-eval",
        action="append",
        default=[],
        metavar="JSON",
        help="a `longwrite rm eval --out` result to add as a reward-model section (repeatable)",
    )
    rep.add_argument(
        "--annotations",
        metavar="DB",
        help="a `longwrite annotate` database: adds human Elo, win/tie/loss and agreement sections",
    )
    rep.add_argument(
        "--annotations-judge",
        action="append",
        default=[],
        metavar="DIR",
        help="a `longwrite annotate judge` folder: its Elo beside the people's and their agreement (repeatable)",
    )
    rep.set_defaults(func=_cmd_report)
