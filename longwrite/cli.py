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
    "sft_baseline.dpo_cli",
    "eval.cli",
    "eval.annotate.cli",
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
    configure_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except expected_errors() as exc:
        # An expected failure: one clear line, no traceback (-v shows it). A bug in our code (any
        # other exception: TypeError, KeyError, ...) is not caught and keeps its traceback.
        if args.verbose:
            raise
        print(f"longwrite {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 2


class CurrentStderrHandler(logging.StreamHandler):
    """A log handler that writes to whatever ``sys.stderr`` is when a record is emitted.

    ``logging.StreamHandler`` binds the stream it was created with. ``longwrite demo`` runs its
    stages in-process with stderr redirected to each stage's log file; a handler bound during one
    stage would keep writing to that stage's closed file, and every later record was lost
    ("--- Logging error --- ValueError: I/O operation on closed file" in the next logs).
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        """The current ``sys.stderr`` (see the class docstring)."""
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ / setStream assign it: ignored
        pass


def configure_logging(verbose: bool = False) -> None:
    """Root logging for a ``longwrite`` command (INFO, DEBUG with ``-v``), to the current stderr.

    Like ``logging.basicConfig``, a no-op when the root logger already has handlers (a host
    program's, or an earlier in-process command's).
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=[CurrentStderrHandler()],
    )


def expected_errors() -> tuple[type[BaseException], ...]:
    """The exception types ``main`` reports as one line and exit status 2 (expected failures).

    * :class:`rollout.errors.LongwriteError`: the project's own (a model that cannot be resolved,
      a failed download, a tool such as verl's model merger that failed);
    * ``ValueError``: bad input (a malformed file, a bad option value, an unknown preset key);
    * ``OSError``: the machine or the network (a missing file, no permission, ``URLError``,
      ``ConnectionError``, ``TimeoutError``);
    * ``subprocess.CalledProcessError`` / ``TimeoutExpired``: a tool we run failed or hung.
    """
    import subprocess

    from rollout.errors import LongwriteError

    return (LongwriteError, ValueError, OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired)


#: Detail lines an error message keeps below its headline (e.g. the bad rows, FILE:LINE each).
MAX_DETAIL_LINES = 20


def one_line(exc: BaseException) -> str:
    """``exc`` as one headline: its first line, then up to :data:`MAX_DETAIL_LINES` detail lines of
    its own (a message that lists bad rows keeps them: each names its FILE:LINE) and a count of any
    left out; never a traceback.

    A ``URLError`` shows its reason (and an ``HTTPError`` its status and URL), a failed
    subprocess its command, exit status and last line of output; an empty message the type's name.
    """
    import subprocess
    import urllib.error

    if isinstance(exc, urllib.error.HTTPError):
        text = f"HTTP {exc.code} {exc.reason} from {exc.url}"
    elif isinstance(exc, urllib.error.URLError):
        text = f"network error: {exc.reason}"
    elif isinstance(exc, (subprocess.CalledProcessError, subprocess.TimeoutExpired)):
        cmd = exc.cmd if isinstance(exc.cmd, str) else " ".join(map(str, exc.cmd))
        output = exc.stderr or exc.output or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        last = next((ln.strip() for ln in reversed(output.splitlines()) if ln.strip()), "")
        what = (
            f"exited {exc.returncode}"
            if isinstance(exc, subprocess.CalledProcessError)
            else f"timed out after {exc.timeout:g} s"
        )
        text = f"`{cmd[:200]}` {what}" + (f": {last}" if last else "")
    else:
        text = str(exc).strip() or type(exc).__name__
    lines = [ln for ln in text.splitlines() if ln.strip()] or [type(exc).__name__]
    shown = [lines[0].strip(), *(ln.rstrip() for ln in lines[1 : 1 + MAX_DETAIL_LINES])]
    left = len(lines) - len(shown)
    if left:
        shown.append(f"  ({left} more line(s): run with -v to see them)")
    return "\n".join(shown)


def run() -> int:
    """The process entry point (the ``longwrite`` script, ``python -m longwrite.cli``): :func:`main`
    that ends without other programs' exit noise.

    A command that started a vLLM engine would otherwise end with ~30 lines of nanobind's leak
    report (:mod:`longwrite.quiet_exit`). The handler is registered here, before any command imports
    vLLM, and only for a real process: :func:`main` called in-process (tests, notebooks) must not
    end its host with ``os._exit``.
    """
    from longwrite.quiet_exit import end_quietly_at_exit, set_exit_code

    if not {"-v", "--verbose"} & set(sys.argv[1:]):  # -v keeps every program's own exit output
        end_quietly_at_exit()
    code = main()
    set_exit_code(code)
    return code


if __name__ == "__main__":
    sys.exit(run())
