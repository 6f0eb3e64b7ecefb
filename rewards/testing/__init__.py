"""A test kit for reward models: contract checks, hacking probes and Hypothesis generators.

Use it from your own pytest files (or through the pytest plugin's fixtures, ``reward_contract``
and ``hacking_probe``, registered on install)::

    from rewards.testing import check_reward, probe_hacking

    def test_contract():
        check_reward("my_rewards.brevity:brevity").assert_ok()

    def test_padding_does_not_pay():
        assert probe_hacking("my_rewards.brevity:brevity")["pad_repeat"].raised_share == 0

* :func:`check_reward` (:mod:`rewards.testing.contract`): the contract battery;
* :func:`probe_hacking` (:mod:`rewards.testing.probes`): the standard attacks on good answers;
* :mod:`rewards.testing.strategies`: Hypothesis strategies (imports Hypothesis, so it is not
  re-exported here);
* :mod:`rewards.testing.texts`: deterministic answers of an exact length, plans, requests.

``import rewards.testing`` is light: the names load on first use (PEP 562), and nothing here
imports torch, Hypothesis or pytest.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "check_reward": "rewards.testing.contract",
    "contract_cases": "rewards.testing.contract",
    "ContractCase": "rewards.testing.contract",
    "ContractError": "rewards.testing.contract",
    "ContractResult": "rewards.testing.contract",
    "CaseResult": "rewards.testing.contract",
    "probe_hacking": "rewards.testing.probes",
    "attack": "rewards.testing.probes",
    "PROBES": "rewards.testing.probes",
    "ProbeReport": "rewards.testing.probes",
    "ProbeResult": "rewards.testing.probes",
    "good_answers": "rewards.testing.texts",
    "compose_answer": "rewards.testing.texts",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'rewards.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
