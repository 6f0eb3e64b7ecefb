"""``longwrite data get longbench-write|ruler|writingbench``: download the benchmark data, checked and cached.

Thin layer over :func:`eval.benchdata.get`; ``longwrite eval`` reads the cached files when
``--data`` is not given.
"""

from __future__ import annotations

import argparse
from typing import Any

_GET_DOC = """\
Download a benchmark's files at a pinned commit - LongBench-Write and LongWrite-Ruler from the
LongWriter repository (THUDM/LongWriter, evaluation/), WritingBench's queries, requirement subsets
and judge prompt (prompt.py) from X-PLUG/WritingBench - check each against its recorded checksum
(sha256, or git's object id of the file at that commit) and cache them. A file with another
checksum is refused and nothing is cached. `longwrite eval` then finds the data on its own
(WritingBench: --data, --requirements and, for --protocol writingbench, --judge-prompt).

The cache folder is --dir, else $LONGWRITE_DATA_DIR, else ~/.cache/longwriter-rl/data (set
LONGWRITE_DATA_DIR to the same --dir for `longwrite eval` to find it there). The source is
--base-url, else $LONGWRITE_DATA_URL, else the repository at the pinned commit.
"""


def _cmd_get(args: argparse.Namespace) -> int:
    from eval.benchdata import get

    paths = get(args.benchmark, args.dir, url=args.base_url, timeout=args.timeout)
    for path in paths.values():
        print(path)
    return 0


def register(subparsers: Any) -> None:
    """Add ``longwrite data get BENCHMARK``."""
    from eval.benchdata import BENCHMARKS

    data = subparsers.add_parser(
        "data",
        help="get benchmark data (LongBench-Write, LongWrite-Ruler, WritingBench)",
        description=_GET_DOC,
    )
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data.set_defaults(func=lambda a: data.print_help() or 2)
    g = sub.add_parser(
        "get",
        help="download, verify (checksum) and cache a benchmark's files",
        description=_GET_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("benchmark", choices=sorted(BENCHMARKS), help="which benchmark's files")
    g.add_argument("--dir", default=None, help="cache folder (default: $LONGWRITE_DATA_DIR or ~/.cache/...)")
    g.add_argument(
        "--base-url", default=None, help="folder URL holding the files (default: the pinned commit)"
    )
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per download (default 60)")
    g.set_defaults(func=_cmd_get)
