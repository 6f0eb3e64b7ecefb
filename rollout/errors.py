"""The project's expected-failure types: what ``longwrite`` reports in one line, exit status 2.

An *expected* failure comes from the user's input or environment (a missing file, a model the
machine cannot reach, a tool we run that fails on the user's data), never from a bug in our code.
``longwrite.cli.main`` prints such an error as one ``longwrite COMMAND: error: ...`` line on
stderr and exits 2; anything else (a ``TypeError``, ``KeyError``, ...) keeps its traceback. ``-v``
shows the traceback of an expected failure too.

These classes live in ``rollout`` (the lowest layer) so every package can raise them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LongwriteError", "ModelNotFoundError", "ToolError"]


class LongwriteError(Exception):
    """An expected failure with a message fit for one line on a terminal (see the module doc)."""


class ModelNotFoundError(LongwriteError, FileNotFoundError):
    """A ``--model`` that is neither an existing path nor a hub id this machine can resolve."""


class ToolError(LongwriteError, RuntimeError):
    """An external tool we run (e.g. verl's model merger) failed; ``log`` is its full log file."""

    def __init__(self, message: str, log: str | os.PathLike | None = None) -> None:
        super().__init__(message)
        self.log = Path(log) if log is not None else None
