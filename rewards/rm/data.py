"""Preference data for the writing reward model: read, validate, de-duplicate, split, report.

Accepted row shapes (one JSON object per line; shapes may be mixed in one file):

* ``longwrite pairs`` output and the common flat shape: ``prompt`` (string), ``chosen`` and
  ``rejected`` (strings; a plan-then-write response keeps only its ``<answer>``, as the quality
  reward scores it);
* chat message lists: ``chosen`` / ``rejected`` are lists of ``{role, content}`` messages ending
  with the assistant's answer; the turns before it must be identical on both sides and are the
  prompt (optionally ``prompt`` as a message list or a string instead). A single user turn (with
  or without a system turn) becomes the prompt text as it is; a longer context is rendered as
  ``role: content`` blocks and counted as ``multi_turn`` in the report.

Every row is validated; all bad rows are listed as ``FILE:LINE: reason`` and nothing is written
(``ValueError``). Exact duplicates (same prompt, chosen and rejected) are dropped and counted. The
train/validation split is by prompt: a prompt's pairs all land on one side, ranked by a hash of
``seed:prompt`` (independent of input order). Lengths are :func:`rollout.text.count_words` units
(English words / CJK characters).
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PreferencePair",
    "answer_text",
    "read_pairs",
    "split_by_prompt",
    "pair_stats",
    "prepare_rm_data",
    "read_prepared",
]


@dataclass
class PreferencePair:
    """One validated preference: ``chosen`` is the better answer to ``prompt`` (answers only, no plan)."""

    id: str
    prompt: str
    chosen: str
    rejected: str
    language: str
    source: str  # FILE:LINE it came from
    kind: str = ""  # optional tag (e.g. the degradation of a synthetic pair)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the line format of ``train.jsonl`` / ``val.jsonl``)."""
        return asdict(self)


def answer_text(response: str) -> str:
    """The part of a response the reward model scores: the ``<answer>`` of a plan-then-write
    response, else the whole text (stripped)."""
    if "<answer>" in response or "</think>" in response:
        from rollout.format import parse_response

        return parse_response(response).answer.strip()
    return response.strip()


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
        for m in value
    )


def _render_context(messages: list[dict]) -> tuple[str, bool]:
    """(prompt text, multi_turn) for the turns before the answer."""
    turns = [m for m in messages if m["role"] != "system"]
    if len(turns) == 1 and turns[0]["role"] == "user":
        system = [m["content"] for m in messages if m["role"] == "system"]
        return ("\n\n".join([*system, turns[0]["content"]])).strip(), False
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in messages).strip(), True


def _side(row: dict, key: str) -> tuple[str, list[dict] | None]:
    """(answer, context messages or None) of one side; raises ValueError with the reason."""
    value = row.get(key)
    if isinstance(value, str):
        return value, None
    if _is_messages(value):
        if not value or value[-1]["role"] != "assistant":
            raise ValueError(f"'{key}' messages must end with an assistant turn")
        return value[-1]["content"], value[:-1]
    if value is None:
        raise ValueError(f"missing '{key}'")
    raise ValueError(f"'{key}' must be a string or a list of {{role, content}} messages")


def _parse_row(row: Any) -> tuple[str, str, str, bool, str | None, str]:
    """(prompt, chosen answer, rejected answer, multi_turn, id, kind) of one row, or ValueError."""
    from rollout.text import count_words

    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    chosen, c_ctx = _side(row, "chosen")
    rejected, r_ctx = _side(row, "rejected")
    multi = False
    prompt_value = row.get("prompt")
    if isinstance(prompt_value, str):
        prompt = prompt_value
    elif _is_messages(prompt_value):
        prompt, multi = _render_context(prompt_value)
    elif prompt_value is not None:
        raise ValueError("'prompt' must be a string or a list of {role, content} messages")
    elif c_ctx is not None and r_ctx is not None:
        if c_ctx != r_ctx:
            raise ValueError("'chosen' and 'rejected' conversations differ before the final answer")
        prompt, multi = _render_context(c_ctx)
    else:
        raise ValueError("missing 'prompt' (a string, or the turns before the answer in message lists)")
    prompt = prompt.strip()
    if not prompt:
        raise ValueError("empty prompt")
    chosen, rejected = answer_text(chosen), answer_text(rejected)
    if not chosen:
        raise ValueError("empty chosen answer")
    if not rejected:
        raise ValueError("empty rejected answer")
    if chosen == rejected:
        raise ValueError("chosen and rejected answers are identical")
    if count_words(chosen) == 0 and count_words(rejected) == 0:
        raise ValueError("neither answer has a word (English word or CJK character)")
    rid = row.get("id")
    kind = row.get("kind") if isinstance(row.get("kind"), str) else ""
    return prompt, chosen, rejected, multi, (str(rid) if rid is not None else None), kind


