"""The judged runs behind tests/eval/data/old_runs/: one folder per benchmark, made by the code
before the judged-benchmark core (commit 6f7fb24), so tests can check that today's code resumes
and scores them the same.

Each benchmark runs against loopback writer and judge servers (fake_openai.py) with faults: a
LongBench-Write item whose generation fails (HTTP 400) and one the judge never answers readably,
an Arena-Write pair never judged, a WritingBench criterion never judged. One LongBench-Write
answer has 10,000 words.

Remake the folders (only when the old code's files are what is wanted)::

    git archive 6f7fb24 eval rollout rewards | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old:tests/helpers .venv/bin/python tests/helpers/old_runs.py tests/eval/data/old_runs
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fake_judge import criteria_responder, judge_responder, pairwise_responder, writer_responder
from judged_data import WB_WORDS, WORDS, write_arena, write_writingbench

BENCHMARKS = ("longbench-write", "arena-write", "writingbench", "ruler")
DATA_FILE = "data.jsonl"

LBW_ROWS = [
    dict(zip(("prompt", "type", "length"), row, strict=True))
    for row in (
        ("Write a 10000-word saga about a lighthouse.", "Fiction", 10000),
        ("Write a 600-word essay about a kettle.", "Essay", 600),
        ("写一篇200字的短文，关于秋天。", "Essay", 200),
        ("Write a 300-word forbidden text.", "Essay", 300),
        ("Write a 150-word note about a harbour.", "Letter", 150),
    )
]
LBW_WORDS = {"lighthouse": 10000, "kettle": 640, "秋天": 180, "harbour": 150}


def write_data(benchmark: str, path: Path) -> Path:
    """The benchmark's data file at ``path``."""
    if benchmark == "arena-write":
        return write_arena(path)
    if benchmark == "writingbench":
        return write_writingbench(path)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in LBW_ROWS) + "\n", encoding="utf-8")
    return path


def responders(benchmark: str) -> tuple[Any, Any]:
    """(writer, judge) responders of the benchmark's run, faults included (judge None: ruler)."""
    if benchmark == "arena-write":
        return writer_responder(WORDS), pairwise_responder(always_bad={"zebra"})
    if benchmark == "writingbench":
        return writer_responder(WB_WORDS), criteria_responder(always_bad={"Name: Tone"})
    writer = writer_responder(LBW_WORDS, fail={"forbidden"})
    return writer, (None if benchmark == "ruler" else judge_responder(always_bad={"harbour"}))


def run(benchmark: str, data: Path, out: Path, writer_url: str, judge_url: str | None, cache: Path) -> dict:
    """Run ``benchmark`` into ``out`` with the writer and judge at these URLs (the public API that
    the old and today's code share); returns the run's scores (ruler: ruler.json's dict)."""
    from eval.generate import EndpointBackend, GenerationSettings
    from rollout.endpoint import EndpointClient

    def client(url: str, model: str, name: str) -> Any:
        return EndpointClient(url, model, cache_path=cache / name, max_retries=0, backoff_base=0.01)

    backend = EndpointBackend(client(writer_url, "writer", "gen.jsonl"))
    settings = GenerationSettings(max_tokens=20000)
    common: dict[str, Any] = {"name": f"old-{benchmark}", "progress": False}
    if benchmark == "ruler":
        from eval.ruler import run_ruler

        return run_ruler(data, out, backend, settings, **common)
    common["judge_client"] = client(judge_url, "judge", "judge.jsonl")
    if benchmark == "arena-write":
        from eval.arena_write import run_arena_write

        return run_arena_write(data, out, backend, settings, anchor="ref-a", bootstrap_rounds=30, **common)
    if benchmark == "writingbench":
        from eval.writingbench import run_writingbench

        return run_writingbench(data, out, backend, settings, **common)
    from eval.longbench_write import run_longbench_write

    return run_longbench_write(data, out, backend, settings, **common)


def make(root: Path) -> None:
    """Write every benchmark's run folder (data file inside) under ``root``."""
    import tempfile

    from fake_openai import FakeOpenAIServer

    for benchmark in BENCHMARKS:
        out = root / benchmark
        out.mkdir(parents=True, exist_ok=True)
        data = write_data(benchmark, out / DATA_FILE)
        writer, judge = responders(benchmark)
        with (
            FakeOpenAIServer(writer, model="writer") as w,
            FakeOpenAIServer(judge, model="judge") as j,
            tempfile.TemporaryDirectory() as cache,
        ):
            run(benchmark, data, out, w.url, j.url if judge else None, Path(cache))


if __name__ == "__main__":
    make(Path(sys.argv[1]))
