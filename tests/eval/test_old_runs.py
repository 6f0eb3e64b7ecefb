"""Run folders written before the judged-benchmark core (tests/eval/data/old_runs, made by
tests/helpers/old_runs.py with the code of commit 6f7fb24) score the same with today's code, and
resume over loopback HTTP paying only for what had failed: same file names, same JSON fields."""

import json
import shutil
from pathlib import Path

import pytest
from old_runs import BENCHMARKS, DATA_FILE, responders, run

from eval.arena_write import score_arena
from eval.longbench_write import score_run
from eval.ruler import ruler_from_run
from eval.writingbench import score_writingbench
from rollout.jsonl import latest_by_key

OLD = Path(__file__).parent / "data" / "old_runs"
SCORERS = {
    "longbench-write": lambda d: score_run(d, write=False),
    "arena-write": lambda d: score_arena(d, write=False),
    "writingbench": lambda d: score_writingbench(d, write=False),
    "ruler": lambda d: {"run": _json(d / "run.json"), **ruler_from_run(d)},
}
SUMMARY = {"ruler": "ruler.json"}  # the others: scores.json


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _copy(benchmark: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(OLD / benchmark, tmp_path / benchmark))


def _same_run(meta: dict) -> dict:
    """run.json without what a resume elsewhere rightly changes (time, the servers' URLs, the
    data file's path; its content hash stays)."""
    out = {k: v for k, v in meta.items() if k not in ("updated", "endpoint")}
    out["data"] = {k: v for k, v in meta["data"].items() if k != "path"}
    out["judge"] = meta["judge"] and {k: v for k, v in meta["judge"].items() if k != "endpoint"}
    return out


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_old_run_scores_the_same(benchmark, tmp_path):
    folder = _copy(benchmark, tmp_path)
    old = _json(folder / SUMMARY.get(benchmark, "scores.json"))
    assert json.loads(json.dumps(SCORERS[benchmark](folder))) == old


@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_old_run_resumes_paying_only_for_failures(benchmark, fake_openai, tmp_path):
    folder = _copy(benchmark, tmp_path)
    files = sorted(p.name for p in folder.iterdir())
    summary = folder / SUMMARY.get(benchmark, "scores.json")
    old = _json(summary)
    old_judgments = _lines(folder / "judgments.jsonl") if (folder / "judgments.jsonl").exists() else []
    failed_gen = sum(p.get("error") is not None for p in latest_by_key(folder / "predictions.jsonl").values())
    failed_judge = sum(j.get("error") is not None for j in latest_by_key(folder / "judgments.jsonl").values())
    assert failed_gen + failed_judge > 0  # the fixture holds failures, so resuming has work to do
    writer_responder, judge_responder = responders(benchmark)
    writer = fake_openai(writer_responder, model="writer")
    judge = fake_openai(judge_responder, model="judge")
    # The old folder's writer server is gone: its run.json names this test's (the endpoint is
    # part of a run's identity); everything else is as the old code wrote it.
    meta = _json(folder / "run.json")
    (folder / "run.json").write_text(json.dumps({**meta, "endpoint": writer.url}), encoding="utf-8")

    res = run(benchmark, folder / DATA_FILE, folder, writer.url, judge.url, tmp_path / "caches")

    # Only what had failed is asked again: one request per failed answer, and per failed
    # judgement its three attempts (the judge still never answers it readably).
    assert len(writer.requests) == failed_gen
    assert len(judge.requests) == 3 * failed_judge
    assert {k: v for k, v in res.items() if k != "run"} == {k: v for k, v in old.items() if k != "run"}
    new_run = _same_run(res["run"])
    # Arena-Write and WritingBench runs record cut generation budgets since they joined the core
    # (None: nothing was cut); an old run.json gains that one field on resume, nothing else.
    if "generation_cuts" not in old["run"]:
        assert new_run.pop("generation_cuts") is None
    assert new_run == _same_run(old["run"])
    assert _json(summary) == json.loads(json.dumps(res))
    assert sorted(p.name for p in folder.iterdir()) == files  # no file renamed or added
    if old_judgments:  # the retried judgements are stored with the old lines' fields, in order
        new = _lines(folder / "judgments.jsonl")[len(old_judgments) :]
        assert len(new) == failed_judge
        assert {tuple(r) for r in new} == {tuple(old_judgments[0])}
