"""End to end on CPU: the tiny model (vLLM CPU) answers Arena-Write and WritingBench requests
once each, loopback judges on 127.0.0.1 judge them (sometimes failing, sometimes unreadable), a
second run re-pays nothing, and the report with the new sections renders in headless Chromium."""

import json
import os
import shutil

import pytest
from chromium import screenshot
from fake_judge import _between, criteria_responder, faulty_responder
from judged_data import write_arena, write_writingbench

from eval.arena_write import run_arena_write
from eval.generate import CheckpointBackend, GenerationSettings
from eval.writingbench import run_writingbench
from longwrite.cli import main as cli_main
from rollout.endpoint import EndpointClient

#: The baselines' answers (judged_data.write_arena) are one marker word then "w w w ...":
#: ref-a's markers, ref-b's.
REF_A_WORDS, REF_B_WORDS = ("copper", "delta", "paper"), ("steam", "banks", "zebra")


def _rank(answer: str) -> int:
    """2 for a ref-a answer, 0 for a ref-b answer, 1 for anything else (the model's)."""
    words = answer.split()
    baseline = len(words) >= 20 and words[0] in REF_A_WORDS + REF_B_WORDS and set(words[1:]) == {"w"}
    if not baseline:
        return 1
    return 2 if words[0] in REF_A_WORDS else 0


def ranked_pairwise_responder(**faults):
    """A pairwise judge whose order is known before the run: ref-a beats the model, the model
    beats ref-b, whatever the tiny model writes, so the test knows the outcome it must find (a
    finite rating between the two baselines) instead of choosing its assertion from the data."""

    def good(first: str) -> str:
        a = _rank(_between(first, "[Answer A]", "[Answer B]"))
        b = _rank(_between(first, "[Answer B]", "First explain"))
        assert a != b, "the e2e judges model-vs-baseline pairs only"
        return f"One is clearly stronger.\n[[{'A>>B' if a > b else 'B>>A'}]]"

    return faulty_responder(good, wrong_first=lambda first: "[[A>B]] or perhaps [[B>A]]", **faults)


def _client(server, path):
    return EndpointClient(
        server.url, server.model, cache_path=path, max_retries=1, backoff_base=0.01, backoff_max=0.05
    )


@pytest.mark.slow
def test_tiny_model_arena_writingbench_report(tiny_model, tiny_engine, fake_openai, tmp_path):
    arena_data = write_arena(tmp_path / "arena.jsonl")
    wb_data = write_writingbench(tmp_path / "wb.jsonl")
    pj = fake_openai(
        ranked_pairwise_responder(always_bad={"zebra"}, bad_once={"rivers"}, error_once={"kettles"}),
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
    # Known in advance: every readable verdict on ref-a is a loss (3 items x 2 orders), on ref-b a
    # win (a1, a2 x 2 orders; a3's two games were unreadable), so the rating is a finite number
    # between the baselines' (neither "won everything" nor "lost everything").
    assert {k: {o: c[o] for o in ("win", "tie", "loss")} for k, c in wtl.items()} == {
        "ref-a": {"win": 0, "tie": 0, "loss": 6},
        "ref-b": {"win": 4, "tie": 0, "loss": 0},
    }, wtl
    assert not fit.get("unbounded"), fit
    ratings = fit["ratings"]
    assert ratings["ref-b"] < ratings["tiny"] < ratings["ref-a"], ratings

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
