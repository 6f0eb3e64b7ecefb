"""rewards.judging.ask_judge reports each judgement as it settles, not when the whole round is done.

A job that stores judgements through ``on_settled`` (prepare-rl's checklists, the judged
benchmarks) must keep every finished one if it is killed mid-round: the loopback judge here answers
one request at once and holds the other for seconds; the fast one must be reported long before.
"""

from __future__ import annotations

import json
import time

from fake_openai import FakeOpenAIServer, Reply

from rewards.judging import ask_judge
from rollout.endpoint import EndpointClient, run_sync


def test_a_fast_judgement_is_settled_before_a_slow_one_finishes():
    def respond(body: dict, attempt: int) -> Reply:
        content = body["messages"][-1]["content"]
        return Reply(text=json.dumps({"score": 7}), delay=3.0 if "slow" in content else 0.0)

    settled: dict[str, float] = {}
    with FakeOpenAIServer(respond) as server:
        client = EndpointClient(server.url, server.model, concurrency=2, max_retries=0)
        start = time.monotonic()

        def parse(text: str):
            return json.loads(text)["score"], None

        async def main():
            try:
                return await ask_judge(
                    client,
                    [("fast", "a fast call"), ("slow", "a slow call")],
                    parse,
                    None,
                    on_settled=lambda out: settled.setdefault(out.id, time.monotonic() - start),
                )
            finally:
                await client.aclose()

        outcomes = run_sync(main())
        total = time.monotonic() - start
    assert [o.value for o in outcomes] == [7, 7] and [o.id for o in outcomes] == ["fast", "slow"]
    assert total >= 3.0
    assert settled["fast"] < 1.5 < settled["slow"], settled  # reported as it settled
