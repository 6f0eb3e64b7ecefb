"""End to end on CPU: the tiny model (vLLM CPU) answers Arena-Write and WritingBench requests
once each, loopback judges on 127.0.0.1 judge them (sometimes failing, sometimes unreadable), a
second run re-pays nothing, and the report with the new sections renders in headless Chromium."""

import json
import os
import shutil

import pytest
from chromium import screenshot
from fake_judge import criteria_responder, pairwise_responder
from judged_data import write_arena, write_writingbench

from eval.arena_write import run_arena_write
from eval.generate import CheckpointBackend, GenerationSettings
from eval.writingbench import run_writingbench
from longwrite.cli import main as cli_main
from rollout.endpoint import EndpointClient


def _client(server, path):
    return EndpointClient(
        server.url, server.model, cache_path=path, max_retries=1, backoff_base=0.01, backoff_max=0.05
    )


@pytest.mark.slow
def test_tiny_model_arena_writingbench_report(tiny_model, tiny_engine, fake_openai, tmp_path):
    arena_data = write_arena(tmp_path / "arena.jsonl")
    wb_data = write_writingbench(tmp_path / "wb.jsonl")
    pj = fake_openai(
        pairwise_responder(always_bad={"zebra"}, bad_once={"rivers"}, error_once={"kettles"}),
        model="pair-judge",
    )
    cj = fake_openai(
        criteria_responder(always_bad={"Name: Tone"}, bad_once={"Name: Depth"}, error_once={"budgets"}),
        model="crit-judge",
    )
    # The session's shared vLLM CPU engine on the tiny model.
    backend = CheckpointBackend(str(tiny_model), engine=tiny_engine)
    settings = GenerationSettings(template="plan_write", max_tokens=48, temperature=1.0, top_p=1.0, seed=0)
    runs = tmp_path / "runs"

    def arena():
        return run_arena_write(
            arena_data,
            runs / "arena",
            backend,
            settings,
            judge_client=_client(pj, tmp_path / "pj.jsonl"),
            anchor="ref-a",
            bootstrap_rounds=50,
            name="tiny",
            progress=False,
        )

    def wb():
        return run_writingbench(
            wb_data,
            runs / "wb",
            backend,
            settings,
            judge_client=_client(cj, tmp_path / "cj.jsonl"),
            name="tiny",
            progress=False,
        )

    res = arena()
    preds = [json.loads(x) for x in (runs / "arena" / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 3 and all(p["error"] is None and p["completion_tokens"] <= 48 for p in preds)
    assert res["failures"] == {
        "generation": 0,
        "judge": 2,
        "items": {
            "generation": [],
            "judge": [
                {"id": f"a3::{a}::{b}", "error": res["failures"]["items"]["judge"][k]["error"]}
                for k, (a, b) in enumerate((("@model", "ref-b"), ("ref-b", "@model")))
            ],
        },
    }
    assert all("unreadable judge reply" in f["error"] for f in res["failures"]["items"]["judge"])
    assert res["n_pairs"] == 6 and res["n_comparisons"] == 10 and sum(res["orders"].values()) == 6
    # The judge saw only the answers (plan stripped), never the tiny model's <think> part.
    plans = [p["plan"] for p in preds if p["plan"].strip()]
    assert all(plan not in json.dumps(b) for plan in plans for b in pj.requests)
    fit = res["elo"]["fit"]
    wtl = res["elo"]["win_matrix"]["tiny"]
    gained = sum(c["win"] + c["tie"] for c in wtl.values())
    lost = sum(c["loss"] + c["tie"] for c in wtl.values())
    if gained and lost:
        assert fit["ratings"]["tiny"] is not None
    else:  # won or lost everything: named as unbounded, not given a number
        assert fit["unbounded"] and fit["direction"]["tiny"] == ("+inf" if gained else "-inf")

    scores = wb()
    assert scores["failures"]["generation"] == 0 and scores["failures"]["judge"] == 1
    assert scores["overall"]["n_scored"] == 2 and 1 <= scores["overall"]["score"] <= 10

    # Resume: nothing is generated or judged again.
    n_pj, n_cj = len(pj.requests), len(cj.requests)
    assert arena()["elo"]["fit"] == fit and wb()["overall"] == scores["overall"]
    assert (len(pj.requests), len(cj.requests)) == (n_pj, n_cj)
    assert len((runs / "arena" / "predictions.jsonl").read_text().splitlines()) == 3
    assert len((runs / "wb" / "predictions.jsonl").read_text().splitlines()) == 3
    backend.close()

    out = tmp_path / "report"
    assert cli_main(["report", str(runs / "arena"), str(runs / "wb"), "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    for title in ("Arena-Write Elo", "win/tie/loss matrix", "WritingBench by domain", "Comparability"):
        assert title in html
    assert html.count("data:image/png;base64,") == 1 and "pair-judge" in html
    shot = tmp_path / "report.png"
    screenshot(out / "report.html", shot, tmp_path, size=(1280, 2400))
    from PIL import Image

    with Image.open(shot) as img:
        assert img.size == (1280, 2400)
        colors = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert shot.stat().st_size > 30_000 and len(colors) > 100  # tables and the plot, not a blank page
    keep = os.environ.get("LONGWRITE_KEEP_SCREENSHOT_JUDGED")
    if keep:
        shutil.copy(shot, keep)
