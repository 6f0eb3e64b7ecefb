"""``make demo`` / ``longwrite demo``: plan-then-write samples from the tiny model through vLLM.

Builds (or reuses) the tiny random model, renders a few English and Chinese requests with the
plan-then-write template, generates with vLLM's CPU build (:class:`rollout.engine.Engine`, which
stops each sample after ``</answer>``), and prints each sample's parsed plan
and answer with their lengths (English words / Chinese characters). A random model writes noise,
so most samples are malformed: the point is that every stage runs and the parser reports why.
"""

from __future__ import annotations

import argparse
import os
import sys

DEMO_REQUESTS = (
    "Write a 600-word essay about how rivers shape the cities built beside them.",
    "写一篇800字左右的散文，题目是《秋天的图书馆》。",
    "Write a short story of about 1,000 words about a lighthouse keeper's last night.",
    "请写一篇不少于1500字的科普文章，介绍海洋中的微塑料问题。",
)


def run_demo(n: int = 2, max_tokens: int = 256, seed: int = 0) -> list[dict]:
    """Generate ``n`` samples per demo request; return one summary dict per sample."""
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rollout.engine import Engine, GenerationRequest, SamplingSettings
    from rollout.text import count_words, language_of
    from rollout.tiny import tiny_model_path

    engine = Engine(str(tiny_model_path(seed=0)), max_model_len=4096, seed=seed)
    requests = [GenerationRequest(id=str(i), prompt=r) for i, r in enumerate(DEMO_REQUESTS)]
    # The engine seeds each request from (seed, id), so requests draw differently yet reproducibly.
    sampling = SamplingSettings(n=n, max_tokens=max_tokens, temperature=1.0, seed=seed)
    rows = []
    for sample in engine.generate(requests, sampling):
        rows.append(
            {
                "request": sample.prompt,
                "language": language_of(sample.prompt),
                "think_len": count_words(sample.think),
                "answer_len": count_words(sample.answer),
                "well_formed": sample.well_formed,
                "problems": sample.problems,
                "finish_reason": sample.finish_reason,
                "tokens": sample.completion_tokens,
                "answer_head": sample.answer[:60],
            }
        )
    return rows


def _print_rows(rows: list[dict]) -> None:
    print(f"\n{'lang':4} {'tokens':>6} {'finish':6} {'plan':>5} {'answer':>6} {'ok':3} problems")
    for r in rows:
        print(
            f"{r['language']:4} {r['tokens']:>6} {r['finish_reason']:6} {r['think_len']:>5} "
            f"{r['answer_len']:>6} {'yes' if r['well_formed'] else 'no':3} {','.join(r['problems']) or '-'}"
        )
        print(f"     request: {r['request'][:70]}")
        print(f"     answer:  {r['answer_head']!r}")
    print("\nLengths: English words / Chinese characters (LongBench-Write's rule).")


def _cmd(args: argparse.Namespace) -> int:
    _print_rows(run_demo(n=args.n, max_tokens=args.max_tokens, seed=args.seed))
    return 0


def register(subparsers) -> None:
    """Add ``longwrite demo``."""
    p = subparsers.add_parser(
        "demo",
        help="generate plan-then-write samples from the tiny model and show how they parse",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--n", type=int, default=2, help="samples per request (default: 2)")
    p.add_argument("--max-tokens", type=int, default=256, help="tokens per sample (default: 256)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default: 0)")
    p.set_defaults(func=_cmd)


if __name__ == "__main__":
    from longwrite.cli import main

    sys.exit(main(["demo", *sys.argv[1:]]))
