"""The default embedding quality backend: orderings a reader would expect."""

import pytest

from rewards import score_batch
from rewards.quality.reward import plan_sections

Q = {"rewards": {"quality": 1.0}}

OFF_TOPIC = [
    "Preheat the oven to two hundred degrees and grease a round cake tin with butter.",
    "Whisk the eggs with sugar until pale, then fold in the flour and a pinch of salt.",
    "Bake for thirty minutes, until a skewer pushed into the middle comes out clean.",
    "Let the cake cool on a rack before spreading the chocolate icing over the top.",
]


def q(prompt, response):
    return score_batch([{"prompt": prompt, "response": response}], Q)[0]


def test_plan_sections():
    plan = "1. Intro to rivers and farms\n- trade along the banks\n# Heading\n\n二、治水与国家形成\nok"
    assert plan_sections(plan) == ["Intro to rivers and farms", "trade along the banks", "治水与国家形成"]


def test_on_topic_beats_off_topic(writing):
    good = q(writing.en_prompt, writing.response(writing.en_plan, writing.en_paragraphs))
    off = q(writing.en_prompt, writing.response(writing.en_plan, OFF_TOPIC))
    assert good.components["quality"] > off.components["quality"] + 0.2
    assert good.details["quality.relevance"] > off.details["quality.relevance"]
    assert good.details["quality.coverage"] > off.details["quality.coverage"]
    assert any("low relevance" in r or "low coverage" in r for r in off.reasons)
    assert good.components["quality"] > 0.7


def test_padding_lowers_variety(writing):
    honest = q(writing.en_prompt, writing.response(writing.en_plan, writing.en_paragraphs))
    padded = q(writing.en_prompt, writing.response(writing.en_plan, writing.en_paragraphs * 3))
    assert padded.details["quality.variety"] < honest.details["quality.variety"]
    assert padded.components["quality"] < honest.components["quality"]


def test_no_plan_leaves_coverage_missing_not_zero(writing):
    b = q(writing.en_prompt, "<answer>" + "\n\n".join(writing.en_paragraphs) + "</answer>")
    assert b.details["quality.coverage"] is None
    assert b.components["quality"] > 0.5


def test_single_paragraph_has_relevance_only(writing):
    b = q(writing.en_prompt, writing.response(writing.en_plan, writing.en_paragraphs[:1]))
    assert b.details["quality.coherence"] is None and b.details["quality.variety"] is None
    assert b.details["quality.relevance"] is not None


def test_chinese_and_empty(writing):
    zh = q(writing.zh_prompt, writing.response(writing.zh_plan, writing.zh_paragraphs))
    off = q(writing.zh_prompt, writing.response(writing.zh_plan, OFF_TOPIC))
    assert zh.components["quality"] > off.components["quality"]
    empty = q(writing.zh_prompt, "<think>plan</think><answer> </answer>")
    assert empty.components["quality"] == 0.0 and "quality: empty answer" in empty.reasons


def test_deterministic(writing):
    r = writing.response(writing.en_plan, writing.en_paragraphs)
    assert q(writing.en_prompt, r).components["quality"] == pytest.approx(
        q(writing.en_prompt, r).components["quality"]
    )
