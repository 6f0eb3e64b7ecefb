"""Reading benchmark jsonl files: LongBench-Write / LongWrite-Ruler (fields: prompt, type,
length) here; Arena-Write's and WritingBench's rows through :func:`load_rows` with their own
row parsers.

Every LongBench-Write row gets a stable id (its own ``id`` field, else a hash of prompt and required length), so
resumed runs recognise finished items even when the file is reordered. A bad row raises
``ValueError`` naming the file and line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from rollout.jsonl import read_jsonl
from rollout.text import language_of

__all__ = ["EvalItem", "load_items", "load_rows"]


@dataclass(frozen=True)
class EvalItem:
    """One writing request: ``required`` is its length in words (English) / characters (Chinese),
    None for benchmarks whose requests state no length (Arena-Write, WritingBench)."""

    id: str
    prompt: str
    required: int | None
    type: str
    language: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable fields."""
        return asdict(self)


def load_items(path: str | Path, limit: int | None = None) -> list[EvalItem]:
    """Read a LongBench-Write-style jsonl file into :class:`EvalItem` s (first ``limit`` rows).

    Required fields: ``prompt`` (non-empty string) and ``length`` (positive integer); ``type``
    and ``language`` are optional (the language is detected from the prompt when absent).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"data file not found: {p}")
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    with p.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{p}:{line_no}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object")
            prompt = row.get("prompt")
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError(f"{where}: 'prompt' must be a non-empty string")
            length = row.get("length")
            if isinstance(length, str) and length.strip().isdigit():
                length = int(length)
            if isinstance(length, bool) or not isinstance(length, int) or length < 1:
                raise ValueError(f"{where}: 'length' must be a positive integer, got {length!r}")
            base = str(row.get("id") or hashlib.sha1(f"{prompt}\x00{length}".encode()).hexdigest()[:12])
            n = seen.get(base, 0) + 1
            seen[base] = n
            item_id = base if n == 1 else f"{base}-{n}"
            items.append(
                EvalItem(
                    id=item_id,
                    prompt=prompt,
                    required=length,
                    type=str(row.get("type") or "unknown"),
                    language=str(row.get("language") or language_of(prompt)),
                )
            )
            if limit is not None and len(items) >= limit:
                break
    if not items:
        raise ValueError(f"{p}: no items")
    return items


class _HasId(Protocol):
    id: str


_Item = TypeVar("_Item", bound=_HasId)


def load_rows(path: str | Path, limit: int | None, parse: Callable[[dict, str], _Item]) -> list[_Item]:
    """Read a benchmark jsonl file, one item per object row made by ``parse(row, where)``.

    ``where`` is ``FILE:LINE`` for the parser's errors (a bad row is a ``ValueError`` starting with
    it); only the first ``limit`` items are read. A missing file is ``FileNotFoundError``; a line
    that is not JSON or not an object, a repeated ``id`` and a file with no items are
    ``ValueError`` s naming the file (and line).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"data file not found: {p}")
    items: list[_Item] = []
    seen: set[str] = set()
    for line_no, row in read_jsonl(p, allow_torn_tail=False).records:
        where = f"{p}:{line_no}"
        if not isinstance(row, dict):
            raise ValueError(f"{where}: expected a JSON object")
        item = parse(row, where)
        if item.id in seen:
            raise ValueError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
        if limit is not None and len(items) >= limit:
            break
    if not items:
        raise ValueError(f"{p}: no items")
    return items
