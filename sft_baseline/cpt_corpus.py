"""Raw long documents for continued pre-training: read them, tokenise them once into shards.

A *source* is one path: a ``.jsonl`` file (one document per line, its ``text`` field), a ``.txt``
file (the whole file is one document), a folder of ``.txt`` files (one document each, sorted by
name) or a ``.parquet`` file (a ``text`` column). :func:`iter_documents` streams a source one
document at a time, so a corpus larger than memory is never held whole; a row that is empty, not
valid JSON, lacks a ``text`` string or is not UTF-8 is not a document: it is listed as
``FILE:LINE: reason`` (a parquet row as ``FILE:ROW``) in :attr:`Bad` and logged, never silently
skipped.

:func:`tokenize_source` writes a source's token ids into shards under one folder: each shard is a
pair of numpy files, ``shard-NNNNN.tokens.npy`` (uint32 ids of its documents, concatenated; each
document followed by the tokenizer's EOS when ``append_eos``) and ``shard-NNNNN.offsets.npy``
(int64 document starts, one more than its documents), read back memory-mapped. ``manifest.json``
records the source files (path, size in bytes, sha256), the tokenizer, each finished shard
(documents, tokens, rows consumed) and the bad rows. A shard is written to a temporary name and
renamed, and the manifest is rewritten after each one, so a rerun reuses a complete folder and an
interrupted tokenisation resumes after its last finished shard (the rows before it are read again,
not tokenised again). A changed source (size or mtime differs from the manifest) is tokenised
again from the start, with a warning and the reason recorded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "MANIFEST_VERSION",
    "Bad",
    "source_files",
    "iter_documents",
    "tokenizer_fingerprint",
    "tokenize_source",
    "load_manifest",
    "ShardReader",
]

#: Bump when the shard layout or the manifest's meaning changes: older folders are rebuilt.
MANIFEST_VERSION = 1
#: Tokens per shard by default (4 bytes each: 64 Mi tokens = 256 MiB a shard).
DEFAULT_SHARD_TOKENS = 64 * 1024 * 1024
#: Documents tokenised per tokenizer call (a batch of long documents; bounds memory, not results).
_BATCH_DOCS = 64


@dataclass
class Bad:
    """Rows of a source that are not documents: ``FILE:LINE: reason`` each, in reading order."""

    rows: list[str] = field(default_factory=list)

    def add(self, where: str, reason: str) -> None:
        """Record (and log) one bad row."""
        line = f"{where}: {reason}"
        log.warning("CPT corpus: skipping a row that is not a document: %s", line)
        self.rows.append(line)


def source_files(path: str | os.PathLike) -> list[Path]:
    """The files a source path means: itself, or a folder's ``.txt`` files sorted by name.

    Raises FileNotFoundError for a missing path, ValueError for an unsupported suffix or a folder
    without ``.txt`` files.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"CPT source not found: {p}")
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix == ".txt" and f.is_file())
        if not files:
            raise ValueError(f"CPT source folder {p} has no .txt files (one document per file)")
        return files
    if p.suffix not in (".jsonl", ".txt", ".parquet"):
        raise ValueError(f"CPT source {p}: expected .jsonl, .txt, .parquet or a folder of .txt files")
    return [p]


def _rows(path: str | os.PathLike) -> Iterator[tuple[str, str | None, str]]:
    """Every row of a source in order: ``(FILE:LINE, text, "")`` or ``(FILE:LINE, None, reason)``."""
    for f in source_files(path):
        if f.suffix == ".jsonl":
            yield from _jsonl_rows(f)
        elif f.suffix == ".parquet":
            yield from _parquet_rows(f)
        else:
            where = f"{f}:1"
            try:
                text = f.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                yield where, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
                continue
            yield (where, text, "") if text.strip() else (where, None, "empty document")


def iter_documents(path: str | os.PathLike, bad: Bad | None = None) -> Iterator[str]:
    """Stream the documents of a source (see the module doc), bad rows recorded in ``bad``."""
    bad = bad if bad is not None else Bad()
    for where, text, reason in _rows(path):
        if text is None:
            bad.add(where, reason)
        else:
            yield text


