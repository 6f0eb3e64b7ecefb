"""Prompt lengths against the policy's budget: counted at data preparation, never dropped silently.

verl's ``RLHFDataset`` drops every prompt longer than ``data.max_prompt_length`` tokens when
``data.filter_overlong_prompts`` is on (every preset turns it on), printing one line with the new
dataset length; with it off, verl's agent loop cuts the prompt from the left. Either way a request
would be lost or cut without a record. ``longwrite prepare-rl`` therefore counts each prompt's
tokens the way verl does - the chat messages (system = the template's instructions, user = the
request) through the policy tokenizer's ``apply_chat_template(..., add_generation_prompt=True)``,
with the base frame's template for ``style="base"`` - against the preset's limit, and either
refuses (default: :class:`OverlongPromptsError` listing each over-long prompt's file:line, id and
token count) or, with ``overlong="drop"``, drops them and records them in the manifest.

verl's filter stays on in the presets as a backstop: after this check it has nothing to drop (its
``filter dataset len`` line equals the manifest's row counts). The check holds for the tokenizer
and limit it was made with (recorded in the manifest's ``prompt_tokens``): prepare the data again
after changing the model or ``data.max_prompt_length``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "OVERLONG_MODES",
    "PromptBudget",
    "OverlongPromptsError",
    "budget_from_preset",
    "count_prompt_tokens",
    "check_prompt_budget",
]

log = logging.getLogger(__name__)

#: What prepare-rl does with a prompt over the budget: refuse the data (default) or drop and record.
OVERLONG_MODES = ("refuse", "drop")


@dataclass(frozen=True)
class PromptBudget:
    """The policy's prompt budget: its tokenizer (a path or hub id) and verl's
    ``data.max_prompt_length`` in tokens; ``source`` says where they came from (for the manifest)."""

    tokenizer: str
    max_prompt_length: int
    source: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.max_prompt_length, bool) or int(self.max_prompt_length) < 1:
            raise ValueError(
                f"max_prompt_length must be a positive number of tokens, got {self.max_prompt_length!r}"
            )

    def check(
        self, records: Sequence[dict], rows: Sequence[Any], style: str, overlong: str = "refuse"
    ) -> tuple[list[dict], dict[str, Any]]:
        """:func:`check_prompt_budget` with this budget. :func:`rl.prepare.prepare_rl_data` calls
        this method, so ``rl.prepare`` never imports this module (which imports ``rl.presets``,
        which imports ``rl.prepare``)."""
        return check_prompt_budget(records, rows, self, style, overlong)


class OverlongPromptsError(ValueError):
    """Prompts longer than the budget, refused; ``overlong`` lists ``{"id", "path", "line", "tokens"}``."""

    def __init__(self, overlong: list[dict[str, Any]], budget: PromptBudget):
        self.overlong = overlong
        self.budget = budget
        lines = [f"  {o['path']}:{o['line']}: id {o['id']!r}: {o['tokens']} tokens" for o in overlong]
        super().__init__(
            f"{len(overlong)} prompt(s) exceed max_prompt_length={budget.max_prompt_length} tokens "
            f"(tokenizer {budget.tokenizer}, {budget.source or 'given'}); verl would drop them. Shorten "
            "them, raise data.max_prompt_length, or drop them with --overlong drop (recorded in the "
            "manifest):\n" + "\n".join(lines)
        )


def budget_from_preset(
    preset: str | os.PathLike,
    tokenizer: str | os.PathLike | None = None,
    max_prompt_length: int | None = None,
) -> PromptBudget:
    """The budget a preset trains with: its ``actor_rollout_ref.model.path`` (``tiny`` is the
    cached tiny model) and its ``data.max_prompt_length``; ``tokenizer`` / ``max_prompt_length``
    replace them (e.g. a local copy of the model's tokenizer)."""
    from rl.presets import load_preset

    spec = load_preset(preset)
    verl = spec.get("verl") or {}
    limit = max_prompt_length or (verl.get("data") or {}).get("max_prompt_length")
    if not limit:
        raise ValueError(f"preset {preset!r} sets no data.max_prompt_length; give --max-prompt-length")
    path = tokenizer or ((verl.get("actor_rollout_ref") or {}).get("model") or {}).get("path")
    if not path:
        raise ValueError(f"preset {preset!r} names no model (actor_rollout_ref.model.path); give --tokenizer")
    if str(path) == "tiny":
        from rollout.tiny import tiny_model_path

        path = tiny_model_path(seed=0)
    name = Path(spec["_path"]).stem
    source = (
        f"preset {name}"
        + (" with --tokenizer" if tokenizer else "")
        + (" with --max-prompt-length" if max_prompt_length else "")
    )
    return PromptBudget(str(path), int(limit), source)


def _load_tokenizer(path: str):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except Exception as exc:
        raise ValueError(
            f"cannot load the policy tokenizer {path!r} to count prompt tokens ({type(exc).__name__}: "
            f"{exc}); give a local copy with --tokenizer PATH"
        ) from exc


def count_prompt_tokens(
    messages: Sequence[list[dict]], tokenizer: str | Any, chat_template: str | None = None
) -> list[int]:
    """Tokens of each chat prompt as verl counts them: ``apply_chat_template(messages,
    add_generation_prompt=True, tokenize=True)`` with ``chat_template`` when given (the base
    frame), else the tokenizer's own template. ``tokenizer`` is a path / hub id or a tokenizer."""
    tok = _load_tokenizer(tokenizer) if isinstance(tokenizer, (str, os.PathLike)) else tokenizer
    kwargs = {"chat_template": chat_template} if chat_template else {}
    out = []
    for msgs in messages:
        ids = tok.apply_chat_template(list(msgs), add_generation_prompt=True, tokenize=True, **kwargs)
        if hasattr(ids, "keys"):  # a BatchEncoding
            ids = ids["input_ids"]
        out.append(len(ids))
    return out


def check_prompt_budget(
    records: Sequence[dict],
    rows: Sequence[Any],
    budget: PromptBudget,
    style: str,
    overlong: str = "refuse",
) -> tuple[list[dict], dict[str, Any]]:
    """(kept records, the manifest's ``prompt_tokens`` entry) for verl rows built from ``rows``.

    Counts every record's prompt tokens (:func:`count_prompt_tokens`; ``style="base"`` uses the
    base frame's template, as the manifest's verl overrides make verl do). ``overlong="refuse"``
    raises :class:`OverlongPromptsError` listing every prompt over ``budget.max_prompt_length``;
    ``"drop"`` leaves them out, logs each, and lists them (id, file:line, split, tokens) in the
    returned entry, with the counts checked, kept and dropped and the longest prompt kept.
    """
    from rollout.format import BASE_CHAT_TEMPLATE

    if overlong not in OVERLONG_MODES:
        raise ValueError(f"overlong must be one of {', '.join(OVERLONG_MODES)}, got {overlong!r}")
    template = BASE_CHAT_TEMPLATE if style == "base" else None
    tokens = count_prompt_tokens([r["prompt"] for r in records], budget.tokenizer, template)
    limit = budget.max_prompt_length
    over = [
        {
            "id": row.id,
            "path": row.path,
            "line": row.line,
            "split": rec["extra_info"]["split"],
            "tokens": n,
        }
        for rec, row, n in zip(records, rows, tokens, strict=True)
        if n > limit
    ]
    if over and overlong == "refuse":
        raise OverlongPromptsError(over, budget)
    for o in over:
        log.warning(
            "%s:%d: prompt %r has %d tokens > max_prompt_length %d: dropped (recorded in the manifest)",
            o["path"], o["line"], o["id"], o["tokens"], limit,
        )  # fmt: skip
    kept = [rec for rec, n in zip(records, tokens, strict=True) if n <= limit]
    entry = {
        "tokenizer": budget.tokenizer,
        "source": budget.source,
        "chat_template": "base frame (rollout.format.BASE_CHAT_TEMPLATE)"
        if template
        else "the tokenizer's own",
        "max_prompt_length": limit,
        "overlong": overlong,
        "checked": len(records),
        "kept": len(kept),
        "longest_kept": max((n for n in tokens if n <= limit), default=0),
        "dropped": over,
    }
    return kept, entry
