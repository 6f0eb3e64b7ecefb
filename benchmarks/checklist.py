"""Checklist reward: cost (judge calls, tokens) and agreement of its two modes, per answer and at
LongWriter-Zero scale.

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks checklist`` (about a minute on 2 cores).

Both modes score the same ``N_ANSWERS`` 10,000-word answers to one request of several thousand
characters, each with a checklist of ``N_CRITERIA`` criteria (2 hard), through the real reward path
(:func:`rewards.score_batch`, the endpoint client, real HTTP). The judge is the loopback checklist
judge of the tests (tests/helpers/fake_judge.checklist_judge_responder: it scores each criterion from
whether the answer uses a term), unless ``CHECKLIST_JUDGE_URL`` and ``CHECKLIST_JUDGE_MODEL`` name a
real OpenAI-compatible judge (then its own token counts are reported).

Measured per answer: judge calls, prompt and completion tokens (the endpoint's ``usage``; the
loopback server counts whitespace-separated words, so its figures are converted at
``TOKENS_PER_WORD`` = 1.3 Qwen tokens per English word, an assumption), and the wall time. The
baseline is ``per_criterion`` (WritingBench's one call per criterion); ``all_at_once`` is given as
its ratio. Agreement: the share of (answer, criterion) scores that are equal in both modes, the
mean absolute difference of the rewards, and how often the veto decision agrees. Projected (not
measured): a LongWriter-Zero step of ``STEP_ANSWERS`` = 1,024 answers (32 prompts x 32 rollouts,
configs/rl/qwen2.5-32b.yaml) is the per-answer figure x 1,024.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

N_ANSWERS = 16
N_CRITERIA = 5
WORDS = 10_000
STEP_ANSWERS = 1024
TOKENS_PER_WORD = 1.3  # Qwen2.5 tokenizer on English prose (assumption; loopback usage is in words)
TERMS = ["lighthouse", "keeper", "fresnel", "harbour", "beacon"]
REQUEST = (
    "Write a long report on the history of lighthouses along the northern coast, for a local museum. "
    + "Cover the keepers and their families, the lamps and lenses, the great storms, the shipping "
    "routes and the towns that grew around the lights, with dates where they are known. " * 16
)


def _helpers() -> None:
    helpers = str(Path(__file__).resolve().parents[1] / "tests" / "helpers")
    if helpers not in sys.path:
        sys.path.insert(0, helpers)


def _answers(seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    filler = "the coast had long nights and the sea was loud and cold near the rocks".split()
    out = []
    for _ in range(N_ANSWERS):
        used = [t for t in TERMS if rng.random() < 0.6]
        body = [rng.choice(filler) for _ in range(WORDS - len(used))]
        for t in used:
            body.insert(rng.randrange(len(body)), t)
        out.append(f"<think>plan</think><answer>{' '.join(body)}</answer>")
    return out


def _checklist() -> list[dict]:
    _helpers()
    from fake_judge import term_checklist

    return term_checklist(TERMS, hard=TERMS[:2])


def _score(url: str, model: str, mode: str, answers: list[str]) -> tuple[list, float]:
    from rewards.base import RewardConfig, score_batch

    meta = {"checklist": json.dumps(_checklist())}
    cfg = RewardConfig({"checklist": 1.0}, {"checklist": {"base_url": url, "model": model, "mode": mode}})
    t0 = time.perf_counter()
    out = score_batch([{"prompt": REQUEST, "response": a, "metadata": dict(meta)} for a in answers], cfg)
    return out, time.perf_counter() - t0


def _row(out: list, seconds: float, loopback: bool) -> dict[str, float]:
    scale = TOKENS_PER_WORD if loopback else 1.0
    n = len(out)
    return {
        "calls": sum(b.details["checklist.judge_calls"] for b in out) / n,
        "prompt_tokens": scale * sum(b.details["checklist.prompt_tokens"] for b in out) / n,
        "completion_tokens": scale * sum(b.details["checklist.completion_tokens"] for b in out) / n,
        "seconds": seconds / n,
    }


def main() -> None:
    """Measure both modes (see the module doc) and print the tables."""
    url, model = os.environ.get("CHECKLIST_JUDGE_URL"), os.environ.get("CHECKLIST_JUDGE_MODEL", "judge")
    answers = _answers()
    server = None
    if not url:
        _helpers()
        from fake_judge import checklist_judge_responder
        from fake_openai import FakeOpenAIServer

        server = FakeOpenAIServer(checklist_judge_responder()).start()
        url, model = server.url, "fake-model"
    try:
        results = {mode: _score(url, model, mode, answers) for mode in ("per_criterion", "all_at_once")}
    finally:
        if server is not None:
            server.stop()
    rows = {mode: _row(out, s, server is not None) for mode, (out, s) in results.items()}
    judge = "loopback checklist judge (tests/helpers/fake_judge.py)" if server else f"{model} at {url}"
    print(f"judge: {judge}; {N_ANSWERS} answers x {WORDS:,} words, request {len(REQUEST):,} characters, "
          f"{N_CRITERIA} criteria (2 hard)")  # fmt: skip
    print(f"\nper answer            {'calls':>8} {'prompt tok':>12} {'compl. tok':>11} {'wall s':>8}")
    base = rows["per_criterion"]
    for mode, r in rows.items():
        print(
            f"{mode:<20} {r['calls']:>8.2f} {r['prompt_tokens']:>12,.0f} {r['completion_tokens']:>11,.0f} {r['seconds']:>8.3f}"
        )
    ratio = rows["all_at_once"]
    print(
        f"ratio all_at_once / per_criterion (same run): calls {ratio['calls'] / base['calls']:.2f}, "
        f"prompt tokens {ratio['prompt_tokens'] / base['prompt_tokens']:.2f}, "
        f"completion tokens {ratio['completion_tokens'] / base['completion_tokens']:.2f}, "
        f"wall {ratio['seconds'] / base['seconds']:.2f}"
    )
    print(f"\nLongWriter-Zero step ({STEP_ANSWERS:,} answers = per answer x {STEP_ANSWERS:,}; projected)")
    for mode, r in rows.items():
        print(
            f"{mode:<20} {r['calls'] * STEP_ANSWERS:>10,.0f} calls {r['prompt_tokens'] * STEP_ANSWERS / 1e6:>8.2f}M prompt tokens "
            f"{r['completion_tokens'] * STEP_ANSWERS / 1e6:>6.3f}M completion tokens"
        )
    a, b = results["per_criterion"][0], results["all_at_once"][0]
    same = total = 0
    for x, y in zip(a, b, strict=True):
        sx, sy = json.loads(x.details["checklist.scores"]), json.loads(y.details["checklist.scores"])
        same += sum(sx[k] == sy.get(k) for k in sx)
        total += len(sx)
    diff = sum(abs(x.total - y.total) for x, y in zip(a, b, strict=True)) / len(a)
    veto = sum(
        x.details["checklist.vetoed"] == y.details["checklist.vetoed"] for x, y in zip(a, b, strict=True)
    )
    print(
        f"\nagreement: {same}/{total} criterion scores equal, mean |reward difference| {diff:.4f}, "
        f"veto decision equal for {veto}/{len(a)} answers"
    )
