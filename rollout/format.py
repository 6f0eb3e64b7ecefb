"""The plan-then-write format: prompt templates and the response parser.

A rollout first plans inside ``<think>...</think>`` and then writes the piece inside
``<answer>...</answer>``. This module owns both ends of that contract:

* templates (English and Chinese, picked by the request's language) in two styles:
  ``base`` - a raw-text conversation frame for base models, as LongWriter-Zero trains from a base
  model - and ``chat`` - a system prompt used with the tokenizer's own chat template;
  plus ``direct`` (answer only, for ablations) and ``none`` (the bare request);
* :func:`parse_response`, which never raises and always returns its best guess of the answer.

The base frame is itself written as a Jinja chat template (:data:`BASE_CHAT_TEMPLATE`), so the
RL data (chat messages, as verl expects) renders to exactly the raw text a base model is prompted
with here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rollout.text import language_of

__all__ = [
    "TEMPLATES",
    "STYLES",
    "BASE_CHAT_TEMPLATE",
    "ParsedResponse",
    "parse_response",
    "instructions",
    "chat_messages",
    "base_prompt",
    "render_prompt",
    "PROBLEM_CODES",
]

Template = Literal["plan_write", "direct", "none"]
Style = Literal["base", "chat"]
TEMPLATES: tuple[str, ...] = ("plan_write", "direct", "none")
STYLES: tuple[str, ...] = ("base", "chat")

# ---------------------------------------------------------------------------------------------
# Templates. The wording is this project's own.
# ---------------------------------------------------------------------------------------------

_INSTRUCTIONS: dict[str, dict[str, str]] = {
    "plan_write": {
        "en": (
            "You are a careful long-form writer. Before writing, plan the piece inside "
            "<think> and </think>: decide its structure, list the sections in order, say what "
            "each section will cover, and give each section a word budget so that the budgets "
            "add up to the length the request asks for. Then write the complete final text "
            "inside <answer> and </answer>, following your plan section by section. Put nothing "
            "after </answer>. The reply must look like: <think> plan </think> <answer> text "
            "</answer>"
        ),
        "zh": (
            "你是一位严谨的长文写作者。动笔之前，先在 <think> 和 </think> 之间做好规划："
            "确定文章结构，按顺序列出各个部分，说明每部分要写的内容，并为每部分分配字数，"
            "使各部分字数之和符合要求的篇幅。然后在 <answer> 和 </answer> 之间按照规划逐部分"
            "写出完整的正文。</answer> 之后不要再写任何内容。回复格式必须是："
            "<think> 规划 </think> <answer> 正文 </answer>"
        ),
    },
    "direct": {
        "en": (
            "You are a careful long-form writer. Write the complete text the request asks for "
            "inside <answer> and </answer>, at the requested length, and put nothing after "
            "</answer>."
        ),
        "zh": (
            "你是一位严谨的长文写作者。请在 <answer> 和 </answer> 之间写出要求的完整正文，"
            "篇幅符合要求，</answer> 之后不要再写任何内容。"
        ),
    },
}

# Renders [system?, user, (assistant)...] messages as the raw-text frame a base model sees:
#   "<instructions>\n\nUser: <request>\n\nAssistant:"
# The speaker names stay English for Chinese requests too: they are frame markers, not prose,
# and one frame keeps the base-model prompt identical across languages. Used as the tokenizer's
# chat template when training a base model through verl (which expects chat messages).
BASE_CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% elif message['role'] == 'user' %}User: {{ message['content'] }}\n\n"
    "{% elif message['role'] == 'assistant' %}Assistant: {{ message['content'] }}\n\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}Assistant:{% endif %}"
)


def _check_template(template: str) -> None:
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")


def instructions(template: Template = "plan_write", language: str = "en") -> str:
    """The instruction text of ``template`` in ``language`` ('en' or 'zh'); '' for ``none``."""
    _check_template(template)
    if template == "none":
        return ""
    return _INSTRUCTIONS[template]["zh" if language == "zh" else "en"]


def chat_messages(
    request: str, template: Template = "plan_write", language: str | None = None
) -> list[dict[str, str]]:
    """Chat messages for ``request``: the template's system prompt (if any) and the user turn.

    The language defaults to the request's own (:func:`rollout.text.language_of`). These
    messages work with any chat template; with :data:`BASE_CHAT_TEMPLATE` they render to the
    base model's raw-text frame.
    """
    language = language or language_of(request)
    system = instructions(template, language)
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": request})
    return messages


def base_prompt(request: str, template: Template = "plan_write", language: str | None = None) -> str:
    """The raw-text prompt a base model continues: instructions, the request, then 'Assistant:'.

    Identical to rendering :func:`chat_messages` with :data:`BASE_CHAT_TEMPLATE` (tested).
    """
    system = instructions(template, language or language_of(request))
    head = f"{system}\n\n" if system else ""
    return f"{head}User: {request}\n\nAssistant:"


def render_prompt(
    request: str,
    tokenizer: Any | None = None,
    template: Template = "plan_write",
    style: Style = "chat",
    language: str | None = None,
) -> str:
    """The prompt text given to a model for ``request``.

    ``style='base'`` gives :func:`base_prompt`; ``style='chat'`` applies ``tokenizer``'s chat
    template (with a generation prompt) to :func:`chat_messages`. ``template='none'`` with the
    chat style still wraps the bare request in the chat template.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    if style == "base":
        return base_prompt(request, template, language)
    if tokenizer is None:
        raise ValueError("style='chat' needs a tokenizer with a chat template")
    return tokenizer.apply_chat_template(
        chat_messages(request, template, language), tokenize=False, add_generation_prompt=True
    )


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------

