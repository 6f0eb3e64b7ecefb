"""Preference pairs for DPO: read and validate the three accepted row shapes (``longwrite dpo``).

One JSON object per line; shapes may be mixed in one file:

* ``longwrite pairs`` output (``id``, ``prompt``, ``chosen``, ``rejected`` and its scores);
* flat rows ``{prompt, chosen, rejected}`` (strings);
* chat messages: ``chosen`` / ``rejected`` are lists of ``{role, content}`` messages ending with the
  assistant's answer, identical before it (those turns are the prompt); ``prompt`` may instead be
  given as a message list.

Unlike the reward model's reader (:mod:`rewards.rm.data`, which keeps only the ``<answer>``),
DPO trains the policy on the **whole** response it generates: a plan-then-write response keeps
its ``<think>`` plan. A string prompt becomes chat messages with the preset's prompt ``template``
(:func:`rollout.format.chat_messages`; ``plan_write`` is what ``longwrite pairs`` samples with and
what the tiny writer was SFT'd on); a message-list prompt is used as it is.

Every row is checked; all bad rows are collected and reported together as ``FILE:LINE: reason``
in one :class:`ValueError` (``longwrite`` exits 2 on it), nothing is dropped quietly.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DpoPair", "parse_dpo_row", "read_dpo_pairs"]


@dataclass
class DpoPair:
    """One preference: ``chosen`` is the better completion of the conversation ``messages``.

    ``messages`` are the turns before the answer (system/user...), ``chosen`` / ``rejected`` the
    assistant's full responses as written; ``source`` is ``FILE:LINE`` and ``shape`` one of
    ``pairs`` (``longwrite pairs`` output), ``flat`` or ``messages``.
    """

    id: str
    messages: list[dict[str, str]]
    chosen: str
    rejected: str
    source: str
    shape: str
    extra: dict[str, Any] = field(default_factory=dict)


def _is_messages(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in value
        )
    )


def _side(row: dict, key: str) -> tuple[str, list[dict] | None]:
    """(response, context turns or None) of one side; ValueError with the reason."""
    value = row.get(key)
    if isinstance(value, str):
        return value, None
    if _is_messages(value):
        if value[-1]["role"] != "assistant":
            raise ValueError(f"'{key}' messages must end with an assistant turn")
        return value[-1]["content"], [dict(m) for m in value[:-1]]
    if value is None:
        raise ValueError(f"missing '{key}'")
    raise ValueError(f"'{key}' must be a string or a non-empty list of {{role, content}} messages")


def parse_dpo_row(row: Any, template: str = "plan_write") -> tuple[list[dict], str, str, str]:
    """(prompt messages, chosen, rejected, shape) of one row, or ``ValueError`` with the reason.

    ``template`` renders a string prompt to chat messages (``plan_write``, ``direct`` or ``none``).
    """
    from rollout.format import chat_messages

    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    chosen, c_ctx = _side(row, "chosen")
    rejected, r_ctx = _side(row, "rejected")
    prompt = row.get("prompt")
    if isinstance(prompt, str):
        if not prompt.strip():
            raise ValueError("empty prompt")
        messages = chat_messages(prompt, template)
        shape = "pairs" if "chosen_score" in row or "margin" in row else "flat"
    elif _is_messages(prompt):
        messages, shape = [dict(m) for m in prompt], "messages"
    elif prompt is not None:
        raise ValueError("'prompt' must be a string or a list of {role, content} messages")
    elif c_ctx is not None and r_ctx is not None:
        if c_ctx != r_ctx:
            raise ValueError("'chosen' and 'rejected' conversations differ before the final answer")
        if not c_ctx:
            raise ValueError("the message lists hold only the answer: no prompt turn before it")
        messages, shape = c_ctx, "messages"
    else:
        raise ValueError("missing 'prompt' (a string, or the turns before the answer in message lists)")
    if messages and messages[-1]["role"] == "assistant":
        raise ValueError("the prompt ends with an assistant turn: nothing is left for the answer")
    if not chosen.strip():
        raise ValueError("empty chosen response")
    if not rejected.strip():
        raise ValueError("empty rejected response")
    if chosen == rejected:
        raise ValueError("chosen and rejected responses are identical")
    return messages, chosen, rejected, shape


def read_dpo_pairs(
    paths: str | os.PathLike | Sequence[str | os.PathLike], template: str = "plan_write"
) -> tuple[list[DpoPair], dict[str, int]]:
    """Validated pairs from jsonl files and counts (``rows``, ``by_shape``-style ``shape_*``,
    ``torn_tail``). Any bad row - in any file - raises one ``ValueError`` listing every
    ``FILE:LINE: reason`` (the first 50, then how many more)."""
    from collections import Counter

    from rollout.jsonl import read_jsonl

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    pairs: list[DpoPair] = []
    errors: list[str] = []
    counts: Counter = Counter(rows=0, torn_tail=0)
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"pairs file not found: {path}")
        read = read_jsonl(path, errors=errors)  # unparsable lines join the FILE:LINE list
        counts["torn_tail"] += int(read.torn_tail)
        for lineno, row in read.records:
            counts["rows"] += 1
            try:
                messages, chosen, rejected, shape = parse_dpo_row(row, template)
            except ValueError as exc:
                errors.append(f"{path}:{lineno}: {exc}")
                continue
            counts[f"shape_{shape}"] += 1
            rid = row.get("id")
            pairs.append(
                DpoPair(
                    id=str(rid) if rid is not None else f"{path.name}:{lineno}",
                    messages=messages,
                    chosen=chosen,
                    rejected=rejected,
                    source=f"{path}:{lineno}",
                    shape=shape,
                    extra={k: row[k] for k in ("chosen_score", "rejected_score", "margin") if k in row},
                )
            )
    if errors:
        shown = "\n  ".join(errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise ValueError(f"{len(errors)} bad preference row(s):\n  {shown}{more}")
    if not pairs:
        raise ValueError(f"no preference pairs in {', '.join(str(p) for p in paths)}")
    return pairs, dict(counts)
