"""Held-out perplexity of a causal LM on long documents, and the tiny CPU CPT experiment.

:func:`heldout_perplexity` scores documents the way CPT trains on them: each document tokenised
without special tokens plus the tokenizer's EOS, cut into windows of ``seq_len`` tokens, each
window's tokens after its first predicted from the tokens before them in the window. Perplexity
is exp(mean negative log-likelihood per scored token), over all documents' scored tokens.

:func:`tiny_cpt_experiment` is the CPU proof of the stage (the slow test and ``benchmarks/cpt.py``
run it): a synthetic long-document corpus (:mod:`sft_baseline.cpt_synthetic`: books, one of
10,000 words, and a small weighted share of reasoning traces), ``longwrite cpt --preset tiny-cpu``
from the tiny random model, and held-out perplexity (documents from another seed) of the base
model (the baseline) and of the exported CPT model, measured in the same run.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["heldout_perplexity", "tiny_cpt_experiment", "TINY_CORPUS", "TINY_HELDOUT"]

#: The training corpus of the tiny experiment (write_corpus arguments; word counts).
TINY_CORPUS = {
    "seed": 0,
    "books": 8,
    "book_words": 3000,
    "traces": 8,
    "trace_steps": 20,
    "long_book_words": 10_000,
}
#: The held-out documents: another seed, so none is a training document.
TINY_HELDOUT = {"seed": 1, "books": 3, "book_words": 2000}
#: Weight of the reasoning traces against the books (1.0).
TRACE_WEIGHT = 0.1


def heldout_perplexity(model: str | os.PathLike, texts: Sequence[str], seq_len: int = 1024) -> dict[str, Any]:
    """Perplexity of the causal LM folder ``model`` on ``texts`` (see the module doc).

    Returns ``{"perplexity", "nll", "tokens" (scored), "documents", "windows"}``; fp32 on CPU.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    lm.eval()
    total_nll = 0.0
    scored = 0
    windows = 0
    with torch.no_grad():
        for text in texts:
            ids = tok(text, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
            for start in range(0, len(ids), seq_len):
                window = ids[start : start + seq_len]
                if len(window) < 2:
                    continue
                x = torch.tensor([window])
                logits = lm(input_ids=x).logits[0, :-1].float()
                nll = torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="sum")
                total_nll += float(nll)
                scored += len(window) - 1
                windows += 1
    if scored == 0:
        raise ValueError("heldout_perplexity: no token to score (empty texts)")
    mean = total_nll / scored
    return {
        "perplexity": math.exp(mean),
        "nll": mean,
        "tokens": scored,
        "documents": len(texts),
        "windows": windows,
    }


def tiny_cpt_experiment(
    out: str | os.PathLike, overrides: Sequence[str] = (), timeout: float = 1800.0
) -> dict[str, Any]:
    """Run the tiny CPT experiment into ``out`` (module doc); return and write ``out/experiment.json``.

    Keys: ``base`` and ``cpt`` (:func:`heldout_perplexity` results), ``ratio`` (cpt / base
    perplexity), ``meta`` (``OUT/cpt.json`` of the run: mix, losses, export), ``corpus``.
    """
    from rollout.tiny import tiny_model_path
    from sft_baseline.cpt import build_cpt_plan, run_cpt
    from sft_baseline.cpt_synthetic import write_corpus

    out = Path(out).resolve()
    corpus = write_corpus(out / "corpus", **TINY_CORPUS)
    heldout = write_corpus(out / "heldout", **TINY_HELDOUT)["books"]
    texts = [json.loads(line)["text"] for line in heldout.read_text(encoding="utf-8").splitlines()]
    train_texts = {
        json.loads(line)["text"] for line in corpus["books"].read_text(encoding="utf-8").splitlines()
    }
    if train_texts & set(texts):
        raise AssertionError("a held-out document is also a training document")
    plan = build_cpt_plan(
        "tiny-cpu",
        out / "cpt",
        [str(corpus["books"]), f"{corpus['traces']}:{TRACE_WEIGHT}"],
        overrides,
    )
    seq_len = int(plan.cfg.data.max_length)
    base = heldout_perplexity(tiny_model_path(0), texts, seq_len)
    meta = run_cpt(plan, timeout=timeout)
    after = heldout_perplexity(meta["hf"], texts, seq_len)
    result = {
        "base": base,
        "cpt": after,
        "ratio": after["perplexity"] / base["perplexity"],
        "meta": meta,
        "corpus": {"train": TINY_CORPUS, "heldout": TINY_HELDOUT, "trace_weight": TRACE_WEIGHT},
    }
    (out / "experiment.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result
