"""The tiny writer: its synthetic corpus (fast) and, slow, the SFT'd model writes well-formed replies."""

from __future__ import annotations

import random
import re

import pytest

from rollout.format import parse_response
from rollout.text import count_words, language_of
from sft_baseline import writer as W


def test_corpus_is_deterministic_bilingual_and_well_formed():
    a, b = W.writer_corpus(seed=3), W.writer_corpus(seed=3)
    assert a == b
    assert a != W.writer_corpus(seed=4)
    langs = {language_of(r["messages"][1]["content"]) for r in a}
    assert langs == {"en", "zh"}
    for row in a[::13]:
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["system", "user", "assistant"]
        parsed = parse_response(row["messages"][2]["content"])
        assert parsed.well_formed, parsed.problems


def test_answer_lengths_spread_within_the_band_and_plan_budgets_add_up():
    rng = random.Random(0)
    for request in ("Write a 2,000-word essay about rivers.", "写一篇800字的散文。"):
        lang = language_of(request)
        low, high = W.ANSWER_BAND[lang]
        lengths = []
        for _ in range(60):
            parsed = parse_response(W.writer_reply(request, rng))
            n = count_words(parsed.answer)
            lengths.append(n)
            assert low <= n <= high + 40, n  # a paragraph ends on a sentence, so it may run over a little
            # The plan's section budgets add up to the answer's length.
            budgets = [int(t) for t in re.findall(r"(\d+)\s*(?:words|字)$", parsed.think, re.M)]
            assert sum(budgets) == n
        assert max(lengths) - min(lengths) > (high - low) / 2  # spread, so GRPO groups vary


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_tiny_writer_is_well_formed_at_temperature_08():
    from rollout.engine import Engine, GenerationRequest, SamplingSettings
    from sft_baseline.writer import tiny_writer_path

    path = tiny_writer_path(0)
    prompts = [
        r["messages"][1]["content"] for r in W.writer_corpus(per_prompt=1)[::5]
    ]  # 40 requests, en and zh
    engine = Engine(str(path), max_model_len=1024, seed=0)
    requests = [GenerationRequest(id=str(i), prompt=p) for i, p in enumerate(prompts)]
    samples = list(engine.generate(requests, SamplingSettings(n=2, max_tokens=512, temperature=0.8, seed=0)))
    assert len(samples) == 2 * len(prompts)
    ok = [parse_response(s.text).well_formed for s in samples]
    share = sum(ok) / len(ok)
    print(f"\nwell-formed: {sum(ok)}/{len(ok)} = {share:.2%}")
    assert share >= 0.9
