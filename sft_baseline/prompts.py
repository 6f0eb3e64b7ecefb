"""AgentWrite's prompt wording (English and Chinese) and the parsers for what comes back.

The two AgentWrite steps, in this project's own words:

* **plan** - the writer outlines the piece as numbered paragraphs, one per line, each with its
  main point and a word count (200 to 1,000 words / Chinese characters each), and nothing else;
* **write** - for paragraph *k*, the writer sees the instruction, the whole plan, everything
  written so far and the current step, and returns only the new paragraph.

:func:`parse_plan` reads a plan back (tolerant of markdown and spacing, strict about having a
number and a word count on every step); :func:`clean_section` strips the numbering artifacts
writers like to add ("Paragraph 3:", "## 3.", "第3段：", a trailing "(Word count: 400)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "PlanStep",
    "PLAN_MIN_WORDS",
    "PLAN_MAX_WORDS",
    "plan_messages",
    "write_messages",
    "format_plan",
    "parse_plan",
    "clean_section",
    "plan_regex",
]

# LongWriter's range for one planned paragraph (words, or characters for Chinese).
PLAN_MIN_WORDS = 200
PLAN_MAX_WORDS = 1000

_PLAN_PROMPT = {
    "en": (
        "You are planning a long piece of writing. Here is the writing request:\n\n"
        "{instruction}\n\n"
        "Break the piece into numbered paragraphs, in order. For each paragraph give its main "
        "point and how many words it should have (between {lo} and {hi} words each), choosing "
        "the counts so that together they match the length the request asks for. Write one "
        "paragraph per line in exactly this form and output nothing else:\n"
        "Paragraph 1 - Main point: <what the paragraph covers> - Word count: <number> words\n"
        "Paragraph 2 - Main point: ... - Word count: ... words"
    ),
    "zh": (
        "你要为一篇长文做写作规划。写作要求如下：\n\n"
        "{instruction}\n\n"
        "请把文章按顺序拆分成若干编号的段落，给出每段的主要内容和字数（每段{lo}到{hi}字），"
        "各段字数之和应符合写作要求的篇幅。每段一行，严格使用下面的格式，不要输出其他任何内容：\n"
        "段落1 - 要点：<这一段写什么> - 字数：<数字>字\n"
        "段落2 - 要点：…… - 字数：……字"
    ),
}

_WRITE_PROMPT = {
    "en": (
        "You are writing a long piece one paragraph at a time.\n\n"
        "Writing request:\n{instruction}\n\n"
        "Plan of the whole piece:\n{plan}\n\n"
        "Text written so far:\n{written}\n\n"
        "Current step: paragraph {step} of {total}. Main point: {point}. Write about {words} "
        "words.\n"
        "Write only paragraph {step}, continuing naturally from the text so far. Do not repeat "
        "earlier text, do not add a heading, a paragraph number or a word count, and do not "
        "summarise or conclude the whole piece unless this is the last paragraph."
    ),
    "zh": (
        "你正在逐段写作一篇长文。\n\n"
        "写作要求：\n{instruction}\n\n"
        "全文规划：\n{plan}\n\n"
        "已经写好的内容：\n{written}\n\n"
        "当前步骤：第{step}段，共{total}段。要点：{point}。约{words}字。\n"
        "只写第{step}段，与已写内容自然衔接。不要重复前文，不要加标题、段落编号或字数说明；"
        "除非这是最后一段，否则不要总结或收尾全文。"
    ),
}

_NOTHING_YET = {"en": "(nothing yet: this is the first paragraph)", "zh": "（尚无内容：这是第一段）"}


@dataclass(frozen=True)
class PlanStep:
    """One planned paragraph: its 1-based number, main point and word budget (words / CJK chars)."""

    number: int
    point: str
    words: int


def plan_messages(instruction: str, language: str) -> list[dict[str, str]]:
    """Chat messages asking the writer for the numbered plan of ``instruction``."""
    lang = "zh" if language == "zh" else "en"
    text = _PLAN_PROMPT[lang].format(instruction=instruction, lo=PLAN_MIN_WORDS, hi=PLAN_MAX_WORDS)
    return [{"role": "user", "content": text}]


def format_plan(steps: list[PlanStep], language: str) -> str:
    """The plan re-rendered in the canonical one-line-per-paragraph form (what the writer sees)."""
    if language == "zh":
        return "\n".join(f"段落{s.number} - 要点：{s.point} - 字数：{s.words}字" for s in steps)
    return "\n".join(
        f"Paragraph {s.number} - Main point: {s.point} - Word count: {s.words} words" for s in steps
    )


def write_messages(
    instruction: str, steps: list[PlanStep], written: list[str], language: str
) -> list[dict[str, str]]:
    """Chat messages asking for paragraph ``len(written) + 1`` given the plan and the text so far."""
    lang = "zh" if language == "zh" else "en"
    step = steps[len(written)]
    text = _WRITE_PROMPT[lang].format(
        instruction=instruction,
        plan=format_plan(steps, lang),
        written="\n\n".join(written) if written else _NOTHING_YET[lang],
        step=len(written) + 1,
        total=len(steps),
        point=step.point,
        words=step.words,
    )
    return [{"role": "user", "content": text}]


def plan_regex(language: str, max_steps: int = 50) -> str:
    """A regular expression every well-formed plan matches, for servers with guided decoding.

    Sent as vLLM's ``structured_outputs={"regex": ...}`` when AgentWrite's ``constrain_plan`` is
    on, it forces a weak writer (or the tiny test model) into the one-line-per-paragraph form with
    word counts of 200 to 999, so every plan parses.
    """
    if language == "zh":
        line = r"段落[1-9][0-9]? - 要点：[^\n]{2,40} - 字数：[2-9][0-9]{2}字\n"
    else:
        line = r"Paragraph [1-9][0-9]? - Main point: [A-Za-z0-9 ,;'()-]{4,80} - Word count: [2-9][0-9]{2} words\n"
    return f"({line}){{1,{max_steps}}}"


# A plan line: optional markdown/bullets, a step label with its number, then the rest.
_STEP_HEAD = re.compile(
    r"^\s*(?:[-*#>]+\s*)?(?:\*\*)?\s*"
    r"(?:(?:paragraph|para\.?|section|part|step)\s*(\d+)|段落\s*(\d+)|第\s*(\d+)\s*[段部节]|(\d+)\s*[.)、:：])"
    r"(?:\*\*)?\s*[-–—:：.)]?\s*(.*)$",
    re.IGNORECASE,
)
_WORD_COUNT = re.compile(
    r"(?:word\s*count|words?|length|字数|篇幅)\s*[:：]?\s*(?:about|around|approximately|约|大约)?\s*"
    r"(\d[\d,]*)"
    r"|(\d[\d,]*)\s*(?:words?|字)",
    re.IGNORECASE,
)
_APPROX_TAIL = re.compile(r"(?:\b(?:about|around|approximately)|约|大约)\s*$", re.IGNORECASE)
_POINT = re.compile(r"(?:main\s*point|要点|主要内容)\s*[:：]\s*(.*)", re.IGNORECASE)


def _split_point(rest: str) -> tuple[str, int | None]:
    """(main point, word count or None) from the text after a step's number."""
    counts = list(_WORD_COUNT.finditer(rest))
    if not counts:
        return rest.strip(), None
    last = counts[-1]
    words = int((last.group(1) or last.group(2)).replace(",", ""))
    point = rest[: last.start()]
    m = _POINT.search(point)
    if m:
        point = m.group(1)
    point = _APPROX_TAIL.sub("", point.strip())
    point = point.strip().strip("-–—|*:：,，;；()（） ").strip()
    return point, words


