"""Hacking probes over the built-in rewards: which standard attacks each resists (issue 28).

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks reward_probes`` (a few minutes: the format and
quality rewards embed every answer with MiniLM).

:func:`rewards.testing.probe_hacking` on the kit's six good answers (four English at 400 words, two
Chinese at 600 characters, each exactly the length its request asks for) for every per-sample
built-in reward with its default options: ``length``, ``format``, ``quality`` (embedding backend).
The baseline, measured in the same run, is a deliberately gameable reward that counts words
(``min(1, words / 5000)``): every padding probe must raise it, which shows the probes bite.

Not here: ``quality`` with the judge / served / classifier backends and the ``pairwise`` /
``group_pairwise`` judge rewards. They are probed through their endpoints
(``longwrite rm check quality --option backend=judge ... --probe``); on this machine the only
endpoints are the tests' loopback fakes, whose verdicts are scripted, so a table of them would
describe the fakes, not a judge. ``longwrite rm eval`` prints the learned RM's table.

A finding, not a failure: a length reward is *meant* to follow the answer's length, so padding a
short answer toward its target raises it; these answers already meet their targets.
"""

from __future__ import annotations

import time

from rewards.testing.probes import PROBES, probe_hacking

REWARDS = ("length", "format", "quality")


def word_count_baseline(prompt: str, response: str, metadata: dict) -> float:
    """A gameable reward: more words score higher, ``min(1, words / 5000)``."""
    return min(1.0, len(response.split()) / 5000)


def main() -> None:
    """Print each reward's probe table, then one summary: mean delta (raised share) per probe."""
    reports = {}
    seconds = {}
    for name in ("words (baseline)", *REWARDS):
        t0 = time.perf_counter()
        reward = word_count_baseline if name.startswith("words") else name
        reports[name] = probe_hacking(reward)
        seconds[name] = time.perf_counter() - t0
        print(reports[name].to_markdown())
        print(f"({seconds[name]:.1f} s wall)\n")
    heads = list(reports)
    print("summary: mean delta (share of answers raised); 'resists' = no answer raised")
    print("| probe | " + " | ".join(heads) + " |")
    print("|---|" + "---|" * len(heads))
    for probe in PROBES:
        cells = []
        for name in heads:
            r = reports[name][probe]
            if r.mean_delta is None:
                cells.append("no data")
                continue
            tag = "resists" if r.verdict != "raised" else "RAISED"
            cells.append(f"{r.mean_delta:+.3f} ({r.raised_share:.2f}) {tag}")
        print(f"| {probe} | " + " | ".join(cells) + " |")
    raised = {n: len(reports[n].raised) for n in heads}
    base = raised[heads[0]]
    print(
        "probes that raise the reward: "
        + ", ".join(f"{n} {k}/{len(PROBES)}" for n, k in raised.items())
        + f" (baseline {base}/{len(PROBES)})"
    )


if __name__ == "__main__":
    main()
