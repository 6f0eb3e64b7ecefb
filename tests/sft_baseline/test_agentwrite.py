"""AgentWrite against a real OpenAI-compatible HTTP server on 127.0.0.1 playing the writer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from agentwrite_writer import agentwrite_responder
from fake_openai import FakeOpenAIServer

from rollout.text import count_words
from sft_baseline.agentwrite import CallJournal, load_instructions, request_sha, run_agentwrite

ROOT = Path(__file__).resolve().parents[2]


def _write_items(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _server(latency: float = 0.0) -> FakeOpenAIServer:
    return FakeOpenAIServer(agentwrite_responder, latency=latency, model="fake-writer")


def _client(server: FakeOpenAIServer, concurrency: int = 4):
    from rollout.endpoint import EndpointClient

    return EndpointClient(server.url, server.model, concurrency=concurrency, max_retries=6, backoff_base=0.01)


ITEMS = [
    {"id": "ok-en", "instruction": "Write a 600-word essay about rivers. [[label]]"},
    {"id": "ok-zh", "instruction": "写一篇600字的散文，题目是《秋天的图书馆》。"},
    {"id": "bad-plan", "instruction": "Write a story. [[plan:malformed]]"},
    {"id": "many", "instruction": "Write a long saga. [[steps:51]] [[words:1]]"},
    {"id": "empty", "instruction": "Write a report. [[empty:2]]"},
    {"id": "short", "instruction": "Write a letter. [[short]]"},
    {"id": "rate", "instruction": "Write an essay on light. [[429:2]]"},
]


def test_agentwrite_filters_outputs_and_429s(tmp_path):
    items = load_instructions(_write_items(tmp_path / "in.jsonl", ITEMS))
    with _server() as server:
        summary = run_agentwrite(items, _client(server), tmp_path / "out", concurrency=4, progress=False)

    assert summary["kept"] == 3
    assert summary["dropped"] == {
        "unparseable_plan": 1,
        "too_many_steps": 1,
        "empty_section": 1,
        "too_short": 1,
    }
    kept = {r["id"]: r for r in map(json.loads, (tmp_path / "out/agentwrite.jsonl").open())}
    assert set(kept) == {"ok-en", "ok-zh", "rate"}
    en = kept["ok-en"]
    assert len(en["sections"]) == 3 and len(en["plan_steps"]) == 3
    # "Paragraph k:" labels were stripped; the text is the sections joined.
    assert not any(s.startswith("Paragraph") for s in en["sections"])
    assert en["final"] == "\n\n".join(en["sections"])
    assert en["words"]["final"] == count_words(en["final"]) == 600
    assert en["words"]["plan_total"] == 600
    assert kept["ok-zh"]["language"] == "zh" and kept["ok-zh"]["words"]["final"] == 600
    # The 429'd item got through after retries: 2 refusals for each of its 4 calls.
    rate = [b for b in server.snapshot() if "[[429:2]]" in b["messages"][-1]["content"]]
    assert len(rate) == 4 * 3
    dropped = {r["id"]: r for r in map(json.loads, (tmp_path / "out/dropped.jsonl").open())}
    assert dropped["many"]["detail"] == "51 steps > 50"
    assert "paragraph 2" in dropped["empty"]["detail"]

    sft = pd.read_parquet(tmp_path / "out/sft.parquet")
    assert len(sft) == 3
    roles = [[m["role"] for m in msgs] for msgs in sft["messages"]]
    assert roles == [["user", "assistant"]] * 3


def test_rerun_reuses_every_finished_call(tmp_path):
    items = load_instructions(_write_items(tmp_path / "in.jsonl", ITEMS[:2]))
    with _server() as server:
        first = run_agentwrite(items, _client(server), tmp_path / "out", progress=False)
        n = len(server.requests)
        second = run_agentwrite(items, _client(server), tmp_path / "out", progress=False)
        assert len(server.requests) == n  # nothing sent again
    assert first["calls_made"] == 8 and second["calls_made"] == 0 and second["calls_reused"] == 8
    assert first["kept"] == second["kept"] == 2


def test_bad_instruction_rows_name_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"instruction": "fine"}\n\n{"prompt": 3}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:3: needs a non-empty string"):
        load_instructions(p)
    p.write_text('{"instruction": "a"}\n{oops\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not valid JSON"):
        load_instructions(p)


def test_sigkill_mid_run_then_resume_sends_no_finished_call_again(tmp_path):
    rows = [{"id": f"i{k}", "instruction": f"Write essay number {k}. [[steps:4]]"} for k in range(6)]
    instr = _write_items(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out"
    journal = out / "calls.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with _server(latency=0.15) as server:
        cmd = [sys.executable, "-m", "longwrite.cli", "agentwrite", "--instructions", str(instr),
               "--out", str(out), "--endpoint", server.url, "--model", "fake-writer",
               "--concurrency", "2", "--no-progress"]  # fmt: skip
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if journal.exists() and len(journal.read_text().splitlines()) >= 8:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        finished = {rec["request_sha"] for rec in CallJournal(journal).entries.values()}
        assert 8 <= len(finished) < 30  # killed mid-run: some, not all, of the 30 calls were done
        n_before = len(server.requests)

        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        resent = [b for b in server.snapshot()[n_before:] if request_sha(b["messages"]) in finished]
        assert resent == []
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kept"] == 6 and summary["calls_reused"] == len(finished)
    assert "kept 6" in done.stdout


def test_constrained_plan_sends_a_regex_the_canonical_plan_matches(tmp_path):
    import re

    from sft_baseline.agentwrite import AgentWriteConfig

    items = load_instructions(_write_items(tmp_path / "in.jsonl", ITEMS[:2]))
    config = AgentWriteConfig(constrain_plan=True, max_steps=5)
    with _server() as server:
        summary = run_agentwrite(items, _client(server), tmp_path / "out", config=config, progress=False)
        bodies = server.snapshot()
    assert summary["kept"] == 2
    plans = [b for b in bodies if "structured_outputs" in b]
    assert len(plans) == 2 and len(bodies) == 8  # only the plan calls are constrained
    journal = CallJournal(tmp_path / "out/calls.jsonl")
    for body in plans:
        regex = body["structured_outputs"]["regex"]
        assert regex.endswith("{1,5}")
        plan_text = next(
            e["text"] for e in journal.entries.values() if e["request_sha"] == request_sha(body["messages"])
        )
        lines = [ln for ln in plan_text.splitlines() if ln.startswith(("Paragraph", "段落"))]
        assert re.fullmatch(regex, "\n".join(lines) + "\n")


def test_instructions_from_text_and_duplicate_ids(tmp_path):
    txt = tmp_path / "in.txt"
    txt.write_text("Write about rivers.\n\n写一篇散文。\n", encoding="utf-8")
    items = load_instructions(txt)
    assert [it.instruction for it in items] == ["Write about rivers.", "写一篇散文。"]
    assert len({it.id for it in items}) == 2
    dup = _write_items(
        tmp_path / "dup.jsonl", [{"id": "x", "instruction": "a"}, {"id": "x", "instruction": "b"}]
    )
    with pytest.raises(ValueError, match="duplicate ids"):
        load_instructions(dup)
    with pytest.raises(FileNotFoundError):
        load_instructions(tmp_path / "missing.jsonl")


def test_local_model_context_defaults_to_the_models_own_limit(tmp_path):
    # A fixed 8,192-token context used to make long items' section prompts outgrow the server.
    import argparse

    from sft_baseline.cli import register
    from sft_baseline.serve import _serve_command

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    inst = str(tmp_path / "i.jsonl")
    args = parser.parse_args(["agentwrite", "--instructions", inst, "--local-model", "m", "--out", "o"])
    assert args.max_model_len is None
    cmd, _ = _serve_command(tmp_path, "m", 8123, None, 0)
    assert "--max-model-len" not in cmd  # vLLM reads the limit from the checkpoint's config
    cmd, _ = _serve_command(tmp_path, "m", 8123, 65536, 0)
    assert cmd[cmd.index("--max-model-len") + 1] == "65536"
