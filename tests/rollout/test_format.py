import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollout.format import (
    BASE_CHAT_TEMPLATE,
    PROBLEM_CODES,
    base_prompt,
    chat_messages,
    instructions,
    parse_response,
    render_prompt,
)

GOOD = "<think>1. Intro (100 words)\n2. Body (400 words)</think>\n<answer>Rivers shape cities.</answer>"

# (response, expected answer, expected think, expected problems) - written by hand.
CASES = [
    (GOOD, "Rivers shape cities.", "1. Intro (100 words)\n2. Body (400 words)", []),
    ("  <think> p </think>  <answer> a </answer>  \n", "a", "p", []),
    ("<THINK>p</Think><Answer>a</ANSWER>", "a", "p", []),
    ("< think >p< /think ><answer>a< / answer >", "a", "p", []),
    (
        "<think>计划：三段</think><answer>秋天的图书馆很安静。</answer>",
        "秋天的图书馆很安静。",
        "计划：三段",
        [],
    ),
    ("<answer>only an answer</answer>", "only an answer", "", ["missing_think"]),
    ("<think>plan</think><answer>text that never ends", "text that never ends", "plan", ["unclosed_answer"]),
    ("<think>plan</think><answer>a</answer> P.S. more", "a", "plan", ["text_after_answer"]),
    (
        "<think>plan</think><answer>short</answer><answer>the longer one</answer>",
        "the longer one",
        "plan",
        ["multiple_answers"],
    ),
    ("<think>plan <answer>inside</answer></think>", "inside", "plan", ["nested_tags"]),
    ("<think>plan</think><answer>   </answer>", "", "plan", ["empty_answer"]),
    ("<think></think><answer>a</answer>", "a", "", ["empty_think"]),
    (
        "<think>plan</think>then the text without tags",
        "then the text without tags",
        "plan",
        ["missing_answer"],
    ),
    ("just some text", "just some text", "", ["missing_think", "missing_answer"]),
    ("", "", "", ["missing_think", "missing_answer"]),
    ("<think>a plan that never closes and no answer", "", "a plan that never closes and no answer", None),
    ("<answer>first</answer><think>plan</think>", "first", "plan", ["answer_before_think"]),
    ("Sure! <think>p</think><answer>a</answer>", "a", "p", ["text_before_think"]),
    ("<think>p</think> chatter <answer>a</answer>", "a", "p", ["text_between"]),
    ("plan only</think><answer>a</answer>", "a", "plan only", ["unopened_think"]),
    ("<think>p</think>body text</answer>", "body text", "p", ["unopened_answer"]),
    ("<think>p</think><think>q</think><answer>a</answer>", "a", "p", ["multiple_thinks"]),
]


@pytest.mark.parametrize(("text", "answer", "think", "problems"), CASES)
def test_parse_table(text, answer, think, problems):
    parsed = parse_response(text)
    assert parsed.answer == answer
    assert parsed.think == think
    if problems is not None:
        for code in problems:
            assert code in parsed.problems, (code, parsed.problems)
        if not problems:
            assert parsed.problems == []
    assert parsed.well_formed == (problems == [])
    assert all(code in PROBLEM_CODES for code in parsed.problems)


def test_unclosed_think_is_reported():
    parsed = parse_response("<think>a plan that never closes")
    assert "unclosed_think" in parsed.problems and "missing_answer" in parsed.problems
    assert not parsed.well_formed


@pytest.mark.parametrize("junk", [None, b"\xff\xfe<think>x</think><answer>y</answer>", 12345, object()])
def test_never_raises_on_non_strings(junk):
    parsed = parse_response(junk)
    assert isinstance(parsed.answer, str)


def test_huge_input_is_linear_enough():
    body = "word " * 200_000  # about 1 MB
    parsed = parse_response(f"<think>p</think><answer>{body}</answer>")
    assert parsed.well_formed and parsed.answer == body.strip()


TAGS = ["<think>", "</think>", "<answer>", "</answer>", "<THINK>", "< /answer >", "<", ">", "/"]
fragments = st.lists(st.one_of(st.sampled_from(TAGS), st.text(max_size=20)), max_size=12).map("".join)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), fragments))
def test_properties(text):
    parsed = parse_response(text)
    assert parsed.answer in text
    assert parsed.think in text
    assert parsed.well_formed == (not parsed.problems)
    if parsed.well_formed:
        # Exactly one non-empty think before exactly one non-empty answer, nothing after it.
        low = text.lower()
        assert parsed.think and parsed.answer
        assert low.count("think") >= 2 and low.count("answer") >= 2
        after = text[text.lower().rfind("answer") + len("answer") :]
        assert after.lstrip().startswith(">") or after.strip().endswith(">")
        tail = after.split(">", 1)[1] if ">" in after else ""
        assert tail.strip() == ""


@given(st.text(min_size=1, max_size=50).filter(lambda s: "<" not in s and s.strip()))
def test_well_formed_roundtrip(body):
    parsed = parse_response(f"<think>{body}</think><answer>{body}</answer>")
    assert parsed.well_formed
    assert parsed.answer == body.strip() == parsed.think


def test_templates_by_language():
    assert "<think>" in instructions("plan_write", "en") and "<answer>" in instructions("plan_write", "en")
    assert "规划" in instructions("plan_write", "zh")
    assert "<think>" not in instructions("direct", "en")
    assert instructions("none") == ""
    with pytest.raises(ValueError, match="plan_write"):
        instructions("bogus")
    zh = chat_messages("写一篇800字的散文")
    assert zh[0]["role"] == "system" and "规划" in zh[0]["content"]
    assert chat_messages("Write an essay", template="none") == [{"role": "user", "content": "Write an essay"}]


@pytest.mark.parametrize("template", ["plan_write", "direct", "none"])
@pytest.mark.parametrize("request_text", ["Write a 500-word essay on tea.", "写一篇关于茶的文章"])
def test_base_chat_template_renders_the_raw_frame(template, request_text):
    from transformers.utils.chat_template_utils import render_jinja_template

    rendered, _ = render_jinja_template(
        conversations=[chat_messages(request_text, template)],
        chat_template=BASE_CHAT_TEMPLATE,
        add_generation_prompt=True,
    )
    assert rendered[0] == base_prompt(request_text, template)
    assert rendered[0].endswith(f"User: {request_text}\n\nAssistant:")


def test_render_prompt_chat_uses_tokenizer_template(tiny_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    text = render_prompt("Write a poem.", tok, template="plan_write", style="chat")
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    assert render_prompt("Write a poem.", style="base") == base_prompt("Write a poem.")
    with pytest.raises(ValueError):
        render_prompt("x", None, style="chat")
