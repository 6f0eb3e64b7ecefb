"""BASE_CHAT_TEMPLATE renders chat messages to exactly the base model's raw-text frame."""

from __future__ import annotations

import pytest

from rollout.format import BASE_CHAT_TEMPLATE, base_prompt, chat_messages

REQUESTS = [
    "Write a 1,000-word essay about bridges.",
    "Write a poem.\n\nIt should rhyme.  ",  # inner blank lines and trailing spaces survive
    "写一篇800字左右的散文。",
]


@pytest.mark.parametrize("template", ["plan_write", "direct", "none"])
@pytest.mark.parametrize("request_text", REQUESTS)
def test_template_renders_base_prompt(tiny_model, template, request_text):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model))
    messages = chat_messages(request_text, template)
    text = tokenizer.apply_chat_template(
        messages, tokenize=False, add_generation_prompt=True, chat_template=BASE_CHAT_TEMPLATE
    )
    assert text == base_prompt(request_text, template)
    # the separators are really there (a whitespace-control slip once removed them)
    assert "\n\nUser: " in text or template == "none"
    assert text.endswith("\n\nAssistant:")
    # a finished turn renders as the continuation the base model was trained to produce
    done = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": "<think>p</think><answer>a</answer>"}],
        tokenize=False,
        chat_template=BASE_CHAT_TEMPLATE,
    )
    assert done == base_prompt(request_text, template) + " <think>p</think><answer>a</answer>\n\n"
