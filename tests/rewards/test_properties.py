"""Property tests: every reward returns finite values in its documented range and never raises on
model output; a sample without a usable length target (a data bug) is a RewardError."""

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewards import RewardConfig, get_reward, score_batch
from rewards.base import Batch, RewardError

ALL = {"rewards": {"length": 1.0, "quality": 1.0, "format": 1.0}}
TAGS = ["<think>", "</think>", "<answer>", "</answer>", "< /Answer >", "<THINK>", "\n\n", "\x00", "\ud800"]

# Arbitrary text including control characters and lone surrogates, with plan/answer tags spliced in.
adversarial = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=40),
        st.sampled_from(TAGS),
        st.text(alphabet="天地人 abc\n", max_size=60),
        st.just("   \t\n  "),
    ),
    max_size=12,
).map("".join)

# Data rows always carry a valid target (prepare-rl refuses anything else) ...
targets = st.integers(1, 50).flatmap(
    lambda lo: st.integers(lo, lo + 60).map(lambda hi: {"lower": lo, "upper": hi})
)
# ... and an unusable one is a data bug the length reward refuses.
bad_targets = st.one_of(
    st.none(),
    st.fixed_dictionaries({"lower": st.integers(-5, 0), "upper": st.integers(-5, 60)}),
    st.integers(2, 50).flatmap(lambda lo: st.just({"lower": lo, "upper": lo - 1})),
    st.just({"lower": "x", "upper": None}),
    st.just([1, 2, 3]),
)


def raw_values(samples, config) -> dict[str, list]:
    """Each reward's own values for ``samples``, before score_batch validates them: the range
    checks below test the rewards themselves, not a value something downstream clipped."""
    cfg = RewardConfig.coerce(config)
    batch = Batch(samples)
    plan = [(n, get_reward(n)) for n in cfg.rewards]
    options = {n: r.resolve_options(cfg.options.get(n)) for n, r in plan}
    for n, r in plan:
        if r.texts is not None:
            batch.request(r.texts(batch, options[n]))
    batch.flush()
    return {n: [c.value for c in r.score(batch, options[n])] for n, r in plan}


def check_raw(samples, config):
    for name, values in raw_values(samples, config).items():
        assert len(values) == len(samples), name
        for v in values:
            assert v is None or (isinstance(v, (int, float)) and math.isfinite(v) and 0.0 <= v <= 1.0), (
                name,
                v,
            )


def check(breakdown, names):
    assert math.isfinite(breakdown.total) and 0.0 <= breakdown.total <= 1.0
    assert set(breakdown.components) == set(names)
    for k, v in breakdown.details.items():
        if isinstance(v, float):
            assert math.isfinite(v), k
    assert breakdown.answer_len >= 0 and breakdown.think_len >= 0
    assert all(isinstance(r, str) for r in breakdown.reasons)


@given(st.lists(st.tuples(adversarial, adversarial, targets), min_size=1, max_size=3))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_all_rewards_total_and_in_range(rows):
    samples = [{"prompt": p, "response": r, "metadata": {"target": t}} for p, r, t in rows]
    check_raw(samples, ALL)
    out = score_batch(samples, ALL)
    assert len(out) == len(samples)
    for b in out:
        check(b, ALL["rewards"])
        b.to_dict()


@given(adversarial, adversarial, bad_targets)
@settings(max_examples=40, deadline=None)
def test_an_unusable_length_target_is_an_error_naming_the_sample(prompt, response, target):
    """No target (none given, none stated in a request without digits) or an invalid one: never a
    missing length value, always a RewardError that names the sample."""
    meta = {"id": "row-7"} | ({"target": target} if target is not None else {})
    prompt = "".join(c for c in prompt if not c.isdigit()) or "Describe rain."
    cfg = {"rewards": {"length": 1.0}}
    from rewards.length.reward import parse_length_requirement

    if target is None and parse_length_requirement(prompt) is not None:
        return  # a number word stated a length: the request has a target
    with pytest.raises(RewardError, match=r"reward 'length' raised .* \(id='row-7'\)"):
        score_batch([{"prompt": prompt, "response": response, "metadata": meta}], cfg)


@given(adversarial)
@settings(max_examples=300, deadline=None)
def test_rule_based_rewards_in_range(text):
    cfg = {"rewards": {"length": 1.0, "format": 1.0}, "options": {"format": {"semantic": False}}}
    sample = {"prompt": "Write 100 words " + text, "response": text}
    check_raw([sample], cfg)
    [b] = score_batch([sample], cfg)
    check(b, cfg["rewards"])


def test_whitespace_only_and_empty():
    out = score_batch(
        [
            {"prompt": "", "response": "", "metadata": {"target": [5, 9]}},
            {"prompt": " \n\t", "response": "   \n\n  ", "metadata": {"target": [5, 9]}},
            {"prompt": "x", "response": None, "metadata": {"target": [5, 9]}},
        ],
        ALL,
    )
    for b in out:
        check(b, ALL["rewards"])
        assert b.components["format"] == 0.0
        assert b.components["quality"] == 0.0


def test_one_megabyte_adversarial_response():
    chunk = (
        "<think>plan</think> The plan said one thing.\x00\x07 \ud800 天地玄黄 <answer> words words "
        "</answer> stray text \n\n Paragraph of prose that goes on for a while. \r\n"
    )
    huge = (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]
    tidy = (
        "<think>a plan</think><answer>" + ("A sentence of honest prose. " * 30 + "\n\n") * 1400 + "</answer>"
    )
    t0 = time.perf_counter()
    out = score_batch(
        [
            {"prompt": "Write 10000 words", "response": huge},
            {"prompt": "写一万字", "response": tidy[:1_000_000]},
        ],
        ALL,
    )
    elapsed = time.perf_counter() - t0
    for b in out:
        check(b, ALL["rewards"])
    assert out[0].components["format"] == 0.0  # broken structure
    assert out[1].components["format"] < 0.2  # the same sentence repeated: lexical and semantic padding
    assert elapsed < 60
