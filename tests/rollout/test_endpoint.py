"""EndpointClient against a real HTTP server on 127.0.0.1 that injects faults."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from fake_openai import Reply, echo, last_user_content, scripted

from rollout.endpoint import ChatRequest, EndpointClient, ResponseCache, _Pacer, request_key

FAST = {"backoff_base": 0.01, "backoff_max": 0.05}


def msgs(text: str) -> list[dict]:
    return [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}]


def client_for(server, **kwargs) -> EndpointClient:
    opts = {"concurrency": 4, "timeout": 5.0, "max_retries": 4, **FAST, **kwargs}
    return EndpointClient(server.url, server.model, **opts)


def test_success_returns_text_usage_and_finish_reason(fake_openai):
    server = fake_openai()
    [res] = client_for(server).run([ChatRequest(msgs("hello there"), {"temperature": 0.0}, id="a")])
    assert res.ok and res.error is None
    assert (res.id, res.text, res.finish_reason) == ("a", "echo: hello there", "stop")
    assert res.usage["prompt_tokens"] == 4 and res.usage["completion_tokens"] == 3
    assert res.attempts == 1 and not res.cached and res.latency_s > 0
    assert server.requests[0]["temperature"] == 0.0 and server.requests[0]["model"] == server.model


@pytest.mark.parametrize(
    "faults, cause",
    [
        ([Reply.error(429, retry_after=0.01)], "429"),
        ([Reply.error(500), Reply.error(503)], "500"),
        ([Reply.slow(3.0)], "timeout"),
        ([Reply.malformed("json")], "malformed"),
        ([Reply.malformed("schema")], "malformed"),
        ([Reply.malformed("html")], "malformed"),
        ([Reply(drop=True)], "connection"),
    ],
)
def test_transient_faults_are_retried_until_success(fake_openai, faults, cause):
    server = fake_openai(scripted({"q": faults}))
    [res] = client_for(server, timeout=0.5).run([ChatRequest(msgs("q"))])
    assert res.ok, res.error
    assert res.text == "echo: q"
    assert res.attempts == len(faults) + 1 == server.hits("q")


def test_persistent_failures_report_their_cause_after_all_retries(fake_openai):
    script = {
        "always 500": [Reply.error(500, "boom")] * 10,
        "always slow": [Reply.slow(2.0)] * 10,
        "always junk": [Reply.malformed("json")] * 10,
    }
    server = fake_openai(scripted(script))
    client = client_for(server, timeout=0.3, max_retries=2)
    results = client.run([ChatRequest(msgs(k), id=k) for k in script])
    causes = {r.id: r.error for r in results}
    assert all(not r.ok and r.text is None and r.attempts == 3 for r in results)
    assert causes["always 500"].startswith("HTTP 500: boom") and "after 3 attempts" in causes["always 500"]
    assert causes["always slow"].startswith("timeout after 0.3 s")
    assert causes["always junk"].startswith("malformed response")
    assert all(server.hits(k) == 3 for k in script)


def test_client_errors_are_not_retried(fake_openai):
    server = fake_openai(scripted({"bad": [Reply.error(400, "context too long")] * 5}))
    [res] = client_for(server).run([ChatRequest(msgs("bad"))])
    assert res.error == "HTTP 400: context too long"
    assert res.attempts == 1 == server.hits("bad")


def test_mixed_batch_keeps_order_and_loses_nothing(fake_openai):
    faults = [
        [],
        [Reply.error(429)],
        [Reply.error(500)],
        [Reply.malformed("json")],
        [Reply.slow(2.0)],
        [Reply.error(401, "no key")],
    ]
    script = {f"p{i}": faults[i % len(faults)] for i in range(30)}
    server = fake_openai(scripted(script))
    reqs = [ChatRequest(msgs(f"p{i}"), id=f"r{i}") for i in range(30)]
    results = client_for(server, concurrency=8, timeout=0.5).run(reqs)
    assert [r.id for r in results] == [f"r{i}" for i in range(30)]
    for i, r in enumerate(results):
        if i % len(faults) == 5:
            assert r.error == "HTTP 401: no key"
        else:
            assert r.ok and r.text == f"echo: p{i}", r.error


def test_concurrency_limit_is_respected(fake_openai):
    server = fake_openai(latency=0.1)
    client = client_for(server, concurrency=3)
    results = client.run([ChatRequest(msgs(f"c{i}")) for i in range(12)])
    assert all(r.ok for r in results)
    assert server.max_inflight == 3


def test_requests_per_minute_paces_starts(fake_openai):
    server = fake_openai()
    client = client_for(server, concurrency=8, requests_per_minute=600)  # one per 0.1 s
    t0 = time.monotonic()
    results = client.run([ChatRequest(msgs(f"r{i}")) for i in range(6)])
    assert all(r.ok for r in results)
    assert time.monotonic() - t0 >= 0.45  # 5 gaps of 0.1 s after the first


def test_token_pacer_books_debt_and_refunds():
    pacer = _Pacer(per_minute=600, burst=100)  # 10 tokens/s, bucket of 100
    assert pacer.reserve(60) == 0.0
    assert pacer.reserve(60) == pytest.approx(2.0, abs=0.05)  # 20 tokens short at 10/s
    pacer.refund(10)  # the request used 10 tokens fewer than estimated: 10 short now
    assert pacer.reserve(10) == pytest.approx(2.0, abs=0.05)
    pacer.refund(-10)  # ... and one used 10 more: 30 short
    assert pacer.reserve(0) == pytest.approx(3.0, abs=0.05)
    assert _Pacer(60, 5).reserve(1000) >= 0  # larger than the bucket: passes, never deadlocks


def test_unknown_params_travel_in_the_body(fake_openai):
    server = fake_openai()
    client_for(server).run([ChatRequest(msgs("x"), {"max_tokens": 7, "top_k": 5, "seed": 3})])
    body = server.requests[0]
    assert (body["max_tokens"], body["top_k"], body["seed"]) == (7, 5, 3)


def test_n_samples_returns_every_choice(fake_openai):
    server = fake_openai()
    [res] = client_for(server).run([ChatRequest(msgs("many"), {"n": 3})])
    assert len(res.choices) == 3 and res.text == "echo: many"


def test_cache_hits_skip_the_server_and_errors_are_not_cached(fake_openai, tmp_path):
    server = fake_openai(scripted({"fails once": [Reply.error(400)]}))
    cache = tmp_path / "cache.jsonl"
    reqs = [ChatRequest(msgs("a"), {"temperature": 0.5}), ChatRequest(msgs("fails once"))]
    first = client_for(server, cache_path=cache).run(reqs)
    assert first[0].ok and not first[1].ok
    second = client_for(server, cache_path=cache).run(reqs)
    assert second[0].cached and second[0].attempts == 0 and second[0].text == first[0].text
    assert second[1].ok and not second[1].cached  # the failure was re-sent, and now succeeds
    assert server.hits("a") == 1 and server.hits("fails once") == 2
    # Other params or another model: another key.
    third = client_for(server, cache_path=cache).run([ChatRequest(msgs("a"), {"temperature": 0.7})])
    assert not third[0].cached and server.hits("a") == 2
    assert request_key("m", msgs("a"), {"t": 1}) != request_key("m2", msgs("a"), {"t": 1})


def test_duplicate_requests_in_one_batch_are_sent_once(fake_openai, tmp_path):
    server = fake_openai(latency=0.05)
    reqs = [ChatRequest(msgs("same"), id=str(i)) for i in range(5)]
    results = client_for(server, cache_path=tmp_path / "c.jsonl").run(reqs)
    assert [r.id for r in results] == ["0", "1", "2", "3", "4"]
    assert all(r.ok and r.text == "echo: same" for r in results)
    assert server.hits("same") == 1


def test_cache_ignores_a_torn_last_line_and_appends_after_it(tmp_path):
    path = tmp_path / "cache.jsonl"
    cache = ResponseCache(path)
    cache.put({"key": "k1", "text": "one"})
    with open(path, "a") as fh:
        fh.write('{"key": "k2", "text": "tor')  # a write cut short by SIGKILL
    reloaded = ResponseCache(path)
    assert reloaded.get("k1")["text"] == "one" and reloaded.get("k2") is None
    reloaded.put({"key": "k3", "text": "three"})
    again = ResponseCache(path)
    assert {k: again.get(k) and again.get(k)["text"] for k in ("k1", "k2", "k3")} == {
        "k1": "one",
        "k2": None,
        "k3": "three",
    }
    assert len(path.read_text().splitlines()) == 2  # the fragment was cut, not buried mid-file


def test_cache_refuses_a_bad_line_in_the_middle(tmp_path):
    path = tmp_path / "cache.jsonl"
    path.write_text('{"key": "k1", "text": "one"}\ngarbage\n{"key": "k2", "text": "two"}\n')
    with pytest.raises(ValueError, match=r"cache\.jsonl:2"):
        ResponseCache(path).get("k1")


def test_run_works_inside_a_running_event_loop(fake_openai):
    server = fake_openai()

    async def caller():
        return client_for(server).run([ChatRequest(msgs("in loop"))])

    [res] = asyncio.run(caller())
    assert res.ok and res.text == "echo: in loop"


def test_async_api_and_reuse_across_loops(fake_openai):
    server = fake_openai()
    client = client_for(server)

    async def go(text):
        async with client:
            return await client.chat(msgs(text), temperature=0.1)

    assert asyncio.run(go("one")).text == "echo: one"
    assert asyncio.run(go("two")).text == "echo: two"


def test_bad_messages_raise_a_clear_error(fake_openai):
    client = client_for(fake_openai())
    with pytest.raises(ValueError, match="messages"):
        client.run([ChatRequest([])])
    with pytest.raises(ValueError, match=r"messages\[0\]"):
        client.run([ChatRequest(["hello"])])


_CLIENT_SCRIPT = """
import json, sys
from rollout.endpoint import ChatRequest, EndpointClient
url, model, cache, out = sys.argv[1:5]
reqs = [ChatRequest([{"role": "user", "content": f"item {i}"}], {"temperature": 0.0}, id=str(i))
        for i in range(40)]
