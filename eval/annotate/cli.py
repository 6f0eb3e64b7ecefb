"""``longwrite annotate``: the blind side-by-side reading app, its tokens, the LLM judge on the
same pairs, and the results.

``longwrite annotate RUN_A RUN_B [RUN_C ...] --db FILE`` is short for ``longwrite annotate serve
...``; the other actions are ``token create|list``, ``judge`` and ``results``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

_DOC = """\
Human evaluation of long answers: two answers from different evaluation runs to one request, side
by side (stacked on narrow screens), model names hidden, sides and order random, plans and word
counts hidden unless asked; a five-level verdict (A>>B ... B>>A), an optional reason, skip, and
keyboard shortcuts (1-5 verdict, Enter submit, s skip, r reason, p plans, w word counts).

  longwrite annotate outputs/eval/sft outputs/eval/rl --db outputs/human.db
  longwrite annotate token create alice --db outputs/human.db
  longwrite annotate outputs/eval/sft outputs/eval/rl --db outputs/human.db --host 0.0.0.0
  longwrite annotate results --db outputs/human.db --export-pairs outputs/human_pairs.jsonl
"""

ACTIONS = ("serve", "token", "judge", "results")


class _AnnotateParser(argparse.ArgumentParser):
    """Reads ``annotate RUN ...`` as ``annotate serve RUN ...`` (the first word not an action)."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        """As argparse's, with ``serve`` put in front of a first word that is no action or option."""
        args = list(args or [])
        if args and args[0] not in ACTIONS and not args[0].startswith("-"):
            args = ["serve", *args]
        return super().parse_known_args(args, namespace)


def _cmd_serve(args: argparse.Namespace) -> int:
    from eval.annotate.app import check_host, serve
    from eval.annotate.runs import load_runs
    from eval.annotate.store import counts, has_tokens, open_db, store_runs

    runs = load_runs(args.runs)
    conn = open_db(args.db)
    check_host(args.host, conn)
    store_runs(conn, runs)
    c = counts(conn)
    print(
        f"{c['runs']} runs, {c['items']} items, {c['pairs']} pairs to read"
        + (" (each in both orders)" if args.both_orders else "")
        + f", {c['judgements']} judgement(s) so far; "
        + ("tokens required" if has_tokens(conn) else "local: annotators type their name")
    )
    if runs.unavailable:
        print(f"{len(runs.unavailable)} answer(s) cannot be shown; their pairs are not scheduled:")
        for item_id, name, reason in runs.unavailable[:10]:
            print(f"  item {item_id} of {name}: {reason}")
        if len(runs.unavailable) > 10:
            print(f"  ... and {len(runs.unavailable) - 10} more (`longwrite annotate results` lists all)")
    serve(conn, args.host, args.port, both_orders=args.both_orders, seed=args.seed)
    return 0


def _cmd_token(args: argparse.Namespace) -> int:
    from eval.annotate.store import create_token, open_db

    if args.token_action == "create":
        conn = open_db(args.db)
        token = create_token(conn, args.name)
        print(f"token for {args.name} (shown once; only its hash is stored): {token}")
        print(f"their link: http://HOST:PORT/login?token={token}")
        return 0
    conn = open_db(args.db, create=False)
    for row in conn.execute("SELECT annotator, created FROM tokens ORDER BY annotator"):
        print(f"{row['annotator']}  created {row['created']}")
    return 0


def _cmd_judge(args: argparse.Namespace) -> int:
    from eval.annotate.judge import judge_db
    from eval.annotate.store import open_db
    from eval.cli import _judge_client, _judge_params
    from eval.pairwise import pairwise_prompt

    conn = open_db(args.db, create=False)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res = judge_db(
        conn,
        args.db,
        out,
        _judge_client(args, out),
        pairwise_prompt(args.judge_prompt),
        attempts=args.judge_attempts,
        params=_judge_params(args),
        progress=not args.no_progress,
    )
    print(
        f"{res['judged']} of {res['calls']} judge calls (every pair, both orders) have a verdict; {res['failed']} failed"
    )
    for f in res["failures"][:10]:
        print(f"  {f['id']}: {f['error']}")
    return 0


