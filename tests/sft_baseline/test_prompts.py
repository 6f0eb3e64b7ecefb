"""AgentWrite prompt parsing: plans, numbering artifacts, the plan regex."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from sft_baseline.prompts import (
    PlanStep,
    clean_section,
    format_plan,
    parse_plan,
    plan_messages,
    plan_regex,
    write_messages,
)


def test_parse_plan_variants():
    steps, err = parse_plan(
        "Here is my plan:\n\n**Paragraph 1** - Main point: Rivers, 3 ways - Word count: 1,200 words\n"
        "Paragraph 2 - Main point: Cities - Word count: about 300 words\nThat's all."
    )
    assert err is None and steps == [PlanStep(1, "Rivers, 3 ways", 1200), PlanStep(2, "Cities", 300)]
    steps, err = parse_plan("段落1 - 要点：秋天 - 字数：300字\n第2段：图书馆 - 字数：500字")
    assert err is None and [s.words for s in steps] == [300, 500] and steps[1].point == "图书馆"
    assert parse_plan("1. Intro (300 words)\n2. Body - about 700 words")[0][1] == PlanStep(2, "Body", 700)


def test_parse_plan_reasons():
    assert parse_plan("")[1] == "empty plan"
    assert parse_plan("I will write a lovely essay.")[1] == "no numbered paragraph with a word count"
    assert "no word count" in parse_plan("Paragraph 1 - Intro\nParagraph 2 - 300 words")[1]
    assert "word count of 0" in parse_plan("Paragraph 1 - Intro - Word count: 0 words")[1]
    assert parse_plan(None)[1] == "empty plan"


@given(st.text(max_size=300))
def test_parse_plan_and_clean_section_never_raise(text):
    steps, err = parse_plan(text)
    assert (steps == []) == (err is not None)
    assert isinstance(clean_section(text), str)


@given(
    st.lists(
        st.tuples(
            st.text("abcdefghij klmnop,", min_size=4, max_size=40).filter(str.strip), st.integers(200, 999)
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["en", "zh"]),
)
def test_format_then_parse_round_trips_and_matches_the_regex(rows, lang):
    steps = [PlanStep(i + 1, p.strip(" ,") or "x", w) for i, (p, w) in enumerate(rows)]
    steps = [s for s in steps if len(s.point) >= 4] or [PlanStep(1, "long point", 300)]
    steps = [PlanStep(i + 1, s.point, s.words) for i, s in enumerate(steps)]
    text = format_plan(steps, lang)
    assert parse_plan(text) == (steps, None)
    assert re.fullmatch(plan_regex(lang, 8), text + "\n")


def test_clean_section_strips_labels_only():
    assert clean_section("Paragraph 3: Rivers shape cities.") == "Rivers shape cities."
    assert clean_section("**Paragraph 3 - Intro**\nRivers shape.") == "Rivers shape."
    assert clean_section("## 3. Title\nBody text (Word count: 400 words)") == "Body text"
    assert clean_section("第3段：秋天来了。\n字数：300字") == "秋天来了。"
    assert clean_section("3.5 million people live here.") == "3.5 million people live here."
    assert clean_section("1990 was a year.") == "1990 was a year."


def test_write_prompt_carries_plan_text_so_far_and_step():
    steps = [PlanStep(1, "Rivers", 300), PlanStep(2, "Cities", 400)]
    msg = write_messages("Write about rivers.", steps, ["First paragraph text."], "en")[0]["content"]
    assert "Write about rivers." in msg and "Paragraph 2 - Main point: Cities - Word count: 400 words" in msg
    assert "First paragraph text." in msg and "Current step: paragraph 2 of 2. Main point: Cities." in msg
    zh = write_messages("写秋天。", steps, [], "zh")[0]["content"]
    assert "当前步骤：第1段，共2段" in zh and "尚无内容" in zh
    assert "200" in plan_messages("Write.", "en")[0]["content"]
