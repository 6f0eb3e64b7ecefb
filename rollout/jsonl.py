"""The project's one jsonl reader: tolerant of a torn last line, strict about everything else.

Long jobs (generation, judging, AgentWrite, verl's metrics logger) append one JSON object per line
and can be killed mid-write. Only the *last* line can then be torn: it is skipped with a warning
and reported (``JsonlRead.torn_tail``). A bad line anywhere else is corruption or a bug and raises
``ValueError`` naming the file and line; it is never silently dropped.

Writers keep it that way: :func:`append_records` cuts a torn tail off (with a warning) before it
appends, so a fragment never ends up in the middle of a file where it would read as corruption.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["JsonlRead", "read_jsonl", "latest_by_key", "cut_torn_tail", "append_records"]


@dataclass
class JsonlRead:
    """What :func:`read_jsonl` found: ``(line number, value)`` pairs and whether the tail was torn."""

    path: Path
    records: list[tuple[int, Any]] = field(default_factory=list)
    torn_tail: bool = False

    def values(self) -> list[Any]:
        """The parsed values alone, in file order."""
        return [value for _, value in self.records]


def read_jsonl(
    path: str | os.PathLike, *, allow_torn_tail: bool = True, errors: list[str] | None = None
) -> JsonlRead:
    """Parse every non-blank line of ``path`` as JSON.

    A last line that does not parse and has no trailing newline (a write cut by a kill) is skipped
    with a warning when ``allow_torn_tail`` (``torn_tail`` is then True); any other unparsable line
    raises ``ValueError`` as ``FILE:LINE: reason`` -- or, when an ``errors`` list is given, that
    message is appended to it and reading goes on (for validators that report every bad row at
    once). A missing file raises ``FileNotFoundError``.
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
            message = f"{path}:{index + 1}: not valid JSON ({exc})"
            if errors is None:
                raise ValueError(message) from None
            errors.append(message)
    return out


def latest_by_key(
    path: str | os.PathLike, key: str = "id", *, where: Callable[[dict], bool] | None = None
) -> dict[str, dict]:
    """The last record per ``str(record[key])`` in a journal-style jsonl file (later lines win).

    For files our own jobs append to (predictions, judgements, caches): a missing file is empty, a
    torn last line is skipped (see :func:`read_jsonl`), and a line that is not an object with
    ``key`` is a bug and raises ``ValueError`` naming the file and line. ``where`` keeps only the
    records it accepts (e.g. one judge's verdicts in a file shared by several).
    """
    path = Path(path)
    if not path.exists():
        return {}
    out: dict[str, dict] = {}
    for lineno, rec in read_jsonl(path).records:
        if not isinstance(rec, dict) or key not in rec:
            raise ValueError(f"{path}:{lineno}: expected a JSON object with a {key!r} field")
        if where is None or where(rec):
            out[str(rec[key])] = rec
    return out


def cut_torn_tail(fd: int, path: str | os.PathLike = "?") -> int:
    """Truncate the open file ``fd`` after its last newline; return how many bytes were cut.

    A write killed mid-line leaves a fragment with no newline. Appending after it would bury it
    mid-file, where :func:`read_jsonl` rightly treats it as corruption, so it is cut (logged with
    ``path``) before the next append. The fragment was never a finished record: nothing is lost.
    """
    size = os.fstat(fd).st_size
    if not size or os.pread(fd, 1, size - 1) == b"\n":
        return 0
    keep = size
    while keep > 0:
        start = max(0, keep - 65536)
        block = os.pread(fd, keep - start, start)
        nl = block.rfind(b"\n")
        if nl >= 0:
            keep = start + nl + 1
            break
        keep = start
    os.ftruncate(fd, keep)
    log.warning("%s: cut a torn last line of %d bytes (a write killed mid-line)", path, size - keep)
    return size - keep


def append_records(path: str | os.PathLike, records: Iterable[Any]) -> None:
    """Append ``records`` as JSON lines to ``path`` with one ``write`` under an exclusive lock.

    A torn tail left by a killed writer is cut first (:func:`cut_torn_tail`). The ``flock`` makes
    the cut and the append safe with several processes appending to one file; the single write
    means a kill tears at most this batch, and only at the end of the file.
    """
    data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        cut_torn_tail(fd, path)
        os.write(fd, data.encode("utf-8"))
    finally:
        os.close(fd)  # closing releases the lock
