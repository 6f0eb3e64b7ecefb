"""What a ``--model`` argument names: a local path, or a Hugging Face hub id (``org/name``).

:func:`check_model` is the one check every command and engine applies to a model argument
(``generate``, ``serve``, ``export``'s callers, :class:`rollout.engine.VLLMEngine`, the Ray
engine pool, the SFT baseline's ``--local-model``):

* an existing path (file or folder) is returned as given (what it holds is checked later, e.g.
  by :func:`rollout.checkpoint.resolve_model`);
* a string shaped like a hub id (``Qwen/Qwen2.5-7B-Instruct``, or a bare ``gpt2``) that is no
  local path is returned as given, for vLLM / transformers to download; offline
  (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` set) it must already be in the local Hugging
  Face cache, else the error says it cannot be resolved offline and how to pass a local folder;
* anything else (``./m``, ``/data/m``, ``a/b/c``, ``~/m``) is a path that does not exist:
  "model path not found".

Errors are :class:`rollout.errors.ModelNotFoundError` (a ``FileNotFoundError``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from rollout.errors import ModelNotFoundError

__all__ = ["check_model", "is_hub_id", "hub_offline"]

# ``name`` or ``org/name``: letters, digits, '-', '_', '.'; no leading '.', no '..', no '--'
# rules beyond what the hub itself enforces (its own validator runs in _in_local_cache).
_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
_TRUE = {"1", "on", "yes", "true"}


def is_hub_id(value: str) -> bool:
    """True when ``value`` is shaped like a Hugging Face hub id (``org/name`` or ``name``)."""
    return bool(_HUB_ID.match(value)) and ".." not in value and not value.endswith(".")


def hub_offline() -> bool:
    """True when the Hugging Face libraries are told not to reach the hub (``HF_HUB_OFFLINE`` or
    ``TRANSFORMERS_OFFLINE`` set to 1/on/yes/true), read from the environment at call time."""
    return any(
        os.environ.get(v, "").strip().lower() in _TRUE for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _in_local_cache(repo_id: str) -> bool:
    """True when the hub cache holds ``repo_id``'s ``config.json`` (so offline loading can work)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, "config.json")
    except ValueError:  # the hub's own id validator refused it: not resolvable
        return False
    return isinstance(found, str)


def check_model(value: str | os.PathLike) -> str:
    """``value`` unchanged when it names a model this machine can load; else a clear error.

    Raises :class:`~rollout.errors.ModelNotFoundError`: "model path not found" for a path that
    does not exist, or, offline, "cannot be resolved offline" for a hub id not in the local cache.
    """
    text = str(value)
    if not text.strip():
        raise ModelNotFoundError(
            "empty model name: give a model folder or a hub id such as Qwen/Qwen2.5-7B-Instruct"
        )
    if Path(text).expanduser().exists():
        return text
    if not is_hub_id(text):
        raise ModelNotFoundError(f"model path not found: {text}")
    if hub_offline() and not _in_local_cache(text):
        raise ModelNotFoundError(
            f"model {text!r} is not a local path and, as a Hugging Face hub id, cannot be resolved "
            "offline (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE is set and it is not in the local hub "
            f"cache): pass a local model folder instead (e.g. `hf download {text} "
            "--local-dir DIR` on a connected machine, then --model DIR), or unset HF_HUB_OFFLINE"
        )
    return text
