"""Continued pre-training on CPU: held-out perplexity of the tiny model before and after CPT.

Runs :func:`sft_baseline.cpt_eval.tiny_cpt_experiment`: ``longwrite cpt --preset tiny-cpu`` on a
synthetic long-document corpus (8 books of 3,000 words, one of 10,000 words, reasoning traces at
weight 0.1 against the books' 1.0), packs of 1,024 tokens, then held-out perplexity (3 books of
2,000 words from another seed) of the exported CPT model against the base model it started from
(the baseline, measured in the same run). Prints the table, the realised mix and the run's loss.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Run the experiment in a temporary folder and print its table."""
    from sft_baseline.cpt import format_mix
    from sft_baseline.cpt_eval import tiny_cpt_experiment

    out = Path(tempfile.mkdtemp(prefix="bench-cpt-"))
    t0 = time.monotonic()
    try:
        res = tiny_cpt_experiment(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    seconds = time.monotonic() - t0
    base, cpt, meta = res["base"], res["cpt"], res["meta"]
    print(
        f"held-out: {base['documents']} documents, {base['tokens']} scored tokens in {base['windows']} windows"
    )
    print("| model | held-out perplexity | NLL / token | perplexity vs base |")
    print("|---|---|---|---|")
    print(f"| tiny base (baseline) | {base['perplexity']:.1f} | {base['nll']:.3f} | 1.00x |")
    print(
        f"| after CPT ({meta['steps']} steps) | {cpt['perplexity']:.1f} | {cpt['nll']:.3f} | {res['ratio']:.3f}x |"
    )
    print(f"train/loss: first {meta['loss_first']:.3f}, last {meta['loss_last']:.3f}")
    print(format_mix(meta["mix"]))
    print(f"wall time (corpus, CPT, export, both evaluations): {seconds:.0f} s")


if __name__ == "__main__":
    main()