PROBLEM_CODES: dict[str, str] = {
    "missing_think": "no <think> block",
    "unopened_think": "</think> without a preceding <think>",
    "unclosed_think": "<think> never closed",
    "multiple_thinks": "more than one <think> block",
    "empty_think": "the plan is empty",
    "missing_answer": "no <answer> block",
    "unopened_answer": "</answer> without a preceding <answer>",
    "unclosed_answer": "<answer> never closed",
    "multiple_answers": "more than one <answer> block",
    "empty_answer": "the answer is empty",
    "answer_before_think": "the answer comes before the plan",
    "nested_tags": "a tag inside another block",
    "text_before_think": "text before <think>",
    "text_between": "text between </think> and <answer>",
    "text_after_answer": "text after </answer>",
}

# Lenient on case and inner whitespace ("< /Answer >"): models drift, the content still counts.
_TAG = re.compile(r"<\s*(/?)\s*(think|answer)\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedResponse:
    """A response split into plan and answer.

    ``answer`` is always the best guess of the written text (a stripped substring of the input)
    even when the structure is broken; ``problems`` holds short codes (see
    :data:`PROBLEM_CODES`) and ``well_formed`` is true exactly when there are none.
    """

    think: str
    answer: str
    well_formed: bool
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Tag:
    kind: str  # "think" | "answer"
    closing: bool
    start: int
    end: int


def _coerce(text: Any) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", errors="replace")
    if text is None:
        return ""
    try:
        return str(text)
    except Exception:  # an object whose __str__ raises is still not our crash
        return ""


def _blocks(tags: Sequence[_Tag], text_len: int, kind: str) -> list[tuple[int, int, bool]]:
    """(content start, content end, closed) for each opening tag of ``kind``.

    Content runs to the next tag of any kind, so a block never swallows a nested block. It is
    closed when a closing tag of its kind comes before the next opening tag of its kind.
    """
    blocks = []
    for i, tag in enumerate(tags):
        if tag.kind != kind or tag.closing:
            continue
        end = tags[i + 1].start if i + 1 < len(tags) else text_len
        closed = False
        for later in tags[i + 1 :]:
            if later.kind == kind:
                closed = later.closing
                break
        blocks.append((tag.end, end, closed))
    return blocks


def parse_response(text: Any) -> ParsedResponse:
    """Split a plan-then-write response into its plan and answer; never raises.

    Works on any input (empty, huge, binary junk decoded leniently, tags in any order). The
    answer is the longest ``<answer>`` block; without one, the text after ``</think>``; without
    any tags, the whole response. Each deviation from ``<think>plan</think><answer>text</answer>``
    (whitespace allowed around and between) is listed in ``problems``.
    """
    text = _coerce(text)
    n = len(text)
    tags = [_Tag(m.group(2).lower(), m.group(1) == "/", m.start(), m.end()) for m in _TAG.finditer(text)]
    problems: list[str] = []

    def add(code: str) -> None:
        if code not in problems:
            problems.append(code)

    think_open = [t for t in tags if t.kind == "think" and not t.closing]
    think_close = [t for t in tags if t.kind == "think" and t.closing]
    ans_open = [t for t in tags if t.kind == "answer" and not t.closing]
    ans_close = [t for t in tags if t.kind == "answer" and t.closing]

    # --- the plan ---------------------------------------------------------------------------
    think = ""
    think_end = None  # index just past the plan's closing tag
    if think_open:
        blocks = _blocks(tags, n, "think")
        start, end, closed = blocks[0]
        think = text[start:end].strip()
        if closed:
            think_end = next(t.end for t in think_close if t.start >= start)
        else:
            add("unclosed_think")
        if len(think_open) > 1 or len(think_close) > 1:
            add("multiple_thinks")
        if any(t.end <= think_open[0].start for t in think_close):
            add("unopened_think")
        if text[: tags[0].start].strip() and tags[0] is think_open[0]:
            add("text_before_think")
    elif think_close:
        # The response began inside the plan (e.g. a prompt that pre-fills "<think>").
        add("unopened_think")
        think = text[: think_close[0].start].strip()
        think_end = think_close[0].end
    else:
        add("missing_think")
    if (think_open or think_close) and not think:
        add("empty_think")

    # --- the answer -------------------------------------------------------------------------
    answer = ""
    if ans_open:
        blocks = _blocks(tags, n, "answer")
        best = max(blocks, key=lambda b: len(text[b[0] : b[1]].strip()))
        answer = text[best[0] : best[1]].strip()
        if len(ans_open) > 1 or len(ans_close) > 1:
            add("multiple_answers")
        if not all(b[2] for b in blocks):
            add("unclosed_answer")
        if any(t.end <= ans_open[0].start for t in ans_close):
            add("unopened_answer")
        if ans_close and text[ans_close[-1].end :].strip():
            add("text_after_answer")
    elif ans_close:
        add("unopened_answer")
        start = think_end if think_end is not None and think_end <= ans_close[0].start else 0
        answer = text[start : ans_close[0].start].strip()
        if text[ans_close[-1].end :].strip():
            add("text_after_answer")
    else:
        add("missing_answer")
        if think_end is not None:
            answer = text[think_end:].strip()
        elif not think_open:
            answer = text.strip()  # no structure at all: the model just wrote
    if (ans_open or ans_close) and not answer:
        add("empty_answer")

    # --- order and nesting --------------------------------------------------------------------
    first_answer_tag = next((t for t in tags if t.kind == "answer"), None)
    first_think_tag = next((t for t in tags if t.kind == "think"), None)
    if first_answer_tag and first_think_tag and first_answer_tag.start < first_think_tag.start:
        add("answer_before_think")
    if _has_nesting(tags):
        add("nested_tags")
    if (
        think_end is not None
        and ans_open
        and think_end <= ans_open[0].start
        and text[think_end : ans_open[0].start].strip()
    ):
        add("text_between")

    return ParsedResponse(think=think, answer=answer, well_formed=not problems, problems=problems)


def _has_nesting(tags: Sequence[_Tag]) -> bool:
    """True when a tag of one kind appears inside an open block of the other kind."""
    open_kind: str | None = None
    for tag in tags:
        if not tag.closing:
            if open_kind is not None and open_kind != tag.kind:
                return True
            open_kind = tag.kind
        elif open_kind == tag.kind:
            open_kind = None
        elif open_kind is not None:
            return True
    return False
