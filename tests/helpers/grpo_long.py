"""The demo's GRPO run (``long`` targets, 8 steps from the tiny writer), made once per test process.

Two slow tests need it: ``tests/rl/test_learning.py`` (its ``long`` case: the answer length grows)
and ``tests/longwrite/test_demo_path.py`` (export, evaluate, verdict). Each run takes ~5-6 min on
a quiet 2-core host, so they share one: :func:`long_run` runs :func:`longwrite.demo.grpo` - the
demo's own call, hence the demo's configuration - on first use and returns the same run after.
The run folder is removed when the test process exits.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

_RUNS: dict[str, Any] = {}


def long_run(data_dir: Path) -> tuple[Any, Any, Path]:
    """(the demo's options, the finished ``long`` LearningRun, the writer) for this test process.

    ``data_dir``: the LongBench-Write folder the demo's options resolve (checked like the CLI's).
    """
    if "run" not in _RUNS:
        from longwrite import demo
        from sft_baseline.writer import tiny_writer_path

        work = Path(tempfile.mkdtemp(prefix="lw-grpo-long-"))
        atexit.register(shutil.rmtree, work, ignore_errors=True)
        opts = demo.check_options(out=work / "demo", data=data_dir)
        writer = tiny_writer_path(0)
        _RUNS.update(opts=opts, writer=writer, run=demo.grpo(opts, writer))
    return _RUNS["opts"], _RUNS["run"], _RUNS["writer"]
