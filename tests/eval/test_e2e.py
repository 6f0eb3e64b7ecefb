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


@pytest.mark.slow
def test_cut_generation_budget_is_recorded_in_run_json(
    tiny_model, tiny_engine, fake_openai, tmp_path, caplog
):
    # tiny_engine holds 2048 tokens; one request's prompt leaves fewer than max_tokens=48.
    from rollout.engine import GenerationRequest

    words = 1
    while True:
        prompt = "Write about this: " + "word " * words
        n = len(
            tiny_engine.tokenizer.encode(
                tiny_engine.render(GenerationRequest("x", prompt)), add_special_tokens=False
            )
        )
        if n > 2048 - 48 + 8:
            break
        words += max(1, (2048 - 48 + 16 - n) // 2)
    assert n < 2048
    rows = [
        {"prompt": "Write a 100-word note about rain.", "type": "Letter", "length": 100},
        {"prompt": prompt, "type": "Essay", "length": 300},
    ]
    data = tmp_path / "d.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    settings = GenerationSettings(max_tokens=48, temperature=1.0, seed=0)
    backend = CheckpointBackend(str(tiny_model), engine=tiny_engine)
    with caplog.at_level("WARNING"):
        run_longbench_write(data, tmp_path / "run", backend, settings, progress=False)
    preds = {p["prompt"]: p for p in map(json.loads, (tmp_path / "run" / "predictions.jsonl").open())}
    cut_id = preds[prompt]["id"]
    assert preds[prompt]["max_tokens"] == 2048 - n < 48
    assert preds[rows[0]["prompt"]]["max_tokens"] == 48
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["generation_cuts"] == {
        "max_tokens": 48,
        "items": 1,
        "min_effective": 2048 - n,
        "ids": [cut_id],
    }
    assert any("recorded in run.json" in r.getMessage() for r in caplog.records)

    # Arena-Write and WritingBench record their cuts the same way (the same two requests).
    from fake_judge import criteria_responder, pairwise_responder

    from eval.arena_write import run_arena_write
    from eval.writingbench import run_writingbench

    arena = tmp_path / "arena.jsonl"
    arena.write_text(
        "\n".join(
            json.dumps({"id": f"a{i}", "request": r["prompt"], "baseline_response": "A short reply."})
            for i, r in enumerate(rows)
        )
        + "\n",
        encoding="utf-8",
    )
    wb = tmp_path / "wb.jsonl"
    wb.write_text(
        "\n".join(
            json.dumps(
                {"id": f"q{i}", "query": r["prompt"], "criteria": [{"name": "Fit", "description": "Fits."}]}
            )
            for i, r in enumerate(rows)
        )
        + "\n",
        encoding="utf-8",
    )
    pj = EndpointClient(fake_openai(pairwise_responder(), model="pj").url, "pj")
    cj = EndpointClient(fake_openai(criteria_responder(), model="cj").url, "cj")
    run_arena_write(
        arena, tmp_path / "arena", backend, settings, judge_client=pj, bootstrap_rounds=10, progress=False
    )
    run_writingbench(wb, tmp_path / "wb", backend, settings, judge_client=cj, progress=False)
    for name, cut in (("arena", "a1"), ("wb", "q1")):
        meta = json.loads((tmp_path / name / "run.json").read_text())
        assert meta["generation_cuts"] == {
            "max_tokens": 48,
            "items": 1,
            "min_effective": 2048 - n,
            "ids": [cut],
        }, name


@pytest.mark.slow
def test_engine_pool_records_a_bad_prompt_and_goes_on(tiny_model, tmp_path):
    # --num-engines 2 used to abort the whole run on one prompt too long for the context, while
    # the single-engine path recorded it and went on: both now record it and go on.
    from eval.data import load_items
    from eval.generate import predict

    rows = [
        {"prompt": f"Write {i * 100} words about the sea.", "type": "Essay", "length": i * 100}
        for i in range(1, 17)
    ]  # 17 items: the pool's chunks hold 3 (ceil(17 / (4 x 2 engines))), so a rejected chunk is split
    rows.insert(2, {"prompt": "word " * 2000, "type": "Essay", "length": 300})
    data = tmp_path / "d.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    items = load_items(data)
    backend = CheckpointBackend(str(tiny_model), num_engines=2, engine_kwargs={"max_model_len": 512})
    settings = GenerationSettings(max_tokens=4, temperature=1.0)
    preds = predict(items, backend, settings, tmp_path / "p.jsonl", progress=False)
    errors = {p["id"]: p["error"] for p in preds}
    bad = items[2].id
    error = errors.pop(bad)
    assert error.startswith("engine error:") and f"request '{bad}': prompt is" in error
    assert error.endswith("max_model_len is 512: no room to generate")
    assert errors == {it.id: None for it in items if it.id != bad}
    assert all(p["completion_tokens"] <= 4 for p in preds if p["error"] is None)