client = EndpointClient(url, model, concurrency=2, timeout=10, cache_path=cache)
results = client.run(reqs)
with open(out, "w") as fh:
    json.dump([[r.id, r.text, r.cached, r.error] for r in results], fh)
"""


def test_sigkill_mid_run_then_rerun_sends_no_finished_request_again(fake_openai, tmp_path, repo_root):
    server = fake_openai(latency=0.05)
    cache, out = tmp_path / "cache.jsonl", tmp_path / "out.json"
    script = tmp_path / "client.py"
    script.write_text(_CLIENT_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    argv = [sys.executable, str(script), server.url, server.model, str(cache), str(out)]

    proc = subprocess.Popen(argv, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not cache.exists() or cache.read_text().count("\n") < 8):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    server.wait_idle()  # the dead client's sockets are closed: everything it sent is recorded
    assert not out.exists(), "the client finished before it was killed"

    first_run = len(server.snapshot())
    done = {rec["key"] for rec in map(json.loads, cache.read_text().splitlines()) if rec.get("key")}
    key_of = {
        f"item {i}": request_key(
            server.model, [{"role": "user", "content": f"item {i}"}], {"temperature": 0.0}
        )
        for i in range(40)
    }
    finished = {text for text, key in key_of.items() if key in done}
    assert 8 <= len(finished) < 40

    subprocess.run(argv, env=env, check=True, timeout=120)
    rerun = server.snapshot()[first_run:]
    resent = [last_user_content(b) for b in rerun]
    assert not set(resent) & finished  # nothing that had finished was paid for twice
    assert sorted(resent) == sorted(set(key_of) - finished)  # the rest exactly once
    results = json.loads(out.read_text())
    assert [r[0] for r in results] == [str(i) for i in range(40)]
    assert all(r[3] is None and r[1] == f"echo: item {r[0]}" for r in results)
    assert sum(r[2] for r in results) == len(finished)


def test_fake_server_default_responder_is_deterministic():
    body = {"messages": msgs("z")}
    assert echo(body, 0).text == echo(body, 5).text == "echo: z"


def test_null_content_is_a_failure_with_its_reason_not_an_empty_success(fake_openai, tmp_path):
    refusal = json.dumps(
        {
            "id": "chatcmpl-r",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "refusal": "I can't help with that"},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()
    script = {
        "filtered": [Reply(text=None, finish_reason="content_filter")] * 3,
        "refused": [Reply(body=refusal)] * 3,
        "fine": ["a real answer"],
    }
    server = fake_openai(scripted(script))
    client = client_for(server, cache_path=tmp_path / "cache.jsonl")
    res = {r.id: r for r in client.run([ChatRequest(msgs(k), id=k) for k in script])}
    assert res["fine"].ok and res["fine"].text == "a real answer"
    for k in ("filtered", "refused"):
        assert not res[k].ok and res[k].text is None, res[k]
        assert res[k].error.startswith("no content in the reply (content: null;")
    assert "finish_reason='content_filter'" in res["filtered"].error
    assert 'refusal: "I can\'t help with that"' in res["refused"].error
    assert server.hits("filtered") == 1  # a null reply is not retried at once...
    again = {
        r.id: r
        for r in client_for(server, cache_path=tmp_path / "cache.jsonl").run(
            [ChatRequest(msgs(k), id=k) for k in script]
        )
    }
    assert again["fine"].cached and not again["filtered"].cached  # ...nor cached: a re-run asks again
    assert server.hits("filtered") == 2
