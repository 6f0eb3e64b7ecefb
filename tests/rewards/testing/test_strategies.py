"""The Hypothesis strategies: a drawn length is what the rewards measure; defects and structure are
really there; requests state the length they claim (or none)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rewards.base import RewardConfig, score_batch
from rewards.length.reward import parse_length_requirement
from rewards.testing.strategies import DEFECTS, requests, responses, samples
from rollout.format import parse_response
from rollout.text import count_cjk, count_words

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(responses(units=(1, 3_000)))
def test_the_drawn_length_is_the_measured_length(r):
    parsed = parse_response(r.text)
    assert count_words(parsed.answer) == r.units == count_words(r.answer)
    assert parsed.answer == r.answer.strip()
    if r.language == "zh":
        assert count_cjk(r.answer) == r.units


@FAST
@given(responses(units=(60, 800), defects=[]))
def test_without_defects_a_response_is_well_formed(r):
    assert parse_response(r.text).well_formed
    assert r.plan is not None and r.answer.rstrip().endswith(("。", "."))


@FAST
@given(st.data())
def test_each_defect_is_there(data):
    defect = data.draw(st.sampled_from(DEFECTS))
    r = data.draw(responses(units=(60, 600), defects=[defect]))
    problems = parse_response(r.text).problems
    if defect in ("unclosed_tag", "cut_ending"):
        assert "unclosed_answer" in problems and not r.text.endswith("</answer>")
    if defect == "cut_ending":
        assert not r.answer.endswith(("。", "."))
    if defect == "missing_plan":
        assert "missing_think" in problems and r.plan is None
    if defect == "repeated_paragraphs":
        paragraphs = [p for p in r.answer.split("\n\n") if p]
        assert max(paragraphs.count(p) for p in paragraphs) == 3
    assert count_words(parse_response(r.text).answer) == r.units


@FAST
@given(responses(language="en", units=400, structure=["headings", "lists"], defects=[]))
def test_structure_is_drawn_as_asked(r):
    assert "\n## " in "\n" + r.answer and "\n- " in r.answer
    assert r.structure == ("paragraphs", "headings", "lists")


@FAST
@given(requests(material=False))
def test_a_request_states_the_length_it_claims(req):
    target = parse_length_requirement(req.text)
    assert target is not None and target.lower <= req.length <= target.upper
    assert target.unit == ("chars" if req.language == "zh" else "words")


@FAST
@given(requests(length=False))
def test_a_request_without_a_length_has_none(req):
    assert req.length is None
    assert parse_length_requirement(req.text) is None
    assert (req.material_chars > 0) == ("material" in req.text or "参考材料" in req.text)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples(units=(50, 2_000)))
def test_the_length_reward_stays_in_range_on_drawn_samples(s):
    """A property a user writes with the strategies: the length reward is in [0, 1] on any draw."""
    target = parse_length_requirement(s.request.text)
    meta = {"target": target.to_dict()} if target is None or s.request.material_chars else {}
    [b] = score_batch(
        [{**s.sample, "metadata": meta}] if meta else [s.sample], RewardConfig(rewards={"length": 1.0})
    )
    assert 0.0 <= b.components["length"] <= 1.0
    assert b.answer_len == s.response.units
