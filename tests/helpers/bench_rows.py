"""Checks shared by the loopback benchmarks' tests: the rows of ``benchmarks._loopback.interleaved_rows``."""

import pytest


def check_interleaved_rows(rows, clients, concurrency, latency, waves, repeats):
    """One row per concurrency; per client every run's rate, the best one kept, CPU measured."""
    assert [r["concurrency"] for r in rows] == list(concurrency)
    for r in rows:
        assert r["requests"] == waves * r["concurrency"]
        assert r["ideal"] == pytest.approx(r["concurrency"] / latency)
        for name in clients:
            assert len(r[f"{name}_runs"]) == repeats
            assert r[f"{name}_rps"] == max(r[f"{name}_runs"]) > 0
            assert r[f"{name}_cpu_ms"] > 0
