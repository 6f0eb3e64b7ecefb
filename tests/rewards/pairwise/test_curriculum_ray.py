"""The curriculum as a named Ray actor on a real local Ray: two processes share one set of levels."""

import pytest

from rewards.pairwise.curriculum import ACTOR_NAME, CurriculumStore, get_curriculum, load_state, save_state

pytestmark = pytest.mark.slow


def test_named_actor_is_shared_by_two_processes(tmp_path):
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        store = get_curriculum(ACTOR_NAME, threshold=0.5)  # the driver owns it (as the trainer does)

        def report(pid, wins, level):
            from rewards.pairwise.curriculum import get_curriculum

            c = get_curriculum(ACTOR_NAME, threshold=0.5)
            return c.report(pid, wins, 2, level, 3), c.get_levels([pid])[pid], __import__("os").getpid()

        # Ray tasks run in worker processes, never in this driver; max_calls=1 retires the worker
        # after its call, so the next report comes from a fresh process.
        reporter = ray.remote(num_cpus=0)(report)
        fresh_reporter = ray.remote(num_cpus=0, max_calls=1)(report)

        # process 1 advances p to level 1; process 2 reports a stale level-0 result and then
        # sees level 1 (the same actor), and advances it again from there
        r1 = ray.get(fresh_reporter.remote("p", 2, 0))
        r2 = ray.get(fresh_reporter.remote("p", 2, 0))
        r3 = ray.get(reporter.remote("p", 1, 1))
        import os

        # Every report came from another process than the driver, and the first two from two
        # different processes (the first one's worker retired after its call): the levels they
        # agree on live in the actor, not in a process.
        assert os.getpid() not in (r1[2], r2[2], r3[2])
        assert r1[2] != r2[2]
        assert r1[:2] == (True, 1)
        assert r2[:2] == (False, 1)
        assert r3[:2] == (True, 2)
        assert store.get_levels(["p"]) == {"p": 2}
        m = store.step_metrics()
        assert m["advances"] == 2 and m["stale_reports"] == 1
        save_state(store, tmp_path)
        fresh = CurriculumStore()
        assert load_state(fresh, tmp_path) and fresh.get_levels(["p"]) == {"p": 2}
    finally:
        ray.shutdown()
