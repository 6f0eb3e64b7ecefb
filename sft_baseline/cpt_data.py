"""Continued pre-training data: a weighted mix of tokenised sources, packed, and verl's dataset class.

:func:`plan_packs` turns token folders (:mod:`sft_baseline.cpt_corpus`) and their weights into
packs of at most ``seq_len`` tokens:

* mixing by tokens: source ``s`` gets ``weight_s / sum(weights)`` of the token budget. The budget
  is ``tokens`` when given, otherwise the largest one no source has to repeat for (the most
  constrained source is used exactly once). Whole documents are drawn in a seeded shuffled order
  until a source's share is reached; a source that must give more than it has starts another
  shuffled pass, and its repeats are recorded. The realised mix (tokens per source) is recorded.
* a document longer than ``seq_len`` is split into chunks of ``seq_len`` tokens (the last
  shorter); splits and chunks are counted per source, nothing is dropped.
* chunks are shuffled and packed greedily in that order: a pack closes when the next chunk does
  not fit. The fill (tokens / (packs x seq_len)) is recorded.

:class:`CPTDataset` is the class verl's SFT trainer loads through ``data.custom_cls`` (signature
``(parquet_files, tokenizer, config, processor, max_samples)``). Each item is one pack:
``input_ids``, ``position_ids`` (counting from 0 again at each segment, so attention and
positions stay within a document) and ``loss_mask``: 1 on every token except the first token of
each segment. verl's SFT loss shifts labels over the *flattened* micro-batch (all packs of a
micro-batch concatenated; ``torch.roll`` of the loss mask by one), so the loss on a token is the
model's prediction of it from the token before. A segment's first token follows, in that flat
stream, the last token of another document (or another pack): training it would teach the model
to guess one document's start from an unrelated document's end. A chunk of a split document is no
different: in the flat stream its first token follows whatever ended the previous segment, not
the chunk's true predecessor (which lies in another pack), so its first token is masked too. The
cost is one unscored token per segment, recorded as ``loss_tokens`` in the plan.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sft_baseline.cpt_corpus import ShardReader

log = logging.getLogger(__name__)

__all__ = ["Segment", "plan_packs", "write_plan", "read_plan", "pack_arrays", "CPTDataset"]

PLAN_FILE = "plan.json"
PACKS_FILE = "packs.parquet"


@dataclass(frozen=True)
class Segment:
    """Tokens ``[start, end)`` of document ``doc`` in shard ``shard`` of source ``source``."""

    source: int
    shard: int
    doc: int
    start: int
    end: int

    @property
    def length(self) -> int:
        """Tokens in the segment."""
        return self.end - self.start


def _draw(
    docs: list[tuple[int, int, int]], target: float, rng: random.Random
) -> tuple[list[tuple[int, int, int]], int]:
    """Whole documents in shuffled passes until ``target`` tokens; (taken, passes started)."""
    taken: list[tuple[int, int, int]] = []
    got = 0
    passes = 0
    while got < target:
        order = docs[:]
        rng.shuffle(order)
        passes += 1
        for d in order:
            if got >= target:
                break
            taken.append(d)
            got += d[2]
    return taken, passes


def plan_packs(
    readers: Sequence[ShardReader],
    weights: Sequence[float],
    seq_len: int,
    *,
    tokens: int | None = None,
    seed: int = 0,
) -> tuple[list[list[Segment]], dict[str, Any]]:
    """Packs of segments (see the module doc) and the plan's statistics (the realised mix).

    ``readers[i]`` and ``weights[i]`` describe source ``i``; weights are positive and need not
    sum to 1. Raises ValueError for a bad weight, a source without tokens or ``seq_len < 2``.
    """
    if seq_len < 2:
        raise ValueError(f"seq_len must be >= 2 tokens, got {seq_len}")
    if len(readers) != len(weights) or not readers:
        raise ValueError("plan_packs needs one weight per source and at least one source")
    for r, w in zip(readers, weights, strict=True):
        if not (isinstance(w, int | float) and w > 0):
            raise ValueError(
                f"CPT source {r.manifest['source']}: weight must be a positive number, got {w!r}"
            )
        if r.manifest["tokens"] == 0:
            raise ValueError(
                f"CPT source {r.manifest['source']} has no tokens (bad rows: {len(r.manifest['bad_rows'])})"
            )
    shares = [w / sum(weights) for w in weights]
    available = [r.manifest["tokens"] for r in readers]
    budget = tokens if tokens is not None else min(a / s for a, s in zip(available, shares, strict=True))
    if budget < 1:
        raise ValueError(f"CPT token budget must be >= 1, got {budget}")
    rng = random.Random(f"cpt-plan:{seed}")
    chunks: list[Segment] = []
    stats: list[dict[str, Any]] = []
    for i, (reader, share) in enumerate(zip(readers, shares, strict=True)):
        target = share * budget
        taken, passes = _draw(reader.document_lengths(), target, rng)
        split = 0
        n_chunks = 0
        for shard, doc, n in taken:
            if n > seq_len:
                split += 1
            for start in range(0, n, seq_len):
                chunks.append(Segment(i, shard, doc, start, min(n, start + seq_len)))
                n_chunks += 1
        got = sum(d[2] for d in taken)
        if split:
            log.info("CPT plan: source %d: %d documents over %d tokens split into chunks", i, split, seq_len)
        if passes > 1:
            log.warning(
                "CPT plan: source %s repeats: %d tokens asked of %d available (%d passes)",
                reader.manifest["source"], round(target), available[i], passes,
            )  # fmt: skip
        stats.append(
            {
                "source": reader.manifest["source"],
                "token_dir": str(reader.folder.resolve()),
                "weight": weights[i],
                "share_asked": share,
                "available_tokens": available[i],
                "target_tokens": round(target),
                "tokens": got,
                "documents": len(taken),
                "passes": passes,
                "documents_split": split,
                "chunks": n_chunks,
                "bad_rows": len(reader.manifest["bad_rows"]),
            }
        )
    rng.shuffle(chunks)
    packs: list[list[Segment]] = []
    current: list[Segment] = []
    used = 0
    for c in chunks:
        if used + c.length > seq_len:
            packs.append(current)
            current, used = [], 0
        current.append(c)
        used += c.length
    if current:
        packs.append(current)
    total = sum(s["tokens"] for s in stats)
    for s in stats:
        s["share_realised"] = s["tokens"] / total
    segments = sum(len(p) for p in packs)
    summary = {
        "seq_len": seq_len,
        "seed": seed,
        "budget_tokens": round(budget),
        "tokens": total,
        "loss_tokens": total - segments,
        "segments": segments,
        "packs": len(packs),
        "fill": total / (len(packs) * seq_len),
        "sources": stats,
    }
    return packs, summary


def write_plan(packs: list[list[Segment]], summary: Mapping[str, Any], out: str | os.PathLike) -> Path:
    """Write ``packs.parquet`` (one row a pack, its segments as list columns) and ``plan.json``;
    return the parquet's path (what ``data.train_files`` names)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cols = {
        k: [[getattr(s, k) for s in p] for p in packs] for k in ("source", "shard", "doc", "start", "end")
    }
    table = pa.table({k: pa.array(v, type=pa.list_(pa.int64())) for k, v in cols.items()})
    pq.write_table(table, out / PACKS_FILE)
    (out / PLAN_FILE).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return out / PACKS_FILE


