"""What every report section uses: a loaded run, a table, number formatting, a run's metadata
line and PNG encoding.

:mod:`eval.report` (the report itself) and :mod:`eval.report_judged` (the judged benchmarks'
sections) both import this module, so the arrow between them points one way: report ->
report_judged -> report_base.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RunData", "Table", "fmt", "meta_line", "png_bytes"]


@dataclass
class RunData:
    """One run directory's metadata, scores (LongBench-Write runs), ruler summary and predictions."""

    path: Path
    meta: dict[str, Any]
    scores: dict[str, Any] | None
    ruler: dict[str, Any]
    predictions: list[dict] = field(default_factory=list)
    comparability: str = ""  # set by the report: "" or why this run is not comparable

    @property
    def label(self) -> str:
        """The display name, marked when the run is not comparable with its benchmark's others."""
        return f"{self.name} ⚠ {self.comparability}" if self.comparability else self.name

    @property
    def name(self) -> str:
        """The run's display name (``run.json``'s ``name``, else the directory name)."""
        return str(self.meta.get("name") or self.path.name)

    @property
    def benchmark(self) -> str:
        """'longbench-write', 'ruler', 'arena-write' or 'writingbench'."""
        return str(self.meta.get("benchmark", "longbench-write"))


@dataclass
class Table:
    """One report table: its title, column names, rows of cell text and a note under it."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def fmt(v: Any, digits: int = 1) -> str:
    """A number with ``digits`` decimals, or "–" for a missing one (never 0 or blank)."""
    return "–" if v is None else f"{v:.{digits}f}"


def meta_line(r: RunData) -> str:
    """One line naming how a run was made: benchmark, backend, model, template, sampling, judge
    and prompt hash, data file and hash, evaluator version, directory."""
    m = r.meta
    s = m.get("settings") or {}
    j = m.get("judge") or {}
    parts = [
        f"benchmark={r.benchmark}",
        f"backend={m.get('backend')}",
        f"model={m.get('model')}",
        f"endpoint={m.get('endpoint')}" if m.get("endpoint") else "",
        f"template={s.get('template')}",
        f"sampling=temperature {s.get('temperature')}, top_p {s.get('top_p')}, max_tokens {s.get('max_tokens')}, seed {s.get('seed')}",
        f"judge={j.get('model')} prompt {j.get('prompt_version')} #{j.get('prompt_hash')}"
        if j
        else "judge=none",
        f"data={Path((m.get('data') or {}).get('path', '?')).name} #{(m.get('data') or {}).get('sha256')}",
        f"evaluator={m.get('evaluator_version')}",
        f"dir={r.path}",
    ]
    return "; ".join(p for p in parts if p)


def png_bytes(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (110 dpi); the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
