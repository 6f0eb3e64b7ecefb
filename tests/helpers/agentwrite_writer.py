"""A deterministic AgentWrite writer, as a responder for ``fake_openai.FakeOpenAIServer``.

It answers AgentWrite's two kinds of prompt (see :mod:`sft_baseline.prompts`): a plan request
gets a numbered plan; a write request ("Current step: paragraph k of n ... Write about N words")
gets N words (Chinese: N characters) of filler seeded by the request. Used by the AgentWrite tests
and by ``benchmarks/agentwrite.py``.

Directives embedded in an instruction's text steer it, to exercise every filter:
``[[steps:N]]`` plans N paragraphs (default 3), ``[[words:N]]`` budgets N words each (default
200), ``[[plan:malformed]]`` returns prose with no numbered steps, ``[[empty:K]]`` returns an empty
paragraph K, ``[[short]]`` writes 10 words per paragraph, ``[[429:N]]`` answers the first N tries
of every call with HTTP 429, ``[[label]]`` prefixes each paragraph with "Paragraph k:" (an artifact
AgentWrite must strip).
"""

from __future__ import annotations

import random
import re

from fake_openai import Reply, last_user_content

__all__ = ["agentwrite_responder", "play_writer"]

_STEP_EN = re.compile(r"Current step: paragraph (\d+) of (\d+)\. .*?Write about (\d+) words")
_STEP_ZH = re.compile(r"当前步骤：第(\d+)段，共(\d+)段。.*?约(\d+)字")
_EN = "river city light story water people history time plan journey music letter ocean idea".split()
_ZH = "河流城市光故事水人们历史时间计划旅程音乐信海洋想法秋天图书馆"


def _directive(text: str, name: str) -> str | None:
    m = re.search(r"\[\[" + name + r"(?::([^\]]*))?\]\]", text)
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else ""


def _filler(seed: str, n: int, zh: bool) -> str:
    rng = random.Random(seed)
    if zh:
        return "".join(rng.choice(_ZH) for _ in range(n)) + "。"
    return " ".join(rng.choice(_EN) for _ in range(n)).capitalize() + "."


def play_writer(content: str) -> str:
    """The writer's deterministic reply to one AgentWrite prompt (a plan or a paragraph)."""
    zh = "写作要求" in content
    m = (_STEP_ZH if zh else _STEP_EN).search(content.replace("\n", " "))
    if m is None:  # a plan request
        if _directive(content, "plan") == "malformed":
            return "I will write a wonderful piece about this, covering many interesting ideas."
        steps = int(_directive(content, "steps") or 3)
        words = int(_directive(content, "words") or 200)
        if zh:
            return "\n".join(f"段落{k} - 要点：第{k}部分内容 - 字数：{words}字" for k in range(1, steps + 1))
        return "Here is the plan:\n" + "\n".join(
            f"Paragraph {k} - Main point: part {k} of the piece - Word count: {words} words"
            for k in range(1, steps + 1)
        )
    step, words = int(m.group(1)), int(m.group(3))
    if _directive(content, "empty") == str(step):
        return "   "
    if _directive(content, "short") is not None:
        words = 10
    text = _filler(content, words, zh)
    if _directive(content, "label") is not None:
        text = (f"第{step}段：" if zh else f"Paragraph {step}: ") + text
    return text


def agentwrite_responder(body: dict, attempt: int) -> Reply | str:
    """FakeOpenAIServer responder: 429 for the first ``[[429:N]]`` tries, else :func:`play_writer`."""
    content = last_user_content(body)
    limit = _directive(content, "429")
    if limit and attempt < int(limit):
        return Reply.error(429, "rate limited", retry_after=0.01)
    return play_writer(content)