def read_pairs(paths: Sequence[str | os.PathLike]) -> tuple[list[PreferencePair], dict[str, int]]:
    """Validated, de-duplicated pairs from jsonl files, and counts (``rows``, ``duplicates``,
    ``multi_turn``, ``torn_tail``). Any bad row: ``ValueError`` listing every ``FILE:LINE: reason``."""
    from rollout.jsonl import read_jsonl
    from rollout.text import language_of

    pairs: list[PreferencePair] = []
    errors: list[str] = []
    seen: set[str] = set()
    counts = Counter(rows=0, duplicates=0, multi_turn=0, torn_tail=0)
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"preference file not found: {path}")
        try:
            read = read_jsonl(path)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        counts["torn_tail"] += int(read.torn_tail)
        for lineno, row in read.records:
            counts["rows"] += 1
            try:
                prompt, chosen, rejected, multi, rid, kind = _parse_row(row)
            except ValueError as exc:
                errors.append(f"{path}:{lineno}: {exc}")
                continue
            key = hashlib.sha256(json.dumps([prompt, chosen, rejected]).encode()).hexdigest()
            if key in seen:
                counts["duplicates"] += 1
                continue
            seen.add(key)
            counts["multi_turn"] += int(multi)
            pairs.append(
                PreferencePair(
                    id=rid or key[:16],
                    prompt=prompt,
                    chosen=chosen,
                    rejected=rejected,
                    language=language_of(prompt),
                    source=f"{path}:{lineno}",
                    kind=kind,
                )
            )
    if errors:
        shown = "\n  ".join(errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise ValueError(f"{len(errors)} bad preference row(s):\n  {shown}{more}")
    return pairs, dict(counts)


def split_by_prompt(
    pairs: Sequence[PreferencePair], val_fraction: float = 0.1, seed: int = 0
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """(train, validation): prompts ranked by a hash of ``seed:prompt``; the first
    ``round(val_fraction x prompts)`` prompts (at least one when there are two or more prompts
    and the fraction is positive) go to validation with all their pairs."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    prompts = sorted(
        {p.prompt for p in pairs}, key=lambda s: hashlib.sha256(f"{seed}:{s}".encode()).hexdigest()
    )
    n_val = round(val_fraction * len(prompts))
    if val_fraction > 0 and n_val == 0 and len(prompts) >= 2:
        n_val = 1
    val_prompts = set(prompts[:n_val])
    train = [p for p in pairs if p.prompt not in val_prompts]
    val = [p for p in pairs if p.prompt in val_prompts]
    return train, val


def pair_stats(pairs: Iterable[PreferencePair]) -> dict[str, Any]:
    """Counts, languages and chosen-minus-rejected length (count_words units) of ``pairs``."""
    from rollout.text import count_words

    pairs = list(pairs)
    diffs = [count_words(p.chosen) - count_words(p.rejected) for p in pairs]
    return {
        "pairs": len(pairs),
        "prompts": len({p.prompt for p in pairs}),
        "languages": dict(Counter(p.language for p in pairs)),
        "kinds": dict(Counter(p.kind for p in pairs if p.kind)),
        "chosen_longer": sum(d > 0 for d in diffs),
        "chosen_shorter": sum(d < 0 for d in diffs),
        "same_length": sum(d == 0 for d in diffs),
        "length_diff_mean": statistics.fmean(diffs) if diffs else None,
        "length_diff_median": statistics.median(diffs) if diffs else None,
    }


def _write(pairs: Sequence[PreferencePair], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for p in pairs:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")


def prepare_rm_data(
    inputs: Sequence[str | os.PathLike], out: str | os.PathLike, val_fraction: float = 0.1, seed: int = 0
) -> dict[str, Any]:
    """Read ``inputs``, split by prompt and write ``OUT/train.jsonl``, ``OUT/val.jsonl`` and
    ``OUT/stats.json``; returns the stats (also the closing report of ``longwrite rm data``)."""
    pairs, counts = read_pairs(inputs)
    if not pairs:
        raise ValueError("no preference pairs in " + ", ".join(map(str, inputs)))
    train, val = split_by_prompt(pairs, val_fraction, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write(train, out / "train.jsonl")
    _write(val, out / "val.jsonl")
    stats = {
        "inputs": [str(p) for p in inputs],
        "read": counts,
        "val_fraction": val_fraction,
        "seed": seed,
        "train": pair_stats(train),
        "val": pair_stats(val),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return stats


def read_prepared(path: str | os.PathLike) -> list[PreferencePair]:
    """Pairs from a ``train.jsonl`` / ``val.jsonl`` written by :func:`prepare_rm_data` (validated again)."""
    pairs, _ = read_pairs([path])
    return pairs
