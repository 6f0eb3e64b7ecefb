"""The project's one jsonl reader: tolerant of a torn last line, strict about everything else.

Long jobs (generation, judging, AgentWrite, verl's metrics logger) append one JSON object per line
and can be killed mid-write. Only the *last* line can then be torn: it is skipped with a warning
and reported (``JsonlRead.torn_tail``). A bad line anywhere else is corruption or a bug and raises
``ValueError`` naming the file and line; it is never silently dropped.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["JsonlRead", "read_jsonl"]


@dataclass
class JsonlRead:
    """What :func:`read_jsonl` found: ``(line number, value)`` pairs and whether the tail was torn."""

    path: Path
    records: list[tuple[int, Any]] = field(default_factory=list)
    torn_tail: bool = False

    def values(self) -> list[Any]:
        """The parsed values alone, in file order."""
        return [value for _, value in self.records]


def read_jsonl(path: str | os.PathLike, *, allow_torn_tail: bool = True) -> JsonlRead:
    """Parse every non-blank line of ``path`` as JSON.

    A last line that does not parse and has no trailing newline (a write cut by a kill) is skipped
    with a warning when ``allow_torn_tail`` (``torn_tail`` is then True); any other unparsable line
    raises ``ValueError`` as ``FILE:LINE: reason``. A missing file raises ``FileNotFoundError``.
    """
    path = Path(path)
    data = path.read_bytes()
    lines = data.split(b"\n")
    out = JsonlRead(path)
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        try:
            out.records.append((index + 1, json.loads(raw)))
        except ValueError as exc:
            if allow_torn_tail and index == len(lines) - 1:  # no newline after it: cut mid-write
                log.warning("%s:%d: skipped a torn last line (a write cut by a kill)", path, index + 1)
                out.torn_tail = True
                break
            raise ValueError(f"{path}:{index + 1}: not valid JSON ({exc})") from None
    return out
