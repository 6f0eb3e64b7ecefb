"""EnginePool: two vLLM CPU engines as actors on a private local Ray; one is killed mid-run."""

from __future__ import annotations

from collections import Counter

import pytest

from rollout.engine import GenerationRequest, SamplingSettings


@pytest.mark.slow
def test_pool_survives_a_killed_actor_and_answers_each_request_once(tiny_model):
    import ray

    from rollout.actors import EnginePool

    requests = [GenerationRequest(f"r{i}", f"Write about topic number {i}.") for i in range(16)]
    sampling = SamplingSettings(max_tokens=6, n=2, temperature=1.0)
    streamed = []
    with EnginePool(
        str(tiny_model), num_engines=2, engine_kwargs={"max_model_len": 512}, chunk_size=1
    ) as pool:
        victim = pool.actors[0]

        def on_result(result):
            streamed.append(result)
            if len(streamed) == 2:  # one chunk in: kill an engine while the rest are running
                ray.kill(victim, no_restart=True)

        results = pool.generate(requests, sampling, progress=False, on_result=on_result)
        assert pool.restarts == 1
        assert pool.actors[0] is not victim
        assert 1 <= pool.reruns <= 2  # only the chunks the dead actor still held (2 queued at most)
        # The replacement works on its own too.
        again = pool.generate(requests[:2], sampling, progress=False)
    assert not ray.is_initialized()  # the pool's private cluster is gone

    keys = Counter((r.id, r.sample_index) for r in results)
    assert set(keys) == {(f"r{i}", s) for i in range(16) for s in range(2)}
    assert max(keys.values()) == 1
    assert [(r.id, r.sample_index) for r in results] == sorted(keys, key=lambda k: (int(k[0][1:]), k[1]))
    assert Counter((r.id, r.sample_index) for r in streamed) == keys
    assert all(r.completion_tokens <= 6 for r in results)
    assert [(r.id, r.sample_index) for r in again] == [("r0", 0), ("r0", 1), ("r1", 0), ("r1", 1)]


def test_pool_rejects_bad_arguments_before_starting_ray(tmp_path):
    from rollout.actors import EnginePool

    with pytest.raises(ValueError, match="num_engines"):
        EnginePool("x", num_engines=0)
    with pytest.raises(FileNotFoundError, match="model path not found"):
        EnginePool(str(tmp_path / "missing" / "model"))
