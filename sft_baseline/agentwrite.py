"""AgentWrite: build long-output SFT data by planning a piece, then writing it paragraph by paragraph.

LongWriter's data recipe, on any OpenAI-compatible writer (a hosted API, or a local model behind
``longwrite serve``):

1. **plan** - one call returns numbered paragraphs, each with a main point and a word budget;
2. **write** - one call per paragraph, in order, given the instruction, the whole plan, the text
   so far and the current step; only the new paragraph comes back.

Items run concurrently (``concurrency`` at a time); the steps of one item run in order. Every
finished call is appended to a journal (``calls.jsonl`` in the output folder, one fsync'ed line
per ``(item, step)``), so a run that is killed resumes where it stopped and never sends a finished
call again. Filters drop an item with a recorded reason: an unparseable plan, more than
``max_steps`` steps, an empty section, a result far shorter than the plan's total, or a call that
failed after the client's retries (that one is retried on the next run).

Outputs in the folder: ``agentwrite.jsonl`` (kept items: instruction, plan, sections, final text,
word counts), ``dropped.jsonl`` (items with their reason), ``sft.parquet`` (verl's multi-turn SFT
format: a ``messages`` column of user/assistant turns) and ``summary.json``.
Lengths are :func:`rollout.text.count_words` units: English words or Chinese characters.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rollout.jsonl import cut_torn_tail, read_jsonl
from rollout.text import count_words, language_of
from sft_baseline.prompts import (
    PlanStep,
    clean_section,
    format_plan,
    parse_plan,
    plan_messages,
    plan_regex,
    write_messages,
)

__all__ = [
    "AgentWriteConfig",
    "Instruction",
    "ItemResult",
    "CallJournal",
    "request_sha",
    "DROP_REASONS",
    "load_instructions",
    "write_item",
    "run_agentwrite",
    "summarize",
    "format_summary",
    "LENGTH_BINS",
]

log = logging.getLogger(__name__)

DROP_REASONS: dict[str, str] = {
    "unparseable_plan": "the plan has no usable numbered paragraphs with word counts",
    "too_many_steps": "the plan has more steps than allowed",
    "empty_section": "a written section is empty after cleaning",
    "too_short": "the final text is far shorter than the plan's total",
    "call_failed": "a writer call failed after retries (retried on the next run)",
}

# Upper edges of the length histogram (words / CJK characters); the last bin is open.
LENGTH_BINS: tuple[int, ...] = (1000, 2000, 4000, 8000, 16000)


@dataclass
class AgentWriteConfig:
    """Knobs of one AgentWrite run.

    ``max_steps``: plans with more paragraphs are dropped (LongWriter: 50).
    ``min_length_ratio``: an item whose final text has fewer than this fraction of the plan's
    total words (CJK characters for Chinese) is dropped as far too short.
    ``plan_max_tokens`` / ``section_max_tokens``: completion budgets (tokens) of one call.
    ``constrain_plan``: force the plan's form with guided decoding (vLLM-served writers only).
    """

    max_steps: int = 50
    min_length_ratio: float = 0.5
    plan_max_tokens: int = 1024
    section_max_tokens: int = 2048
    temperature: float = 0.7
    top_p: float = 0.95
    constrain_plan: bool = False

    def params(self, step: int, language: str = "en") -> dict[str, Any]:
        """Sampling parameters of the call for ``step`` (0 = plan).

        With ``constrain_plan`` the plan call carries vLLM's ``structured_outputs`` regex
        (:func:`sft_baseline.prompts.plan_regex`), for endpoints that support guided decoding.
        """
        max_tokens = self.plan_max_tokens if step == 0 else self.section_max_tokens
        params: dict[str, Any] = {
            "max_tokens": max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
        }
        if step == 0 and self.constrain_plan:
            params["structured_outputs"] = {"regex": plan_regex(language, self.max_steps)}
        return params


@dataclass
class Instruction:
    """One writing request; ``id`` is the user's or derived from the text."""

    id: str
    instruction: str

    @property
    def key(self) -> str:
        """Journal key: changes when the id or the instruction text changes (no stale reuse)."""
        return hashlib.sha1(f"{self.id}\0{self.instruction}".encode()).hexdigest()[:16]


