"""LongWriter-6k (or AgentWrite output) to verl's SFT parquet: validate, mix, length-filter, write.

The released LongWriter-6k is a jsonl of chat records ``{"messages": [{"role": "user", ...},
{"role": "assistant", ...}]}``. :func:`prepare_sft` reads such a file from a path the user gives,
checks every row (a bad row is reported as ``FILE:LINE: reason``), optionally mixes in a general
SFT jsonl of the same shape at a ratio (LongWriter trained on its long data mixed with general chat
data), drops samples longer than ``max_length`` tokens as counted with the model's own tokenizer
and chat template, and writes ``train.parquet`` (and ``val.parquet`` when asked) with the
``messages`` column verl's multi-turn SFT dataset reads, plus ``stats.json``.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.text import count_words, language_of

__all__ = ["ChatRow", "RowError", "read_chat_jsonl", "validate_row", "prepare_sft", "format_stats"]

ROLES = ("system", "user", "assistant")


@dataclass
class ChatRow:
    """One validated chat sample, with where it came from (file, 1-based line, source tag)."""

    messages: list[dict[str, str]]
    file: str
    line: int
    source: str = "long"
    tokens: int = 0


@dataclass
class RowError:
    """A rejected row: file, 1-based line and the reason."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def validate_row(row: Any) -> str | None:
    """Why ``row`` is not a usable chat SFT sample, or None when it is.

    A usable row is an object with ``messages``: a list of ``{"role", "content"}`` objects, roles
    among system/user/assistant, string contents, at least one user turn, the last turn the
    assistant's, and a non-empty final answer (the SFT target).
    """
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    msgs = row.get("messages")
    if not isinstance(msgs, list) or not msgs:
        return "missing or empty 'messages' list"
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            return f"messages[{i}] is not an object"
        if m.get("role") not in ROLES:
            return f"messages[{i}] has role {m.get('role')!r} (expected one of {', '.join(ROLES)})"
        if not isinstance(m.get("content"), str):
            return f"messages[{i}] content is not a string"
    if not any(m["role"] == "user" for m in msgs):
        return "no user turn"
    if msgs[-1]["role"] != "assistant":
        return f"last turn is {msgs[-1]['role']!r}, expected 'assistant'"
    if not msgs[-1]["content"].strip():
        return "empty assistant answer"
    return None


