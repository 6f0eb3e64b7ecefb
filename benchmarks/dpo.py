"""DPO from the tiny writer on its own length-scored pairs: S_l and margin, SFT writer vs DPO.

Runs :func:`longwrite.dpo_learning.run_dpo_learning` (the same run as the slow test
``tests/sft_baseline/test_dpo_learning.py``) and prints

* the table: the SFT writer (the baseline, evaluated in the same run on the same items with the
  same sampling) and the DPO model - LongBench-Write S_l (items with required length <= 300
  words), mean produced length (words / Chinese characters), held-out margin - and the ratio
  DPO / SFT;
* the paired statistics over items: wins / losses / ties, the one-sided exact sign-test p-value
  and the paired-bootstrap 95% interval of the mean S_l difference;
* the held-out margin curve (before training, then after each epoch).

``python -m benchmarks dpo`` (several minutes on 2 cores; builds the tiny writer first if needed).
Set ``LONGWRITE_BENCH_OUT`` to keep the run folder (default: a temporary folder; a kept folder's
``dpo/pairs-all.jsonl`` is reused by a re-run) and ``LONGWRITE_BENCH_DATA`` to a LongBench-Write
folder (default: as ``longwrite demo`` finds it).
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Run the DPO learning run once and print its tables."""
    from longwrite.demo import resolve_data
    from longwrite.dpo_learning import LEARNING_DEFAULTS, run_dpo_learning

    lbw, _ = resolve_data(os.environ.get("LONGWRITE_BENCH_DATA"))  # a folder, as `demo --data`
    keep = os.environ.get("LONGWRITE_BENCH_OUT")
    out = Path(keep) / "dpo" if keep else Path(tempfile.mkdtemp(prefix="bench-dpo-"))
    t0 = time.monotonic()
    try:
        r = run_dpo_learning(out, lbw, **LEARNING_DEFAULTS)  # the slow test's settings
        curve = r.dpo["val_curve"]
        print(f"machine: {platform.machine()} {os.cpu_count()} CPU(s); {time.strftime('%Y-%m-%d')}")
        print(
            f"pairs: {r.pairs}; DPO budget {r.dpo['budget']}; cut pairs {r.dpo['cuts']['train']['cut_pairs']}"
        )
        print("\n| model | LongBench-Write S_l | mean produced | held-out margin |")
        print("|---|---|---|---|")
        print(f"| SFT writer (baseline) | {r.overall['sft-writer']:.1f} | {r.produced['sft-writer']:.0f} "
              f"| {curve[0]['margin']:.4f} |")  # fmt: skip
        print(f"| DPO | {r.overall['dpo']:.1f} | {r.produced['dpo']:.0f} | {curve[-1]['margin']:.4f} |")
        ratio = r.overall["dpo"] / r.overall["sft-writer"] if r.overall["sft-writer"] else float("inf")
        print(f"\nS_l ratio DPO / SFT writer: {ratio:.2f}")
        s = r.stats
        print(
            f"paired over {s.n} items: DPO better on {s.wins}, worse on {s.losses}, tied {s.ties}; "
            f"one-sided sign test p = {s.sign_p:.4f}; mean S_l difference {s.mean_diff:+.1f}, "
            f"paired bootstrap 95% [{s.ci_low:+.1f}, {s.ci_high:+.1f}]"
        )
        print("\n| epoch | held-out margin | held-out accuracy |")
        print("|---|---|---|")
        for row in curve:
            print(f"| {row['epoch']:.0f} | {row['margin']:.4f} | {row['accuracy']:.3f} |")
        print("\nstage seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in r.seconds.items()))
        print(f"total {time.monotonic() - t0:.0f} s")
    finally:
        if not keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
