"""End to end on CPU: the tiny model answers LongBench-Write prompts through vLLM, a real HTTP
judge on 127.0.0.1 scores them (sometimes failing), LongWrite-Ruler runs on the same engine, and
the report renders in headless Chromium (screenshotted here)."""

import json
import os
import shutil

import pytest
from chromium import screenshot
from fake_judge import judge_responder

from eval.generate import CheckpointBackend, GenerationSettings
from eval.longbench_write import run_longbench_write
from eval.ruler import run_ruler
from longwrite.cli import main as cli_main
from rollout.endpoint import EndpointClient


@pytest.mark.slow
def test_tiny_model_longbench_write_ruler_report(
    tiny_model, tiny_engine, longbench_dir, fake_openai, tmp_path
):
    rows = [
        json.loads(x)
        for x in (longbench_dir / "longbench_write.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    picked = [r for r in rows if r["length"] < 500][:3] + [r for r in rows if r["length"] >= 2000][:2]
    data = tmp_path / "lbw5.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in picked) + "\n", encoding="utf-8")
    # The judge: a transient HTTP 500, an out-of-range reply fixed on retry, and one item that
    # never gets a readable verdict (must be listed as a failure, not scored).
    judge = fake_openai(
        judge_responder(
            always_bad={picked[1]["prompt"]}, bad_once={picked[2]["prompt"]}, error_once={picked[0]["prompt"]}
        ),
        model="loopback-judge",
    )
    # The session's shared vLLM CPU engine on the tiny model (engines take ~20 s to start).
    backend = CheckpointBackend(str(tiny_model), engine=tiny_engine)
    settings = GenerationSettings(template="plan_write", max_tokens=48, temperature=1.0, top_p=1.0, seed=0)
    client = EndpointClient(
        judge.url,
        judge.model,
        cache_path=tmp_path / "jc.jsonl",
        max_retries=2,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    run = tmp_path / "runs" / "tiny"
    res = run_longbench_write(data, run, backend, settings, judge_client=client, name="tiny", progress=False)

    preds = [json.loads(x) for x in (run / "predictions.jsonl").read_text().splitlines()]
    assert len(preds) == 5 and all(p["error"] is None for p in preds)
    for p in preds:
        assert p["response"] and p["finish_reason"] in ("stop", "length") and p["completion_tokens"] <= 48
        assert isinstance(p["answer_len"], int) and p["settings"] == settings.to_dict()
    assert res["failures"]["generation"] == 0 and res["failures"]["judge"] == 1
    assert res["overall"]["n_quality"] == 4 and res["overall"]["S_l"] is not None
    assert {"[0,500)", "[2000,4000)"} <= set(res["by_bucket"]) or "[4000,20000]" in res["by_bucket"]
    assert res["run"]["backend"] == "checkpoint" and res["run"]["model"] == str(tiny_model)

    # Resume: a second run generates and judges nothing new.
    n_judge = len(judge.requests)
    again = run_longbench_write(
        data, run, backend, settings, judge_client=client, name="tiny", progress=False
    )
    assert len((run / "predictions.jsonl").read_text().splitlines()) == 5 and len(judge.requests) == n_judge
    assert again["overall"] == res["overall"]

    # LongWrite-Ruler on the same engine (2 prompts per required length would be slow: take 6).
    ruler = run_ruler(
        longbench_dir / "longwrite_ruler.jsonl",
        tmp_path / "runs" / "tiny-ruler",
        backend,
        settings,
        limit=6,
        name="tiny",
        progress=False,
    )
    assert len(ruler["curve"]) >= 1 and all(p["n"] + p["n_failed"] >= 1 for p in ruler["curve"])
    backend.close()

    # An RL run folder (verl's metrics file, written here) mixed in: its training curves.
    rl = tmp_path / "runs" / "rl-tiny"
    (rl / "metrics").mkdir(parents=True)
    lines = []
    for step in range(1, 6):
        data = {f"longwriter/reward/{c}/mean": 0.1 * step for c in ("length", "quality", "format")}
        data |= {"longwriter/length/answer/p50": 10.0 * step, "longwriter/length/answer/p90": 20.0 * step}
        data |= {"longwriter/truncated_ratio": 0.5, "longwriter/groups/zero_var_ratio": 1 / step}
        lines.append(json.dumps({"step": step, "data": data}) + "\n")
    (rl / "metrics" / "metrics-20261130-000000.jsonl").write_text("".join(lines))

    out = tmp_path / "report"
    runs = [str(run), str(tmp_path / "runs" / "tiny-ruler"), str(rl)]
    assert cli_main(["report", *runs, "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<table>" in html and html.count("data:image/png;base64,") == 4
    assert "Training curves: rl-tiny" in html and "never logged: plan p50, plan p90" in html
    assert "unreadable judge reply" in html and "loopback-judge" in html

    shot = tmp_path / "report.png"
    screenshot(out / "report.html", shot, tmp_path, size=(1280, 4800))
    from PIL import Image

    with Image.open(shot) as img:
        assert img.size == (1280, 4800)
        colors = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert shot.stat().st_size > 50_000 and len(colors) > 100  # text, tables and plots, not a blank page
    keep = os.environ.get("LONGWRITE_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