def parse_plan(text: str) -> tuple[list[PlanStep], str | None]:
    """Parse a plan into steps; return ``(steps, None)`` or ``([], reason)`` when it is unusable.

    A usable plan has at least one line with a step number and a positive word count (words for
    English, CJK characters for Chinese); lines without a number (preambles, blank lines) are
    ignored. Steps keep the order they appear in and are renumbered 1..n. A numbered line without
    a word count makes the plan unusable: the write step needs every budget.
    """
    if not isinstance(text, str) or not text.strip():
        return [], "empty plan"
    steps: list[PlanStep] = []
    for line in text.splitlines():
        m = _STEP_HEAD.match(line)
        if not m:
            continue
        point, words = _split_point(m.group(5))
        if words is None:
            return [], f"plan step {len(steps) + 1} has no word count: {line.strip()[:80]!r}"
        if words <= 0:
            return [], f"plan step {len(steps) + 1} has a word count of {words}"
        steps.append(PlanStep(number=len(steps) + 1, point=point or "(no main point given)", words=words))
    if not steps:
        return [], "no numbered paragraph with a word count"
    return steps, None


# Numbering artifacts at the start of a section. A markdown heading or bold line that carries a
# step label ("## Paragraph 3: Intro", "**Paragraph 3 - Intro**") is dropped whole; a bare label
# prefix ("Paragraph 3:", "3.", "段落3：", "第3段：") is cut off and the prose after it kept.
_LABEL = r"(?:(?:paragraph|section|part|step)\s*\d+|段落\s*\d+|第\s*\d+\s*[段部节]|\d+\s*[.)、](?!\d))"
_HEADING_LINE = re.compile(r"^\s*(?:#+\s*|\*\*\s*)" + _LABEL + r"[^\n]{0,100}(?:\n|$)", re.IGNORECASE)
_LABEL_PREFIX = re.compile(r"^\s*" + _LABEL + r"\s*(?:[-–—:：.)]\s*)?", re.IGNORECASE)
_TRAILING_COUNT = re.compile(
    r"\s*[(（\[]?\s*(?:word\s*count|字数)\s*[:：]?\s*\d[\d,]*\s*(?:words?|字)?\s*[)）\]]?\s*$",
    re.IGNORECASE,
)


def clean_section(text: str) -> str:
    """A written section without numbering artifacts (a leading label, a trailing word count).

    Removes at most one leading label ("Paragraph 3:", "## 3.", "第3段：", "**Paragraph 3 - Intro**"
    on its own line) and a trailing "(Word count: 400 words)"/"字数：400字", then trims blank space.
    The prose itself is left untouched.
    """
    if not isinstance(text, str):
        return ""
    out = text.strip()
    m = _HEADING_LINE.match(out) or _LABEL_PREFIX.match(out)
    if m:
        out = out[m.end() :].lstrip()
    out = _TRAILING_COUNT.sub("", out)
    return out.strip()
