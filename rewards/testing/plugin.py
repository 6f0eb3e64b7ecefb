"""The pytest plugin of the reward test kit: fixtures ``reward_contract`` and ``hacking_probe``.

Registered on install through the ``pytest11`` entry point (pyproject.toml), so any pytest run
in an environment with longwriter-rl installed has the fixtures; without the install, load it
with ``pytest -p rewards.testing.plugin`` or ``pytest_plugins = ["rewards.testing.plugin"]``
in a conftest.py (the entry point has the module's own name, so both ways load it once).

``reward_contract(reward, **options)`` runs :func:`rewards.testing.check_reward` and fails the
test with every broken case named; it returns the :class:`rewards.testing.ContractResult`.
``hacking_probe(reward, **options)`` runs :func:`rewards.testing.probe_hacking`, prints its
table (shown by ``pytest -rA`` or on failure) and returns the :class:`rewards.testing.ProbeReport`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def reward_contract() -> Callable[..., Any]:
    """``reward_contract(reward, **options)``: the contract battery; a broken case fails the test."""

    def run(reward: Any, **options: Any):
        from rewards.testing.contract import check_reward

        result = check_reward(reward, **options)
        print(result.to_markdown())
        if not result.ok:
            pytest.fail(_message(result), pytrace=False)
        return result

    return run


def _message(result: Any) -> str:
    try:
        result.assert_ok()
    except AssertionError as exc:
        return str(exc)
    return ""


@pytest.fixture
def hacking_probe() -> Callable[..., Any]:
    """``hacking_probe(reward, answers=None, prompts=None, **options)``: the probe report (printed)."""

    def run(reward: Any, answers: Any = None, prompts: Any = None, **options: Any):
        from rewards.testing.probes import probe_hacking

        report = probe_hacking(reward, answers, prompts, **options)
        print(report.to_markdown())
        return report

    return run