def read_chat_jsonl(path: str | Path, source: str = "long") -> tuple[list[ChatRow], list[RowError]]:
    """Read and validate every row of a chat jsonl; return (good rows, errors naming file:line)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"SFT data file not found: {path}")
    rows: list[ChatRow] = []
    errors: list[RowError] = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(RowError(str(path), lineno, f"not valid JSON ({exc.msg})"))
                continue
            reason = validate_row(row)
            if reason:
                errors.append(RowError(str(path), lineno, reason))
                continue
            msgs = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
            rows.append(ChatRow(messages=msgs, file=str(path), line=lineno, source=source))
    return rows, errors


def _count_tokens(tokenizer, rows: Sequence[ChatRow], progress: bool) -> None:
    from tqdm.auto import tqdm

    for r in tqdm(rows, desc="tokenizing", unit="row", disable=not progress):
        enc = tokenizer.apply_chat_template(r.messages, tokenize=True)
        ids = enc["input_ids"] if hasattr(enc, "keys") else enc
        r.tokens = len(ids)


def _describe(values: Sequence[int]) -> dict[str, float]:
    if not values:
        return {}
    v = sorted(values)

    def q(p: float) -> int:
        return v[min(len(v) - 1, int(p * len(v)))]

    return {"min": v[0], "p50": q(0.5), "p95": q(0.95), "max": v[-1], "mean": sum(v) / len(v)}


@dataclass
class PrepareResult:
    """Paths written and the stats of one :func:`prepare_sft` run."""

    paths: dict[str, Path]
    stats: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


def prepare_sft(
    data: str | Path,
    out_dir: str | Path,
    tokenizer: str | Path,
    *,
    max_length: int = 32768,
    general: str | Path | None = None,
    general_ratio: float = 0.0,
    val_size: int = 0,
    seed: int = 0,
    skip_bad: bool = False,
    progress: bool = True,
) -> PrepareResult:
    """Turn a LongWriter-6k-style chat jsonl into verl SFT parquet(s) in ``out_dir``.

    ``tokenizer``: a model/tokenizer directory; lengths are tokens of the full chat rendered with
    its chat template, and samples over ``max_length`` tokens are dropped (verl's dataset would
    otherwise fail or truncate them). ``general`` + ``general_ratio``: add
    ``round(general_ratio * n_long)`` samples drawn (seeded, without replacement) from a general
    chat jsonl. ``val_size``: rows held out into ``val.parquet``. Bad rows raise ValueError listing
    them as FILE:LINE unless ``skip_bad``, which drops them and lists them in ``stats.json``.
    """
    rows, errors = read_chat_jsonl(data, "long")
    if general is not None:
        grows, gerrors = read_chat_jsonl(general, "general")
        errors += gerrors
    if errors and not skip_bad:
        shown = "\n  ".join(str(e) for e in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise ValueError(f"{len(errors)} bad row(s) (use --skip-bad to drop them):\n  {shown}{more}")
    if not rows:
        raise ValueError(f"{data}: no usable rows")
    rng = random.Random(seed)
    if general is not None and general_ratio > 0:
        want = round(general_ratio * len(rows))
        if want > len(grows):
            raise ValueError(
                f"--general-ratio {general_ratio} needs {want} general rows, {general} has {len(grows)}"
            )
        rows = rows + rng.sample(grows, want)

    import pandas as pd
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer))
    if not getattr(tok, "chat_template", None):
        raise ValueError(f"tokenizer at {tokenizer} has no chat template (needed to count SFT lengths)")
    _count_tokens(tok, rows, progress)
    too_long = [r for r in rows if r.tokens > max_length]
    rows = [r for r in rows if r.tokens <= max_length]
    if not rows:
        raise ValueError(f"every sample is longer than max_length={max_length} tokens")
    rng.shuffle(rows)
    val, train = rows[:val_size], rows[val_size:]
    if not train:
        raise ValueError(f"val_size={val_size} leaves no training rows")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"train": out / "train.parquet"}
    pd.DataFrame({"messages": [r.messages for r in train]}).to_parquet(paths["train"], index=False)
    if val:
        paths["val"] = out / "val.parquet"
        pd.DataFrame({"messages": [r.messages for r in val]}).to_parquet(paths["val"], index=False)

    def user_text(r: ChatRow) -> str:
        return next(m["content"] for m in r.messages if m["role"] == "user")

    stats = {
        "rows": {"train": len(train), "val": len(val)},
        "sources": dict(Counter(r.source for r in rows)),
        "languages": dict(Counter(language_of(user_text(r)) for r in rows)),
        "tokens": _describe([r.tokens for r in rows]),
        "answer_words": _describe([count_words(r.messages[-1]["content"]) for r in rows]),
        "dropped": {"bad_rows": len(errors), "over_max_length": len(too_long)},
        "max_length": max_length,
        "bad_rows": [str(e) for e in errors[:100]],
        "over_max_length": [f"{r.file}:{r.line}: {r.tokens} tokens" for r in too_long[:100]],
    }
    paths["stats"] = out / "stats.json"
    paths["stats"].write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    return PrepareResult(paths=paths, stats=stats, errors=errors)


def format_stats(stats: dict) -> str:
    """A readable summary of :func:`prepare_sft`'s stats (rows, drops, languages, lengths)."""
    t, w = stats["tokens"], stats["answer_words"]
    return "\n".join(
        [
            f"rows: train {stats['rows']['train']}, val {stats['rows']['val']}  sources {stats['sources']}",
            f"dropped: {stats['dropped']['bad_rows']} bad, {stats['dropped']['over_max_length']} over "
            f"{stats['max_length']} tokens",
            f"languages: {stats['languages']}",
            f"tokens: min {t['min']} p50 {t['p50']} p95 {t['p95']} max {t['max']} mean {t['mean']:.0f}",
            f"answer length (words / CJK chars): p50 {w['p50']} p95 {w['p95']} max {w['max']}",
        ]
    )