def read_plan(packs_file: str | os.PathLike) -> tuple[list[list[Segment]], dict[str, Any]]:
    """The packs and summary :func:`write_plan` wrote (``plan.json`` beside the parquet)."""
    import pyarrow.parquet as pq

    path = Path(packs_file)
    plan_path = path.with_name(PLAN_FILE)
    if not plan_path.exists():
        raise FileNotFoundError(f"{path}: no {PLAN_FILE} beside it (write it with `longwrite cpt`)")
    summary = json.loads(plan_path.read_text(encoding="utf-8"))
    cols = pq.read_table(path).to_pydict()
    packs = [
        [
            Segment(*seg)
            for seg in zip(*(cols[k][i] for k in ("source", "shard", "doc", "start", "end")), strict=True)
        ]
        for i in range(len(cols["source"]))
    ]
    return packs, summary


def pack_arrays(pack: Sequence[Segment], readers: Sequence[ShardReader]):
    """(input_ids, position_ids, loss_mask) of one pack as int64 numpy arrays.

    Loss mask 1 on every token but each segment's first (see the module doc); positions count
    from 0 at each segment.
    """
    import numpy as np

    ids = [np.asarray(readers[s.source].tokens(s.shard, s.doc, s.start, s.end), dtype=np.int64) for s in pack]
    input_ids = np.concatenate(ids)
    position_ids = np.concatenate([np.arange(a.size, dtype=np.int64) for a in ids])
    loss_mask = np.ones(input_ids.size, dtype=np.int64)
    loss_mask[position_ids == 0] = 0
    return input_ids, position_ids, loss_mask


class CPTDataset:
    """verl SFT dataset of packs (``data.custom_cls: {path: pkg://sft_baseline.cpt_data, name: CPTDataset}``).

    ``parquet_files``: the ``packs.parquet`` written by :func:`write_plan` (one file). Requires
    ``data.pad_mode: no_padding`` (a pack is variable-length; verl concatenates a micro-batch's
    packs) and refuses a pack longer than ``data.max_length``. ``max_samples > 0`` keeps that many
    packs (the first ones: packs are already shuffled), logged. A map-style dataset (``__len__``,
    ``__getitem__``) that does not subclass torch's ``Dataset``, so importing this module stays
    light (verl's SFT trainer and torch's DataLoader need only the two methods).
    """

    def __init__(self, parquet_files, tokenizer, config, processor=None, max_samples: int = -1):
        files = [parquet_files] if isinstance(parquet_files, str | os.PathLike) else list(parquet_files)
        if len(files) != 1:
            raise ValueError(f"CPTDataset reads one packs.parquet, got {files}")
        pad_mode = str(config.get("pad_mode", "right"))
        if pad_mode != "no_padding":
            raise ValueError(
                f"CPTDataset needs data.pad_mode=no_padding (packs vary in length), got {pad_mode}"
            )
        self.packs, self.summary = read_plan(files[0])
        max_length = int(config.get("max_length"))
        if self.summary["seq_len"] > max_length:
            raise ValueError(
                f"{files[0]}: packs of up to {self.summary['seq_len']} tokens but data.max_length={max_length}"
            )
        if max_samples is not None and 0 < max_samples < len(self.packs):
            log.warning("CPTDataset: keeping %d of %d packs (max_samples)", max_samples, len(self.packs))
            self.packs = self.packs[:max_samples]
        self.readers = [ShardReader(s["token_dir"]) for s in self.summary["sources"]]

    def __len__(self) -> int:
        return len(self.packs)

    def __getitem__(self, item: int) -> dict[str, Any]:
        import torch

        input_ids, position_ids, loss_mask = pack_arrays(self.packs[item], self.readers)
        return {
            "input_ids": torch.from_numpy(input_ids),
            "position_ids": torch.from_numpy(position_ids),
            "loss_mask": torch.from_numpy(loss_mask),
        }
