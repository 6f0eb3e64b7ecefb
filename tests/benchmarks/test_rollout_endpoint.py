"""The endpoint benchmark's loopback server speaks the protocol, and its table has the promised columns."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from benchmarks._loopback import start_server
from benchmarks.rollout import CLIENTS, bench_endpoint, format_endpoint_rows


@pytest.fixture(scope="module")
def server():
    proc, url = start_server(0.01, "a fixed verdict")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _post(url: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_answers_a_valid_chat_completion(server):
    body = {"model": "m", "n": 2, "messages": [{"role": "user", "content": "three words here"}]}
    status, data = _post(f"{server}/chat/completions", json.dumps(body).encode())
    assert status == 200
    assert data["object"] == "chat.completion" and data["model"] == "m"
    assert [c["message"] for c in data["choices"]] == [
        {"role": "assistant", "content": "a fixed verdict"}
    ] * 2
    assert [c["index"] for c in data["choices"]] == [0, 1]
    assert data["usage"] == {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}


def test_server_refuses_a_bad_body_with_an_openai_error(server):
    status, data = _post(f"{server}/chat/completions", b"not json")
    assert status == 400 and "not JSON" in data["error"]["message"]
    status, data = _post(f"{server}/chat/completions", b'{"model": "m"}')
    assert status == 400 and "messages" in data["error"]["message"]


def test_endpoint_client_reads_the_server(server):
    from rollout.endpoint import EndpointClient

    before = json.loads(urllib.request.urlopen(server.removesuffix("/v1") + "/stats").read())["requests"]
    client = EndpointClient(server, "m", concurrency=2, max_retries=0)

    async def go():
        async with client:
            return await client.chat([{"role": "user", "content": "hi"}])

    result = asyncio.run(go())
    assert result.ok and result.text == "a fixed verdict" and result.attempts == 1
    after = json.loads(urllib.request.urlopen(server.removesuffix("/v1") + "/stats").read())["requests"]
    assert after == before + 1


def test_bench_endpoint_rows_and_table_columns():
    from bench_rows import check_interleaved_rows

    rows = bench_endpoint(latency=0.01, concurrency=(1, 3), waves=2, repeats=2)
    check_interleaved_rows(rows, CLIENTS, (1, 3), latency=0.01, waves=2, repeats=2)
    lines = format_endpoint_rows(rows).splitlines()
    assert len(lines) == 3
    for column in ("concurrency", "ideal/s", "bare aiohttp /s", "client /s", "judge /s", "of ideal"):
        assert column in lines[0]
    assert "client/bare" in lines[0] and "judge/bare" in lines[0]
    assert lines[2].split()[:2] == ["3", "6"]
