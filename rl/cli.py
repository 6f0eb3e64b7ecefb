"""``longwrite prepare-rl``: writing requests (jsonl) -> verl RL parquet. Data preparation only.

The training commands (``train``, ``submit``) live in their own CLI module; this one only adds
``prepare-rl``. Nothing heavy is imported until the handler runs.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``prepare-rl`` subcommand to ``longwrite``."""
    p = subparsers.add_parser(
        "prepare-rl",
        help="turn writing requests (jsonl) into verl RL parquet (train/val)",
        description=(
            "Turn writing requests (one JSON object per line: id, prompt, optional type, optional "
            "explicit target {lower, upper}) into verl's RL parquet files OUT/train.parquet and "
            "OUT/val.parquet, with the plan-then-write chat messages, the target length range of "
            "each request (explicit, predicted by an endpoint, or the deterministic fallback) and "
            "OUT/manifest.json listing the verl settings to use. A bad row fails with its file "
            "and line. --explain-lengths prints, per request, the target range, its source and "
            "its evidence (the words it was read from, the numbers rejected and why) and writes "
            "nothing else; with --length-endpoint it also lists explicit ranges the endpoint's "
            "prediction disagrees with. Every prompt's tokens are counted with the policy's "
            "tokenizer (the chat-templated prompt, as verl builds it) against the preset's "
            "data.max_prompt_length: an over-long prompt is refused (exit 2, listing file:line, "
            "id and tokens) or, with --overlong drop, dropped and recorded in the manifest."
        ),
    )
    p.add_argument(
        "--preset",
        default=None,
        help="the RL preset the data is for (tiny-cpu, qwen2.5-7b, qwen2.5-32b or a YAML path): its "
        "model's tokenizer and data.max_prompt_length bound every prompt (required unless "
        "--explain-lengths)",
    )
    p.add_argument(
        "--tokenizer",
        metavar="PATH",
        default=None,
        help="the policy tokenizer to count prompt tokens with (default: the preset's model path)",
    )
    p.add_argument(
        "--max-prompt-length",
        type=int,
        default=None,
        metavar="TOKENS",
        help="prompt budget in tokens (default: the preset's data.max_prompt_length; train with the same)",
    )
    p.add_argument(
        "--overlong",
        choices=("refuse", "drop"),
        default="refuse",
        help="a prompt over the budget: refuse the data (default, exit 2 with the list) or drop it "
        "(listed in OUT/manifest.json under prompt_tokens.dropped, counts printed)",
    )
    p.add_argument(
        "--prompts",
        metavar="FILE",
        default=None,
        help="request jsonl (default: the bundled prompt set rl/data/prompts.jsonl)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="output directory (required unless --explain-lengths; then it only holds the length cache)",
    )
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.05,
        help="share of requests held out for validation, in [0, 1) (default: 0.05)",
    )
    p.add_argument(
        "--style",
        choices=("base", "chat"),
        default="chat",
        help="chat: the model's own chat template; base: a raw-text frame for base models, "
        "shipped as OUT/chat_template.jinja and listed in the manifest's verl overrides "
        "(default: chat)",
    )
    p.add_argument(
        "--template",
        choices=("plan_write", "direct", "none"),
        default="plan_write",
        help="instruction template: plan in <think> then write in <answer> (default), answer "
        "only, or the bare request",
    )
    p.add_argument(
        "--length-endpoint",
        metavar="URL",
        default=None,
        help="OpenAI-compatible base URL that predicts a length range for requests without one "
        "(otherwise a deterministic fallback applies); API key from $OPENAI_API_KEY; replies are "
        "cached in OUT/length_cache.jsonl",
    )
    p.add_argument("--length-model", metavar="NAME", default=None, help="model name at --length-endpoint")
    p.add_argument("--seed", type=int, default=0, help="seed of the train/validation split (default: 0)")
    p.add_argument(
        "--data-source",
        default="longwriter_rl",
        help="the rows' data_source, as verl reports it in metrics (default: longwriter_rl)",
    )
    p.add_argument(
        "--explain-lengths",
        action="store_true",
        help="audit: print each request's target range, source and evidence (and, with "
        "--length-endpoint, the endpoint's range for explicit targets and the disagreements); "
        "writes no parquet",
    )
    p.add_argument(
        "--cross-check-lengths",
        action="store_true",
        help="with --length-endpoint: also ask the endpoint about requests with an explicit length "
        "and record its range in extra_info.target_check and the disagreements in the manifest",
    )
    p.add_argument(
        "--select-by-margin",
        type=int,
        metavar="K",
        default=None,
        help="keep the K requests with the largest margin: 1 - the starting policy's mean outcome "
        "(win 1, tie 0.5, loss 0) against the request's strongest reference; needs the "
        "--policy-* and --judge-* endpoints; scores go to OUT/margin_scores.jsonl",
    )
    p.add_argument("--policy-endpoint", metavar="URL", default=None, help="the starting policy's endpoint")
    p.add_argument("--policy-model", metavar="NAME", default=None, help="model name at --policy-endpoint")
    p.add_argument("--judge-endpoint", metavar="URL", default=None, help="the pairwise judge's endpoint")
    p.add_argument("--judge-model", metavar="NAME", default=None, help="model name at --judge-endpoint")
    p.add_argument(
        "--margin-samples", type=int, default=1, help="policy answers per request for the margin (default: 1)"
    )
    p.add_argument(
        "--checklists",
        metavar="ENDPOINT",
        default=None,
        help="OpenAI-compatible base URL of a model that writes each request's checklist (3-7 "
        "criteria with score bands, hard constraints marked) for the checklist reward; kept in "
        "OUT/checklists.jsonl (resumable) and OUT/checklists_review.yaml (edit it, re-run to use "
        "the edits); API key from $OPENAI_API_KEY",
    )
    p.add_argument("--checklist-model", metavar="NAME", default=None, help="model name at --checklists")
    p.add_argument(
        "--checklist-missing",
        choices=("refuse", "drop"),
        default="refuse",
        help="a request left without a checklist: refuse (list them, write nothing; default) or "
        "drop it and list it in the manifest",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from rl.prepare import BUNDLED_PROMPTS, explain_targets, format_explanations

    if args.explain_lengths:
        cache = None
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            cache = Path(args.out) / "length_cache.jsonl"
        items = explain_targets(
            args.prompts or BUNDLED_PROMPTS,
            length_endpoint=args.length_endpoint,
            length_model=args.length_model,
            cache_path=cache,
            progress=True,
        )
        print(format_explanations(items))
        return 0
    if not args.out:
        print("longwrite prepare-rl: --out DIR is required (unless --explain-lengths)", file=sys.stderr)
        return 2
    if not args.preset:
        print(
            "longwrite prepare-rl: --preset NAME is required: its tokenizer and data.max_prompt_length "
            "bound every prompt (e.g. --preset tiny-cpu)",
            file=sys.stderr,
        )
        return 2
    from rl.prepare import ChecklistsMissingError
    from rl.prompt_budget import OverlongPromptsError, budget_from_preset

    budget = budget_from_preset(args.preset, args.tokenizer, args.max_prompt_length)
    try:
        data = _prepare(args, budget)
    except (OverlongPromptsError, ChecklistsMissingError) as exc:
        print(f"longwrite prepare-rl: {exc}", file=sys.stderr)
        return 2
    _report(data)
    return 0


def _prepare(args: argparse.Namespace, budget):
    from rl.prepare import BUNDLED_PROMPTS, prepare_rl_data

    return prepare_rl_data(
        args.prompts or BUNDLED_PROMPTS,
        args.out,
        val_fraction=args.val_fraction,
        style=args.style,
        template=args.template,
        length_endpoint=args.length_endpoint,
        length_model=args.length_model,
        seed=args.seed,
        data_source=args.data_source,
        progress=True,
        cross_check_lengths=args.cross_check_lengths,
        select_by_margin=args.select_by_margin,
        policy_endpoint=args.policy_endpoint,
        policy_model=args.policy_model,
        judge_endpoint=args.judge_endpoint,
        judge_model=args.judge_model,
        margin_samples=args.margin_samples,
        prompt_budget=budget,
        overlong=args.overlong,
        checklist_endpoint=args.checklists,
        checklist_model=args.checklist_model,
        checklist_missing=args.checklist_missing,
    )


def _report(data) -> None:
    import json

    sources = ", ".join(f"{k} {v}" for k, v in data.target_sources.items())
    print(f"train: {data.train} ({data.n_train} rows)")
    print(f"val:   {data.val} ({data.n_val} rows)")
    print(f"target ranges: {sources}")
    manifest = json.loads(data.manifest.read_text(encoding="utf-8"))
    check = manifest.get("length_cross_check")
    if check:
        print(
            f"length cross-check: {check['checked']} explicit, {check['agree']} agree, "
            f"{len(check['disagree_ids'])} disagree: {', '.join(check['disagree_ids']) or '-'}"
        )
    if data.chat_template is not None:
        print(f"base chat template: {data.chat_template} (see {data.manifest} for the verl settings)")
    tokens = manifest.get("prompt_tokens")
    if tokens:
        print(
            f"prompt tokens: {tokens['checked']} prompts checked against max_prompt_length "
            f"{tokens['max_prompt_length']} ({tokens['source']}, tokenizer {tokens['tokenizer']}); "
            f"longest kept {tokens['longest_kept']}; dropped {len(tokens['dropped'])}"
            + "".join(
                f"\n  dropped {d['path']}:{d['line']} id {d['id']!r} ({d['split']}): {d['tokens']} tokens"
                for d in tokens["dropped"]
            )
        )
    lists = manifest.get("checklists")
    if lists:
        print(
            f"checklists: {lists['ok']} ready ({lists['generated']} generated, {lists['cached']} cached, "
            f"{lists['edited']} edited), {len(lists['failed'])} failed; review: {lists['review']}"
            + "".join(f"\n  no checklist for {f['id']}: {f['reason']}" for f in lists["failed"])
        )
    print(f"manifest: {data.manifest}")
