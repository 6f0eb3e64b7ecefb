"""End a process that loaded Triton's nanobind extension without its leak report at exit.

vLLM imports Triton (``triton._C.libtriton``, a nanobind extension). When such a process ends,
nanobind's cleanup at interpreter finalization reports the Triton objects still referenced then:
"nanobind: leaked 4 instances!", a line per object, about 30 lines after every command that
started a vLLM engine. Nothing there is for a user to act on, and nanobind's own switch
(``nanobind::set_leak_warnings``) is C++ only: Triton does not expose it to Python.

:func:`end_quietly_at_exit` registers an atexit handler that, when Triton's extension is loaded,
flushes stdout/stderr and ends the process with ``os._exit`` after every other atexit handler has
run (vLLM's engine shutdown, Ray, logging, temporary folders: atexit runs handlers last-in
first-out, and this one is registered before vLLM is imported). Only interpreter finalization is
skipped, which is where nanobind reports. Processes without Triton exit normally.
"""

from __future__ import annotations

import atexit
import os
import sys

__all__ = ["end_quietly_at_exit", "set_exit_code"]

_STATE: dict[str, int] = {}


def set_exit_code(code: int) -> None:
    """The exit status the handler ends the process with (the command's return code)."""
    _STATE["code"] = int(code)


def _end() -> None:
    if "triton._C.libtriton" not in sys.modules:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_STATE.get("code", 1))


def end_quietly_at_exit() -> None:
    """Register the handler (once); call it first thing, before vLLM is imported, and
    :func:`set_exit_code` with the command's result before returning it."""
    if not _STATE.get("registered"):
        _STATE["registered"] = 1
        atexit.register(_end)
