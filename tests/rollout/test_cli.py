"""``longwrite generate`` (resumable) and ``longwrite serve`` (answers the EndpointClient)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest

from longwrite.cli import main
from rollout.cli import load_finished, read_prompts, run_generate


def write_jsonl(path, rows):
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)
    )
    return path


def test_read_prompts_defaults_ids_and_keeps_extra_fields(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "a", "length": 100}, "", {"prompt": "b", "id": 7}])
    rows = read_prompts(path)
    assert [(r["id"], r["prompt"]) for r in rows] == [("1", "a"), ("7", "b")]
    assert rows[0]["length"] == 100


@pytest.mark.parametrize(
    "rows, message",
    [
        (['{"prompt": "a"}', "{not json"], r"p.jsonl:2: not valid JSON"),
        ([{"prompt": "a"}, {"text": "b"}], r"p.jsonl:2: needs a non-empty string field 'prompt'"),
        (["[1, 2]"], r"p.jsonl:1: expected a JSON object"),
        (
            [{"prompt": "a", "id": "x"}, {"prompt": "b", "id": "x"}],
            r"p.jsonl:2: id 'x' already used on line 1",
        ),
    ],
)
def test_bad_prompt_rows_name_file_and_line(tmp_path, rows, message):
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    with pytest.raises(ValueError, match=message):
        read_prompts(path)


def test_cli_reports_bad_input_in_one_line(tmp_path, capsys):
    assert (
        main(["generate", "--model", str(tmp_path), "--prompts", str(tmp_path / "no.jsonl"), "--out", "o"])
        == 2
    )
    assert "prompts file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--model", str(tmp_path / "nope" / "m"), "--prompts", "p", "--out", "o"])
    assert exit_info.value.code == 2
    assert "model path not found" in capsys.readouterr().err
    for command in ("generate", "serve"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        assert "--model" in capsys.readouterr().out


def test_hub_ids_are_accepted_where_a_model_is_named(tmp_path, capsys, monkeypatch):
    """A hub id (org/name) is no "model path not found": online it goes to vLLM as is; offline
    (HF_HUB_OFFLINE=1, as here) the one error says it cannot be resolved offline and what to do."""
    from longwrite.cli import build_parser

    hub = "Qwen/Qwen2.5-7B-Instruct"
    prompts = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "a"}])
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    parser = build_parser()
    args = parser.parse_args(["generate", "--model", hub, "--prompts", str(prompts), "--out", "o"])
    assert args.model == hub
    assert parser.parse_args(["serve", "--model", hub]).model == hub
    assert parser.parse_args(["serve", "--reward-model", "org/my-rm"]).reward_model == "org/my-rm"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for argv in (
        ["generate", "--model", hub, "--prompts", str(prompts), "--out", str(tmp_path / "o.jsonl")],
        ["serve", "--model", hub],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "cannot be resolved offline" in err and "--model DIR" in err
        assert "model path not found" not in err
    # The SFT baseline's --local-model takes the same check (through longwrite main: one line).
    instructions = write_jsonl(tmp_path / "i.jsonl", [{"instruction": "Write 100 words", "length": 100}])
    argv = [
        "agentwrite",
        "--local-model",
        hub,
        "--instructions",
        str(instructions),
        "--out",
        str(tmp_path / "aw"),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("longwrite agentwrite: error: model ")
    assert "cannot be resolved offline" in err[0]


def test_load_finished_drops_torn_and_partial_requests(tmp_path):
    def rec(i, s):
        return {"id": i, "sample_index": s, "text": f"{i}/{s}"}

    out = write_jsonl(
        tmp_path / "out.jsonl", [rec("a", 0), rec("a", 1), rec("b", 0), rec("c", 0), rec("c", 1)]
    )
    with open(out, "a") as fh:
        fh.write('{"id": "d", "sample_in')  # killed mid-write
    assert load_finished(out, n=2) == {"a", "c"}
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["id"], r["sample_index"]) for r in lines] == [("a", 0), ("a", 1), ("c", 0), ("c", 1)]
    assert load_finished(tmp_path / "missing.jsonl", n=2) == set()


@pytest.mark.slow
def test_generate_appends_results_and_resumes_without_repeats(tiny_engine, tmp_path):
    prompts = write_jsonl(
        tmp_path / "p.jsonl",
        [{"prompt": f"Write {i * 100} words about the sea.", "length": i * 100} for i in range(1, 6)],
    )
    out = tmp_path / "out.jsonl"
    opts = {"n": 2, "max_tokens": 8, "engine": tiny_engine, "progress": False, "batch_size": 2}
    assert run_generate("tiny", prompts, out, **opts) == {
        "requests": 5,
        "skipped": 0,
        "generated": 5,
        "cut": 0,
    }
    first = [json.loads(x) for x in out.read_text().splitlines()]
    assert Counter((r["id"], r["sample_index"]) for r in first) == {
        (str(i), s): 1 for i in range(1, 6) for s in (0, 1)
    }
    assert all(r["extra"]["length"] == int(r["id"]) * 100 and r["completion_tokens"] <= 8 for r in first)

    # An interrupted run: requests 1-2 complete, 3 half written, a torn line.
    lines = out.read_text().splitlines(keepends=True)
    out.write_text("".join(lines[:5]) + lines[5][:20])
    assert run_generate("tiny", prompts, out, **opts) == {
        "requests": 5,
        "skipped": 2,
        "generated": 3,
        "cut": 0,
    }
    second = [json.loads(x) for x in out.read_text().splitlines()]
    assert Counter((r["id"], r["sample_index"]) for r in second) == Counter(
        (r["id"], r["sample_index"]) for r in first
    )
    assert second[:4] == first[:4]  # finished work kept as it was
    # Per-request seeds: the re-generated requests came out the same as the first time.
    assert {(r["id"], r["text"]) for r in second} == {(r["id"], r["text"]) for r in first}
    assert run_generate("tiny", prompts, out, **opts)["generated"] == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_the_endpoint_client(tiny_model, repo_root, tmp_path):
    from rollout.endpoint import ChatRequest, EndpointClient

    port = _free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - the server writes to it until the end
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    argv = [sys.executable, "-m", "longwrite.cli", "serve", "--model", str(tiny_model), "--port", str(port)]
    argv += ["--served-model-name", "tiny", "--max-model-len", "1024"]
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 400
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "server did not come up"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as r:
                    if r.status == 200 and "tiny" in r.read().decode():
                        break
            except OSError:
                time.sleep(1)
        client = EndpointClient(
            f"http://127.0.0.1:{port}/v1", "tiny", concurrency=2, timeout=60, max_retries=1
        )
        messages = [{"role": "user", "content": "Write a haiku about rivers."}]
        results = client.run([ChatRequest(messages, {"max_tokens": 8, "seed": s}) for s in (1, 2)])
        for res in results:
            assert res.ok, res.error
            assert isinstance(res.text, str) and res.finish_reason in ("stop", "length")
            assert 1 <= res.usage["completion_tokens"] <= 8
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and the engine process it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
