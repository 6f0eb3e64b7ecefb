"""Score answers a user already has: a backend that reads them from a file instead of generating.

The file is WritingBench's response format, one JSON object a line: ``{"index": ..., "response":
"..."}`` (``index`` matches the data's ``index`` / ``id``). Nothing is generated: an item the file
has no response for becomes a failed prediction (``error`` says so), listed as a generation
failure in ``scores.json`` and never dropped; a response for an index the data does not have, a
repeated index or a response that is not a string is a ``ValueError`` naming ``FILE:LINE``.

The run's identity (``run.json``) names the file by path and content hash as its ``endpoint``, so
a changed file is another run and a resumed folder never mixes two files' answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from eval.data import EvalItem
from eval.generate import GenerationSettings, prediction_record
from rollout.jsonl import read_jsonl

__all__ = ["ResponsesBackend", "read_responses"]


def read_responses(path: str | Path, known_ids: Iterable[str]) -> dict[str, str]:
    """index (as a string) -> response from a ``{"index", "response"}`` jsonl file.

    Every index must be one of ``known_ids`` (the data's ids) and appear once; every response
    must be a string. Errors name ``FILE:LINE``.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"responses file not found: {p}")
    known = set(known_ids)
    out: dict[str, str] = {}
    for line_no, row in read_jsonl(p, allow_torn_tail=False).records:
        where = f"{p}:{line_no}"
        if not isinstance(row, dict) or row.get("index") in (None, ""):
            raise ValueError(f"{where}: expected an object with 'index' and 'response'")
        ident = str(row["index"])
        if ident not in known:
            raise ValueError(f"{where}: index {ident!r} is not an item of the data")
        if ident in out:
            raise ValueError(f"{where}: index {ident!r} repeats")
        if not isinstance(row.get("response"), str):
            raise ValueError(
                f"{where}: 'response' must be a string, got {type(row.get('response')).__name__}"
            )
        out[ident] = row["response"]
    return out


class ResponsesBackend:
    """A backend (as :class:`eval.generate.EndpointBackend`) whose answers are read from a file.

    ``model`` names the model that wrote them (for reports); ``known_ids`` are the data's ids.
    """

    def __init__(self, path: str | Path, model: str, known_ids: Iterable[str]) -> None:
        from eval.judged_run import file_sha

        self.path = Path(path).resolve()
        self.model = model
        self.responses = read_responses(self.path, known_ids)
        self.sha = file_sha(self.path)

    def describe(self) -> dict[str, Any]:
        """Run metadata: backend kind, the model's name, and the file (path and hash) as endpoint."""
        return {
            "backend": "responses",
            "endpoint": f"file:{self.path}#sha256={self.sha}",
            "model": self.model,
        }

    def generate(
        self,
        items: Sequence[EvalItem],
        settings: GenerationSettings,
        on_result: Callable[[dict], None],
        progress: bool = True,
    ) -> None:
        """One prediction per item: its response from the file, or a failure naming the file."""
        for it in items:
            text = self.responses.get(it.id)
            error = None if text is not None else f"no response for index {it.id!r} in {self.path}"
            on_result(prediction_record(it, text, settings, error=error))