def _jsonl_rows(f: Path) -> Iterator[tuple[str, str | None, str]]:
    with f.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{f}:{lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield where, None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
                continue
            if not line.strip():
                yield where, None, "empty line"
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                yield where, None, f"not JSON ({exc.msg})"
                continue
            text = rec.get("text") if isinstance(rec, dict) else None
            if not isinstance(text, str):
                yield where, None, "no 'text' string"
            elif not text.strip():
                yield where, None, "empty 'text'"
            else:
                yield where, text, ""


def _parquet_rows(f: Path) -> Iterator[tuple[str, str | None, str]]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(f)
    if "text" not in pf.schema_arrow.names:
        raise ValueError(f"{f}: a CPT parquet needs a 'text' column (has {pf.schema_arrow.names})")
    row = 0
    for batch in pf.iter_batches(columns=["text"], batch_size=1024):
        for text in batch.column(0).to_pylist():
            row += 1
            if not isinstance(text, str) or not text.strip():
                yield f"{f}:{row}", None, "empty or missing 'text'"
            else:
                yield f"{f}:{row}", text, ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _file_entry(path: Path, with_hash: bool = True) -> dict[str, Any]:
    st = path.stat()
    entry: dict[str, Any] = {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    if with_hash:
        entry["sha256"] = _sha256(path)
    return entry


def tokenizer_fingerprint(tokenizer) -> dict[str, Any]:
    """What identifies a tokenizer for reuse: its name/path, vocabulary size and EOS id."""
    return {
        "name_or_path": str(getattr(tokenizer, "name_or_path", "")),
        "vocab_size": len(tokenizer),
        "eos_token_id": tokenizer.eos_token_id,
    }


def load_manifest(folder: str | os.PathLike) -> dict[str, Any] | None:
    """A token folder's ``manifest.json`` as a dict, or None when there is none."""
    path = Path(folder) / "manifest.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _stale_reason(manifest: dict[str, Any], files: list[Path], fingerprint: dict, append_eos: bool) -> str:
    """Why an existing manifest cannot be reused ('' when it can)."""
    if manifest.get("version") != MANIFEST_VERSION:
        return f"manifest version {manifest.get('version')} != {MANIFEST_VERSION}"
    if manifest.get("tokenizer") != fingerprint:
        return f"tokenizer changed ({manifest.get('tokenizer')} -> {fingerprint})"
    if manifest.get("append_eos") != append_eos:
        return "append_eos changed"
    old = [(f["path"], f["size"], f["mtime_ns"]) for f in manifest.get("files", [])]
    new = [(e["path"], e["size"], e["mtime_ns"]) for e in (_file_entry(f, False) for f in files)]
    if old != new:
        return "source files changed (path, size or mtime)"
    return ""


def tokenize_source(
    path: str | os.PathLike,
    out: str | os.PathLike,
    tokenizer,
    *,
    shard_tokens: int = DEFAULT_SHARD_TOKENS,
    append_eos: bool = True,
    batch_docs: int = _BATCH_DOCS,
) -> dict[str, Any]:
    """Tokenise source ``path`` into shards in folder ``out`` (see the module doc); return the manifest.

    Reuses a complete folder, resumes an interrupted one after its last finished shard, and
    starts over (logged, reason in ``manifest["rebuilt_because"]``) when the source or the
    tokenizer changed. ``shard_tokens`` is a target: a shard closes after the document that
    reaches it (documents never span shards). ``batch_docs``: documents per tokenizer call.
    """
    import numpy as np

    if shard_tokens < 1:
        raise ValueError(f"shard_tokens must be >= 1, got {shard_tokens}")
    if append_eos and tokenizer.eos_token_id is None:
        raise ValueError("append_eos needs a tokenizer with an EOS token (this one has none)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = source_files(path)
    fingerprint = tokenizer_fingerprint(tokenizer)
    manifest = load_manifest(out)
    rebuilt = ""
    if manifest is not None:
        rebuilt = _stale_reason(manifest, files, fingerprint, append_eos)
        if not rebuilt and manifest.get("complete"):
            log.info("CPT corpus: reusing %s (%d tokens)", out, manifest["tokens"])
            return manifest
        if rebuilt:
            log.warning("CPT corpus: re-tokenising %s from the start: %s", path, rebuilt)
            for old in out.glob("shard-*.npy"):
                old.unlink()
            manifest = None
    if manifest is None:
        manifest = {
            "version": MANIFEST_VERSION,
            "source": str(Path(path).resolve()),
            "files": [_file_entry(f) for f in files],
            "tokenizer": fingerprint,
            "append_eos": append_eos,
            "shard_tokens": shard_tokens,
            "shards": [],
            "bad_rows": [],
            "documents": 0,
            "tokens": 0,
            "complete": False,
        }
        if rebuilt:
            manifest["rebuilt_because"] = rebuilt
        _write_json_atomic(out / "manifest.json", manifest)
    else:
        log.info("CPT corpus: resuming %s after %d finished shards", out, len(manifest["shards"]))

    done_rows = sum(s["rows"] for s in manifest["shards"])  # rows (good and bad) already in shards
    eos = tokenizer.eos_token_id
    pending_ids: list[np.ndarray] = []
    pending_tokens = 0
    pending_bad: list[tuple[int, str]] = []  # (row, "FILE:LINE: reason")
    shard_start = done_rows

    def flush(end_row: int) -> None:
        """Close a shard holding rows [shard_start, end_row): its documents and its bad rows."""
        nonlocal pending_ids, pending_tokens, pending_bad, shard_start
        name = f"shard-{len(manifest['shards']):05d}"
        lengths = np.array([a.size for a in pending_ids], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        tokens = np.concatenate(pending_ids) if pending_ids else np.zeros(0, np.uint32)
        for suffix, arr in (("tokens", tokens), ("offsets", offsets)):
            tmp = out / f"{name}.{suffix}.tmp.npy"
            np.save(tmp, arr)
            os.replace(tmp, out / f"{name}.{suffix}.npy")
        mine = [line for row, line in pending_bad if row < end_row]
        pending_bad = [(row, line) for row, line in pending_bad if row >= end_row]
        manifest["shards"].append(
            {
                "name": name,
                "documents": len(pending_ids),
                "tokens": int(tokens.size),
                "rows": end_row - shard_start,
            }
        )
        manifest["bad_rows"].extend(mine)
        manifest["documents"] += len(pending_ids)
        manifest["tokens"] += int(tokens.size)
        _write_json_atomic(out / "manifest.json", manifest)
        pending_ids, pending_tokens, shard_start = [], 0, end_row

    batch: list[tuple[int, str]] = []

    def encode_batch() -> None:
        nonlocal pending_tokens
        if not batch:
            return
        encoded = tokenizer([t for _, t in batch], add_special_tokens=False)["input_ids"]
        for (row, _), ids in zip(batch, encoded, strict=True):
            arr = np.asarray([*ids, eos] if append_eos else ids, dtype=np.uint32)
            pending_ids.append(arr)
            pending_tokens += arr.size
            if pending_tokens >= shard_tokens:
                flush(row + 1)
        batch.clear()

    total_rows = 0
    for row, (where, text, reason) in enumerate(_rows(path)):
        total_rows = row + 1
        if row < done_rows:  # in a finished shard: read again, not tokenised again
            continue
        if text is None:
            log.warning("CPT corpus: skipping a row that is not a document: %s: %s", where, reason)
            pending_bad.append((row, f"{where}: {reason}"))
            continue
        batch.append((row, text))
        if len(batch) >= batch_docs:
            encode_batch()
    encode_batch()
    if total_rows > shard_start or not manifest["shards"]:
        flush(total_rows)
    manifest["complete"] = True
    manifest["rows"] = total_rows
    _write_json_atomic(out / "manifest.json", manifest)
    log.info(
        "CPT corpus: %s -> %d documents, %d tokens in %d shards (%d bad rows)",
        path, manifest["documents"], manifest["tokens"], len(manifest["shards"]), len(manifest["bad_rows"]),
    )  # fmt: skip
    return manifest


class ShardReader:
    """Read access to a complete token folder: document lengths, and any document's tokens.

    Shards are opened memory-mapped on first use, so only the pages a pack touches are read.
    Documents are addressed as ``(shard index, document index in the shard)``.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        manifest = load_manifest(self.folder)
        if manifest is None or not manifest.get("complete"):
            raise ValueError(f"{self.folder}: not a complete CPT token folder (run the tokenisation first)")
        self.manifest = manifest
        self._tokens: dict[int, Any] = {}
        self._offsets: dict[int, Any] = {}

    def offsets(self, shard: int):
        """The int64 document offsets of shard ``shard`` (memory-mapped)."""
        import numpy as np

        if shard not in self._offsets:
            name = self.manifest["shards"][shard]["name"]
            self._offsets[shard] = np.load(self.folder / f"{name}.offsets.npy", mmap_mode="r")
        return self._offsets[shard]

    def document_lengths(self) -> list[tuple[int, int, int]]:
        """``(shard, document, tokens)`` for every document, in corpus order."""
        import numpy as np

        out = []
        for shard in range(len(self.manifest["shards"])):
            lengths = np.diff(self.offsets(shard))
            out.extend((shard, doc, int(n)) for doc, n in enumerate(lengths))
        return out

    def tokens(self, shard: int, doc: int, start: int = 0, end: int | None = None):
        """Token ids ``[start, end)`` of document ``doc`` of shard ``shard`` (a uint32 array view)."""
        import numpy as np

        if shard not in self._tokens:
            name = self.manifest["shards"][shard]["name"]
            self._tokens[shard] = np.load(self.folder / f"{name}.tokens.npy", mmap_mode="r")
        offsets = self.offsets(shard)
        lo, hi = int(offsets[doc]), int(offsets[doc + 1])
        stop = hi if end is None else lo + end
        if not (lo + start <= stop <= hi):
            raise IndexError(
                f"{self.folder} shard {shard} doc {doc}: [{start}, {end}) outside its {hi - lo} tokens"
            )
        return self._tokens[shard][lo + start : stop]