@dataclass
class ItemResult:
    """What AgentWrite made of one instruction; ``reason`` is None when it was kept."""

    id: str
    instruction: str
    language: str
    plan: str = ""
    plan_steps: list[dict] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    final: str = ""
    words: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    detail: str = ""
    calls: int = 0
    cached_calls: int = 0

    @property
    def kept(self) -> bool:
        """True when the item passed every filter."""
        return self.reason is None


class Writer(Protocol):
    """What AgentWrite needs from a client: rollout.endpoint.EndpointClient satisfies it."""

    async def chat(self, messages: list[dict], **params: Any) -> Any: ...


def load_instructions(path: str | Path) -> list[Instruction]:
    """Read writing requests from ``path``: jsonl rows or a plain text file, one per line.

    jsonl rows need ``instruction`` (or ``prompt`` / ``query``) as a non-empty string and may
    carry an ``id``; a ``.txt`` file gives one request per non-blank line. A bad row raises
    ValueError naming the file and line. Duplicate ids are an error (their journal keys would mix).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"instructions file not found: {path}")
    items: list[Instruction] = []
    if path.suffix == ".txt":
        lines = path.read_text(encoding="utf-8").splitlines()
        rows: list[tuple[int, Any]] = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
    else:
        rows = read_jsonl(path, allow_torn_tail=False).records
    for lineno, row in rows:
        if isinstance(row, str) and path.suffix == ".txt":
            text, rid = row, None
        else:
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
            text = next((row[k] for k in ("instruction", "prompt", "query") if k in row), None)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"{path}:{lineno}: needs a non-empty string 'instruction' (or 'prompt')")
            rid = row.get("id")
        rid = str(rid) if rid is not None else hashlib.sha1(text.encode()).hexdigest()[:12]
        items.append(Instruction(id=rid, instruction=text))
    ids = Counter(it.id for it in items)
    dup = [i for i, n in ids.items() if n > 1]
    if dup:
        raise ValueError(f"{path}: duplicate ids {dup[:5]} (give each row a unique 'id')")
    if not items:
        raise ValueError(f"{path}: no instructions found")
    return items


def request_sha(messages: list[dict]) -> str:
    """Hash of a request's messages, stored with each journal entry (a changed prompt is not reused)."""
    return hashlib.sha1(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class CallJournal:
    """Append-only record of finished writer calls, one JSON line per ``(item key, step)``.

    Each line is flushed and fsync'ed before the call counts as done, so a SIGKILL loses at most
    the calls in flight. On open, a torn last line (killed mid-write) is skipped and cut off, so
    the next entry starts on a line of its own; any other bad line raises naming file and line.
    ``put`` is thread-safe, so callers may fsync off the event loop.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.entries: dict[tuple[str, int], dict] = {}
        if self.path.exists():
            for lineno, rec in read_jsonl(self.path).records:
                try:
                    self.entries[(rec["key"], int(rec["step"]))] = rec
                except (KeyError, TypeError, ValueError):
                    raise ValueError(
                        f"{self.path}:{lineno}: not a journal entry (needs 'key' and 'step')"
                    ) from None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = self.path.open("a+", encoding="utf-8")  # "+": cut_torn_tail reads the last byte
        cut_torn_tail(self._f.fileno(), self.path)
        self._lock = threading.Lock()

    def get(self, key: str, step: int) -> dict | None:
        """The finished call for ``(key, step)``, or None."""
        return self.entries.get((key, step))

    def put(self, key: str, step: int, record: dict) -> None:
        """Record a finished call durably."""
        rec = {"key": key, "step": step, **record}
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self._lock:
            self._f.write(line)
            self._f.flush()
            os.fsync(self._f.fileno())
            self.entries[(key, step)] = rec

    def close(self) -> None:
        """Close the file."""
        self._f.close()


async def _call(
    writer: Writer,
    journal: CallJournal,
    item: Instruction,
    step: int,
    messages: list[dict],
    config: AgentWriteConfig,
    result: ItemResult,
) -> str | None:
    """Text of the call for ``(item, step)``: from the journal, else from the writer; None on failure."""
    sha = request_sha(messages)
    done = journal.get(item.key, step)
    if done is not None and done.get("request_sha") == sha:
        result.cached_calls += 1
        return done["text"]
    out = await writer.chat(messages, **config.params(step, result.language))
    result.calls += 1
    if getattr(out, "error", None) is not None or out.text is None:
        result.reason = "call_failed"
        result.detail = f"step {step}: {getattr(out, 'error', None) or 'no text'}"
        return None
    # The fsync (milliseconds) runs in a thread so other items' calls keep flowing meanwhile.
    await asyncio.to_thread(
        journal.put,
        item.key,
        step,
        {
            "id": item.id,
            "request_sha": sha,
            "text": out.text,
            "finish_reason": getattr(out, "finish_reason", None),
            "usage": getattr(out, "usage", None) or {},
        },
    )
    return out.text


async def write_item(
    item: Instruction, writer: Writer, journal: CallJournal, config: AgentWriteConfig | None = None
) -> ItemResult:
    """Plan and write one item, step by step; never raises on bad model output (drops it instead)."""
    config = config or AgentWriteConfig()
    language = language_of(item.instruction)
    result = ItemResult(id=item.id, instruction=item.instruction, language=language)

    plan_text = await _call(
        writer, journal, item, 0, plan_messages(item.instruction, language), config, result
    )
    if plan_text is None:
        return result
    result.plan = plan_text
    steps, problem = parse_plan(plan_text)
    if problem:
        result.reason, result.detail = "unparseable_plan", problem
        return result
    if len(steps) > config.max_steps:
        result.reason, result.detail = "too_many_steps", f"{len(steps)} steps > {config.max_steps}"
        return result
    result.plan = format_plan(steps, language)
    result.plan_steps = [asdict(s) for s in steps]

    for k in range(1, len(steps) + 1):
        messages = write_messages(item.instruction, steps, result.sections, language)
        text = await _call(writer, journal, item, k, messages, config, result)
        if text is None:
            return result
        section = clean_section(text)
        if count_words(section) == 0:
            result.reason, result.detail = "empty_section", f"paragraph {k} of {len(steps)} is empty"
            return result
        result.sections.append(section)

    result.final = "\n\n".join(result.sections)
    _fill_words(result, steps)
    if result.words["final"] < config.min_length_ratio * result.words["plan_total"]:
        result.reason = "too_short"
        result.detail = (
            f"{result.words['final']} < {config.min_length_ratio:g} x planned {result.words['plan_total']}"
        )
    return result


def _fill_words(result: ItemResult, steps: Sequence[PlanStep]) -> None:
    result.words = {
        "plan_total": sum(s.words for s in steps),
        "final": count_words(result.final),
        "sections": [count_words(s) for s in result.sections],
        "planned": [s.words for s in steps],
    }


async def _run_all(
    items: Sequence[Instruction],
    writer: Writer,
    journal: CallJournal,
    config: AgentWriteConfig,
    concurrency: int,
    progress: bool,
) -> list[ItemResult]:
    from tqdm.auto import tqdm

    gate = asyncio.Semaphore(max(1, concurrency))
    bar = tqdm(total=len(items), desc="agentwrite", unit="item", disable=not progress)
    kept = Counter()

    async def one(item: Instruction) -> ItemResult:
        async with gate:
            res = await write_item(item, writer, journal, config)
        kept["kept" if res.kept else "dropped"] += 1
        bar.set_postfix(kept=kept["kept"], dropped=kept["dropped"], refresh=False)
        bar.update(1)
        return res

    try:
        return list(await asyncio.gather(*(one(it) for it in items)))
    finally:
        bar.close()
        if hasattr(writer, "aclose"):  # the client's connections belong to this event loop
            await writer.aclose()


def run_agentwrite(
    items: Sequence[Instruction],
    writer: Writer,
    out_dir: str | Path,
    *,
    concurrency: int = 8,
    config: AgentWriteConfig | None = None,
    progress: bool = True,
) -> dict:
    """Run AgentWrite over ``items`` with ``writer`` and write every output into ``out_dir``.

    Resumable: finished calls recorded in ``out_dir/calls.jsonl`` are reused, never resent.
    Returns the summary dict (also written to ``summary.json``).
    """
    config = config or AgentWriteConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    journal = CallJournal(out / "calls.jsonl")
    try:
        results = asyncio.run(_run_all(items, writer, journal, config, concurrency, progress))
    finally:
        journal.close()
    write_outputs(results, out)
    summary = summarize(results)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def write_outputs(results: Sequence[ItemResult], out_dir: str | Path) -> dict[str, Path]:
    """Write ``agentwrite.jsonl`` (kept), ``dropped.jsonl`` and ``sft.parquet`` into ``out_dir``."""
    import pandas as pd

    out = Path(out_dir)
    paths = {"kept": out / "agentwrite.jsonl", "dropped": out / "dropped.jsonl", "sft": out / "sft.parquet"}
    kept = [r for r in results if r.kept]
    with paths["kept"].open("w", encoding="utf-8") as f:
        for r in kept:
            row = {
                k: v for k, v in asdict(r).items() if k not in ("reason", "detail", "calls", "cached_calls")
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with paths["dropped"].open("w", encoding="utf-8") as f:
        for r in results:
            if not r.kept:
                row = {"id": r.id, "instruction": r.instruction, "reason": r.reason, "detail": r.detail}
                row["plan"] = r.plan
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    rows = [
        {"messages": [{"role": "user", "content": r.instruction}, {"role": "assistant", "content": r.final}]}
        for r in kept
    ]
    pd.DataFrame(rows, columns=["messages"]).to_parquet(paths["sft"], index=False)
    return paths


def _bin_label(i: int) -> str:
    lo = 0 if i == 0 else LENGTH_BINS[i - 1]
    return f"{lo}-{LENGTH_BINS[i]}" if i < len(LENGTH_BINS) else f"{lo}+"


def summarize(results: Sequence[ItemResult]) -> dict:
    """Counts of kept and dropped items (by reason), calls made/reused, and a length histogram."""
    hist = Counter()
    for r in results:
        if r.kept:
            n = r.words["final"]
            i = next((j for j, edge in enumerate(LENGTH_BINS) if n < edge), len(LENGTH_BINS))
            hist[i] += 1
    kept = [r for r in results if r.kept]
    return {
        "items": len(results),
        "kept": len(kept),
        "dropped": dict(Counter(r.reason for r in results if not r.kept)),
        "calls_made": sum(r.calls for r in results),
        "calls_reused": sum(r.cached_calls for r in results),
        "length_histogram": {_bin_label(i): hist[i] for i in range(len(LENGTH_BINS) + 1)},
        "mean_final_words": (sum(r.words["final"] for r in kept) / len(kept)) if kept else 0.0,
    }


def format_summary(summary: dict) -> str:
    """A human-readable closing summary of :func:`summarize`'s dict."""
    lines = [
        f"items {summary['items']}: kept {summary['kept']}, dropped {summary['items'] - summary['kept']}",
        f"calls made {summary['calls_made']}, reused from journal {summary['calls_reused']}",
    ]
    for reason, n in sorted(summary["dropped"].items()):
        lines.append(f"  dropped {reason}: {n}  ({DROP_REASONS.get(reason, '')})")
    lines.append(f"final length (words / CJK chars), mean {summary['mean_final_words']:.0f}:")
    top = max(summary["length_histogram"].values(), default=0) or 1
    for label, n in summary["length_histogram"].items():
        lines.append(f"  {label:>12} {n:5d} {'#' * round(30 * n / top)}")
    return "\n".join(lines)