def _print(table: Any) -> None:
    print(f"\n{table.title}")
    widths = [max(len(str(x)) for x in col) for col in zip(table.header, *table.rows, strict=True)]
    print("  ".join(h.ljust(w) for h, w in zip(table.header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in table.rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    if table.note:
        print(table.note)


def _cmd_results(args: argparse.Namespace) -> int:
    from eval.annotate.results import export_pairs, results, tables
    from eval.annotate.store import open_db

    conn = open_db(args.db, create=False)
    res = results(conn, args.judge_run, prior=args.prior, rounds=args.bootstrap, seed=args.seed)
    for t in tables(res):
        _print(t)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.export_pairs:
        c = export_pairs(conn, args.export_pairs)
        print(
            f"wrote {c['exported']} preference pair(s) to {args.export_pairs}; not exported: "
            f"{c['skips']} skip(s), {c['tie_judgements']} tie verdict(s), {c['tied_pairs']} pair(s) "
            "whose verdicts average to a tie"
        )
    return 0


def register(subparsers: Any) -> None:
    """Add ``longwrite annotate [serve] RUN ...``, ``token``, ``judge`` and ``results``."""
    from eval.cli import _add_judge_args

    p = subparsers.add_parser(
        "annotate",
        help="human evaluation: blind side-by-side reading app, tokens, results",
        description=_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="annotate_action", metavar="ACTION")
    p.__class__ = _AnnotateParser  # after add_subparsers: the actions' parsers stay plain ones
    p.set_defaults(func=lambda a: p.print_help() or 2)

    s = sub.add_parser(
        "serve", help="the reading app (the default: `longwrite annotate RUN_A RUN_B --db FILE`)"
    )
    s.add_argument(
        "runs", nargs="+", metavar="RUN", help="evaluation run folders over the same items (two or more)"
    )
    s.add_argument("--db", required=True, help="the annotation database (SQLite; created on first use)")
    s.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; another needs tokens)"
    )
    s.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    s.add_argument(
        "--both-orders", action="store_true", help="show each pair twice, sides swapped (position-bias check)"
    )
    s.add_argument("--seed", type=int, default=0, help="seed of the pair order and sides (default 0)")
    s.set_defaults(func=_cmd_serve)

    t = sub.add_parser("token", help="per-annotator access tokens (needed for --host other than 127.0.0.1)")
    tsub = t.add_subparsers(dest="token_action", metavar="create|list", required=True)
    tc = tsub.add_parser("create", help="a new token for one annotator, printed once")
    tc.add_argument("name", help="the annotator's name (letters, digits, _ . -)")
    tc.add_argument("--db", required=True, help="the annotation database (created if new)")
    tl = tsub.add_parser("list", help="annotators with a token (names and dates, never tokens)")
    tl.add_argument("--db", required=True, help="the annotation database")
    t.set_defaults(func=_cmd_token)

    j = sub.add_parser("judge", help="the LLM pairwise judge on the same pairs, both orders, for agreement")
    j.add_argument("--db", required=True, help="the annotation database")
    j.add_argument(
        "--out", required=True, help="folder for run.json and judgments.jsonl (re-use it to resume)"
    )
    j.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_judge_args(j, max_tokens=1024)
    j.set_defaults(func=_cmd_judge)

    r = sub.add_parser("results", help="human Elo, win/tie/loss, agreement with the judge and between people")
    r.add_argument("--db", required=True, help="the annotation database")
    r.add_argument(
        "--judge-run",
        action="append",
        default=[],
        metavar="DIR",
        help="a `longwrite annotate judge` folder: its Elo beside the people's and the agreement (repeatable)",
    )
    r.add_argument(
        "--export-pairs", metavar="FILE", help="write preference pairs (jsonl) for `rm data` / `dpo`"
    )
    r.add_argument("--json", metavar="FILE", help="write the whole result as JSON")
    r.add_argument("--bootstrap", type=int, default=200, help="bootstrap rounds over items (default 200)")
    r.add_argument("--prior", type=float, default=1.0, help="virtual ties between every two runs (default 1)")
    r.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    r.set_defaults(func=_cmd_results)
