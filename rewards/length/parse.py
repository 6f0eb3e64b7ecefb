"""Find the whole-response length requirement in a writing request, with its evidence.

:func:`find_length` reads a request (English or Chinese) and returns the length range it asks
for, or none with a reason, and in both cases the evidence: the span of the request the range came
from and every candidate it rejected, with why. :mod:`rewards.length.reward` wraps the result in a
:class:`rewards.length.reward.TargetRange`. Units: ``"words"`` (English words) or ``"chars"`` (Chinese
characters), as :func:`rollout.text.count_words` counts them.

The rules, in the order they apply:

1. **Instructions, not material.** Pasted material is masked before anything is read: fenced
   blocks, ``>`` quoted lines, long quotations, runs of table rows or ``key: number`` data lines
   (a "Word count requirement: ..." line among them stays an instruction), runs of code/JSON
   lines, runs of list items that no instruction line introduces (meeting notes; "Sections:" or
   "请写…，包括：" lists stay the user's), hard-wrapped paragraphs (lines filled to one width:
   pasted text, so a "几 / 万字" or "5,000 / words" broken across two lines there is never
   read), and text after a material marker ("Reference material:", "Here is my report:",
   "参考资料", "以下是…材料", "原文：", ...) up to the next line that reads as an instruction
   again ("Please ...", "Requirements:", "请…", "要求…"). An instruction glued to the end of
   the last material line ("| 9.8% | Please write 1,000 words", "87.1请据此写…") is cut off the
   material and read.
2. **Only word and character counts.** Pages, paragraphs, sentences, lines, slides, minutes,
   tokens, mm, kN and the like never yield a target (a page holds 250-500 words: no honest
   conversion exists). "N characters" counts as Chinese characters only in a Chinese request.
   Amounts are not lengths: a bare number with a decimal part, a currency before it or a scale or
   currency word after it ("Total revenues were RMB17,103.2 million", "合计12,345.6万元") is never
   a "total"/"word count" field. Vague English quantities ("several thousand words", "a few
   hundred words") give no target, like 几千字.
   Vague Chinese quantities (几千字, 数万字) give no target; approximate ones do: 两三千字 is
   [2000, 3000], 三千多字 / 上千字 are "at least", 近万字 is "at most".
3. **The whole response.** Each candidate gets a scope from the words next to it: ``total``
   ("in total", "totaling", "全文", "总字数", "共计"), ``part`` ("each", "per section", "每篇",
   "各"), ``element`` (a title, headline, subtitle, slogan, tagline, caption, 标题, 口号),
   ``section`` (an introduction, abstract, conclusion, 摘要, 开头, 结尾), ``described`` (the length
   of a text being referred to: "this 3,000-word article", "这篇300字的短文") or ``whole``.
   A limit on one named item of a list of sections ("2. 分组实验的具体步骤说明（至少2000字）",
   "- Introduction: 300 words", or one line after a colon: "sections: Summary (150 words at
   most), Timeline, Root cause", "结构：摘要（约300字）、引言（约800字）、……") has scope
   ``item``: a list whose every item has a limit sums to the whole; otherwise items never stand
   for the whole. A section asked for alone ("Draft just the lay summary (max 250 words)",
   "请只写项目摘要部分（不超过400字）") is the whole answer. A measured average ("the comments
   average 42 words", "平均长度38字") is not a requirement.
   When the request ends with an instruction paragraph (after a blank line; a sentence in it
   opens with "Please", "Write", "Summarise", "请", "根据", ...) that states the answer's own
   length, lengths earlier in the request outside any request sentence of the user's (a
   contract's "report shall not exceed 1,500 words", a call's "proposals must not exceed 5,000
   words") are another document's, not the answer's; an earlier request ("Write a 3,000-word
   essay") keeps its place.
   An explicit total wins; else the first whole-response length (a "least" and a "most" stated
   together combine into one range); else a per-part limit times its stated count ("5 posts,
   300 words each" is 5 x [270, 330]; the count must name the parts, with their classifier in
   Chinese: "5 bullet points in each", "2-3张配图", "3个镜头" never count parts; a count before the
   limit beats one after it); else several section limits summed, or a lone section limit
   (an abstract asked for on its own). A per-part limit without a count, or only a title/slogan
   limit, gives no range: the request then falls to the predicted/fallback path - unless a
   labelled line gives a length to the very text the instruction asks for ("- Final essay:
   3,000 words (±10%)" on a pasted course page with "write my final essay"; "一、调研报告：
   4000字（±10%）" with "请帮我写这份调研报告"): that length is adopted (±p% gives
   [N(1-p), N(1+p)], else about N).
4. **Numbers.** Numbers under 10 are content rules ("in three words"), not lengths.
   Ranges follow LongWriter-Zero: about N -> [0.9N, 1.1N]; at most N -> [0.9N, N]; at least N ->
   [N, 1.1N]; a range gives itself. "控制在N字左右/上下" ("keep it at about N") is about N;
   "控制在N字以内" and a bare "控制在N字" stay at most N. "Maximum length: N words" is at most,
   "Minimum word count: N" at least, and a field range without a unit ("Word count: 900-1,100")
   gives itself, as does "1,500 words minimum, 2,000 maximum".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rollout.text import language_of, unit_of

__all__ = ["Rejected", "LengthEvidence", "LengthFinding", "find_length", "material_spans"]

MIN_LENGTH = 10
MAX_LENGTH = 1_000_000


@dataclass(frozen=True)
class Rejected:
    """A number the parser saw and did not use: its text, span in the request and why."""

    text: str
    start: int
    end: int
    why: str


@dataclass(frozen=True)
class LengthEvidence:
    """Where a target came from.

    ``start``/``end``/``text``: the span of the request the range was read from (None/"" when no
    range); ``rule``: how the span became the range (``"about"``, ``"at least"``, ``"at most"``,
    ``"range"``, ``"total"``, ``"5 x per-part"``, ...); ``rejected``: the candidates not used, with
    why; ``material``: spans read as pasted material; ``reason``: why there is no range.
    """

    start: int | None = None
    end: int | None = None
    text: str = ""
    rule: str = ""
    rejected: tuple[Rejected, ...] = ()
    material: tuple[tuple[int, int], ...] = ()
    reason: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (what RL data's ``extra_info.target_evidence`` stores)."""
        return {
            "span_start": self.start,
            "span_end": self.end,
            "text": self.text,
            "rule": self.rule,
            "reason": self.reason,
            "rejected": [
                {"text": r.text, "start": r.start, "end": r.end, "why": r.why} for r in self.rejected
            ],
            "material": [{"start": s, "end": e} for s, e in self.material],
            "notes": list(self.notes),
        }

    def describe(self) -> str:
        """One human line: the span and rule, or the reason, then the rejected candidates."""
        head = f"{self.rule} from {self.text!r} at {self.start}-{self.end}" if self.text else ""
        if self.reason:
            head = f"{head}; {self.reason}" if head else self.reason
        parts = [head or "no evidence"]
        if self.rejected:
            parts.append("rejected: " + "; ".join(f"{r.text!r} ({r.why})" for r in self.rejected))
        if self.material:
            n = sum(e - s for s, e in self.material)
            parts.append(f"{len(self.material)} pasted-material block(s), {n} chars, not read")
        parts += list(self.notes)
        return " | ".join(parts)


@dataclass(frozen=True)
class LengthFinding:
    """What :func:`find_length` found: bounds and unit (all None without a range) and evidence."""

    lower: int | None
    upper: int | None
    unit: str | None
    evidence: LengthEvidence = field(default_factory=LengthEvidence)


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

_EN_SMALL = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_EN_TENS = {
    w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_EN_SCALES = {"hundred": 100, "thousand": 1000}
_EN_WORD = "|".join(sorted([*_EN_SMALL, *_EN_TENS, *_EN_SCALES], key=len, reverse=True))
_ZH_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}

# A number: 1,000 / 1000 / 2.5 with an optional k / thousand / 千 / 万 scale; Chinese numerals
# (三千五百, 两千, 一万); English number words (two thousand five hundred, a thousand).
_NUM = (
    r"(?:(?:\d{1,3}(?:[,，]\d{3})+(?!\d)|\d+(?:\.\d+)?)(?:\s*(?:k(?![a-z])|thousand\b)|\s*[万千])?"
    r"|(?<![几数])[零〇一二两三四五六七八九十百千万]*[一二两三四五六七八九十百千万]"
    rf"|\b(?:an?\s+)?(?:{_EN_WORD})(?:(?:[\s-]+and[\s-]+|[\s-]+)(?:{_EN_WORD}))*\b)"
)
# A unit right after the number (多/余/来/把 between: "三千多字", "千把字"). 字母 is not a unit.
_UNIT = (
    r"(?:[\s-]*(?P<en>words?)\b|[\s-]*(?P<ch>(?:chinese\s+)?characters?|chars?)\b"
    r"|\s*(?P<plus>多|余|来|把)?\s*(?:个)?\s*(?P<zh>字符|汉字|中文字|字(?!母)|词))"
)
_UNIT_PLAIN = re.sub(r"\?P<\w+>", "", _UNIT)
_SINGLE = re.compile(rf"(?P<n>{_NUM}){_UNIT}", re.IGNORECASE)
_RANGE = re.compile(
    rf"(?P<from>\bbetween\s+|\bfrom\s+|从)?(?P<a>{_NUM})\s*(?:{_UNIT_PLAIN})?"
    rf"\s*(?:-|–|—|~|～|\bto\b|\band\b|至|到)\s*(?P<n>{_NUM}){_UNIT}",
    re.IGNORECASE,
)
# "从3000字缩写到1000字", "from 1200 words down to 600": the second number is the target.
_CHANGE = re.compile(
    rf"(?:从|\bfrom\s+)(?P<a>{_NUM})\s*(?:{_UNIT_PLAIN})?\s*(?:缩写|扩写|压缩|扩充|精简|删减|缩减|扩展|扩|缩|down|up)?\s*"
    rf"(?:到|至|为|成|\bto\b)\s*(?P<n>{_NUM}){_UNIT}",
    re.IGNORECASE,
)
# "1,500 words minimum, 2,000 maximum", "800 min / 1,000 max words": a minimum and a maximum
# written after their numbers, a unit on at least one of them.
_MIN_MAX = re.compile(
    rf"(?P<a>{_NUM})\s*(?:{_UNIT_PLAIN})?\s*(?:minimum|min\b\.?)\s*(?:[,;，；/]|\band\b)?\s*(?:and\s+)?"
    rf"(?P<n>{_NUM})\s*(?:{_UNIT_PLAIN})?\s*(?:maximum|max\b\.?)",
    re.IGNORECASE,
)
# 两三千字, 三四百字, 一两万字: two adjacent digits before a scale, an approximate range.
_ZH_PAIR = re.compile(
    r"(?P<a>[一两二三四五六七八])(?P<b>[两二三四五六七八九])(?P<s>十|百|千|万)(?:多)?(?:个)?(?:汉)?字"
)
# 几千字, 数万字, 几百个字: a vague quantity, no target.
_ZH_VAGUE = re.compile(r"(?:好)?[几数]\s*[十百千万]+(?:多|余)?(?:个)?(?:汉)?字")
# "several thousand words", "a few hundred words", "tens of thousands of words": no target.
_EN_VAGUE = re.compile(
    r"\b(?:several|a\s+few|few|many|some|tens\s+of|hundreds\s+of|thousands\s+of)\s+(?:hundred|thousand)s?"
    r"\s+(?:of\s+)?words?\b",
    re.IGNORECASE,
)
# 上千字, 上万字: "reaching a thousand", at least.
_ZH_REACH = re.compile(r"(?<![以之])上\s*(?P<s>百|千|万)(?:个)?(?:汉)?字")
# "字数要求：2000左右", "word count: 500", "word limit of 300", "length: 800": no unit after N.
_COUNT_FIELD = re.compile(
    rf"(?:(?P<zhfield>字数)|(?P<enfield>word\s+(?:count|limit)|length))[^\d\n。.;；]{{0,12}}?(?P<n>{_NUM})"
    r"(?!\s*[-–~～至到]\s*\d)",
    re.IGNORECASE,
)
# "Word count: 900-1,100", "字数：800-1000" (a range with no unit after it, in a length field).
_COUNT_FIELD_RANGE = re.compile(
    rf"(?:(?P<zhfield>字数|篇幅)|(?P<enfield>word\s+(?:count|limit)|length))[^\d\n。.;；]{{0,16}}?"
    rf"(?P<a>{_NUM})\s*(?:-|–|—|~|～|\bto\b|至|到)\s*(?P<n>{_NUM})(?![\d.]|\s*(?:{_UNIT_PLAIN}))",
    re.IGNORECASE,
)
# A bare number that is an amount, not a length: a decimal part ("RMB17,103.2 million": the point is
# not punctuation), a currency before it, or a scale/currency word after it.
_CURRENCY_BEFORE = re.compile(r"(?:rmb|usd|us\$|hk\$|\$|¥|￥|€|£|eur|cny|人民币)\s*$", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(
    r"(?:[.,，]\d|\s*(?:million|billion|mn\b|bn\b|%|percent|亿|百万|万元|元|美元|辆|台|人|个|件|次))",
    re.IGNORECASE,
)
# An explicit total without a unit: "with the total exceeding 6,000", "全文共计5000".
_TOTAL_FIELD = re.compile(
    rf"(?:\btotal(?:ing|ling)?\b|\bin\s+total\b|\boverall\b|全文|总字数|总共|一共|共计|合计|总计|总长度?)"
    rf"[^\d\n。.;；]{{0,20}}?(?P<n>{_NUM})(?!\s*[-–~～至到\d])",
    re.IGNORECASE,
)
# What may follow a bare number that is a length: nothing, punctuation or a qualifier.
_BARE_AFTER_OK = re.compile(
    r"\s*(?:$|[,，。.;；!！?？)\]）、:：\n]|[-–—]\s|左右|上下|以上|以内|以下|之内|之间|多|余|或|"
    r"or\b|at\b|max|min|\+|and\b|but\b|words?\b|字|with\b|for\b|in\b|so\b)",
    re.IGNORECASE,
)
# Length-like units that are not word counts (recorded as rejected when a number carries them).
_NONWORD = re.compile(
    rf"(?P<n>{_NUM})[\s-]*(?P<u>pages?|paragraphs?|sentences?|lines?|slides?|minutes?|mins?|hours?|"
    r"seconds?|tokens?|verses?|stanzas?|页|段|行|句|分钟|小时|张幻灯片|张PPT|页PPT)(?![a-z])",
    re.IGNORECASE,
)

_LEN_NOUN = r"(?:\s+(?:length|word\s+count|words?|number\s+of\s+words))?\s*[:：]?"
_AT_LEAST_PRE = (
    rf"(?:minimum|min\.?){_LEN_NOUN}|at\s+lea[st]t?|no\s+less\s+than|not\s+less\s+than|no\s+fewer\s+than|(?:a\s+)?minimum\s+of"
    r"|more\s+than|over|in\s+excess\s+of|upwards\s+of|exceed(?:s|ing)?|不少于|不低于|不小于|至少|最少|最低"
    r"|不下于|超过|多于|大于|高于"
)
_AT_MOST_PRE = (
    rf"(?:maximum|max\.?){_LEN_NOUN}|no\s+more\s+than|not\s+more\s+than|not\s+(?:to\s+)?exceed(?:ing)?|under|within|up\s+to|at\s+most"
    r"|less\s+than|fewer\s+than|limited\s+to|capped\s+at|(?:a\s+)?maximum(?:\s+of)?|max\.?|below|no\s+longer\s+than|不超过|不多于"
    r"|不大于|不高于|少于|低于|最多|不得超过|不要超过|控制在|限|将近|接近|近"
)
_PRE = re.compile(
    rf"(?:(?P<least>{_AT_LEAST_PRE})|(?P<most>{_AT_MOST_PRE}))[\s:：]*(?:约|大约)?$", re.IGNORECASE
)
_SUF_ABOUT = re.compile(r"^\s*(?:字|个字|汉字)?\s*(?:左右|上下)")
_SUF_LEAST = re.compile(r"^\s*(?:or\s+more|at\s+least|minimum\b|min\b|plus\b|\+|以上|起)", re.IGNORECASE)
_SUF_MOST = re.compile(
    r"^\s*(?:or\s+(?:less|fewer|under|below)|at\s+most|max(?:imum)?\b|以内|之内|以下|内)", re.IGNORECASE
)


def _en_words_value(text: str) -> int | None:
    tokens = [t for t in re.split(r"[\s-]+", text.lower()) if t and t != "and"]
    total = current = 0
    seen = False
    for tok in tokens:
        if tok in ("a", "an"):
            continue  # "a thousand": the scale below counts a bare scale as one
        elif tok in _EN_SMALL:
            current += _EN_SMALL[tok]
            seen = True
        elif tok in _EN_TENS:
            current += _EN_TENS[tok]
            seen = True
        elif tok == "hundred":
            current = max(current, 1) * 100
            seen = True
        elif tok == "thousand":
            total += max(current, 1) * 1000
            current = 0
            seen = True
        else:
            return None
    return total + current if seen else None


def _zh_value(text: str) -> int | None:
    total = section = num = 0
    last_unit = 1
    saw_digit_only = True
    for ch in text:
        if ch in _ZH_DIGITS:
            num = num * 10 + _ZH_DIGITS[ch] if saw_digit_only and num else _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            saw_digit_only = False
            section += (num or 1) * _ZH_UNITS[ch]
            last_unit, num = _ZH_UNITS[ch], 0
        elif ch == "万":
            saw_digit_only = False
            total += (section + num or 1) * 10000
            section, num, last_unit = 0, 0, 10000
        else:
            return None
    if saw_digit_only:  # 二〇二四: positional digits
        return total + num
    if num and last_unit >= 10:  # colloquial 三千五 = 3500, 一万五 = 15000
        num *= last_unit // 10
    return total + section + num


def number_value(text: str) -> int | None:
    """The value of one number: Arabic (with k/thousand/千/万), Chinese numerals or English words."""
    t = text.strip()
    m = re.fullmatch(r"([\d,，]+(?:\.\d+)?)\s*(k|thousand|千|万)?", t, re.IGNORECASE)
    if m:
        try:
            value = float(m.group(1).replace(",", "").replace("，", ""))
        except ValueError:
            return None
        scale = {"k": 1000, "thousand": 1000, "千": 1000, "万": 10000}.get((m.group(2) or "").lower(), 1)
        return int(round(value * scale))
    if re.fullmatch(r"[零〇一二两三四五六七八九十百千万]+", t):
        return _zh_value(t)
    return _en_words_value(t)


# ---------------------------------------------------------------------------------------------
# Pasted material
# ---------------------------------------------------------------------------------------------

_FENCE = re.compile(r"```.*?(?:```|\Z)|\"\"\".*?(?:\"\"\"|\Z)", re.DOTALL)
_LONG_QUOTE = re.compile(r"“[^”]{80,}”|\"[^\"\n]{120,}\"|「[^」]{80,}」|『[^』]{80,}』|《[^》]{80,}》")
_MARKER = re.compile(
    r"(?im)(?:^[ \t]*(?:#+\s*)?(?:reference(?:\s+materials?|\s+text)?s?|(?:source|background|supporting)\s+"
    r"(?:materials?|text|information|data)|materials?|source\s+text|original\s+text|transcript|excerpt|"
    r"data|raw\s+data|my\s+notes|notes|attachment|input\s+text|article|the\s+text|lab\s+report|report"
    r"|context)\s*[:：]"
    r"|^[ \t]*(?:[A-Za-z'-]+[ \t]+){0,3}(?:notes|minutes|transcript|data|report|article|draft|text|excerpt|"
    r"materials?|results|table|email|letter)[ \t]*[:：][ \t]*$"
    r"|^[ \t]*(?![^\n:：]{0,12}(?:写|请|帮|撰|生成|创作|给我|要求))[\u4e00-\u9fff]{0,8}(?:纪要|记录|笔记|资料|材料|数据|原文|草稿|初稿|文章|稿件|报告|文本|全文)[ \t]*[:：]"
    r"|\b(?:here\s+is|here\s+are|here's|below\s+is|below\s+are|the\s+following\s+is|following\s+is|"
    r"attached\s+is|i(?:'ve|\s+have)\s+pasted|pasted\s+below)\b[^\n:：]{0,60}?\b(?:text|articles?|reports?|"
    r"materials?|data|essay|draft|transcript|notes|excerpt|passage|document|paper|story|content|information|"
    r"e-?mails?|table|results|lab|summary|review|minutes|background|sources?|context)\b[^\n:：]{0,40}[:：]"
    r"|参考(?:资料|材料|文献|内容|信息|文本|数据)|背景(?:资料|材料|信息)[:：]|材料如下|资料如下|内容如下|数据如下"
    r"|原文(?:如下)?[:：]|附[:：]|(?:以下|下面|下文)(?:是|为)[^\n。：:]{0,40}?"
    r"(?:材料|资料|内容|原文|文章|报告|数据|信息|记录|文本|全文|稿子|草稿|笔记)[^\n]{0,10}?[:：]?)"
)
# A line that reads as the user talking again (ends a material region).
_INSTRUCTION_LINE = re.compile(
    r"(?i)^[ \t>#*\-\d.、)]*(?:please|write|now\b|based\s+on|using\b|use\s+(?:the|this)|your\s+task|task\s*[:：]|"
    r"requirements?\b|instructions?\b|i\s+need|i\s+want|i'd\s+like|compose|draft|create|generate|make\s+sure|"
    r"note\s*[:：]|length\s*[:：]|word\s+count|the\s+(?:essay|article|report|answer|response|piece|post)\s+"
    r"(?:should|must)|(?:end|above)\s+(?:of|is)|请|要求|写作要求|根据|基于|结合|任务|帮我|字数|注意|按照|参照|"
    r"rewrite|turn\b|summari[sz]e|expand|translate|edit|revise|analy[sz]e|interpret|convert|shorten|give\b|"
    r"make\b|answer|respond|continue|can\s+you|could\s+you|help|"
    r"利用|以上|结束|写一|撰写|你需要|我需要|我想|把|将|帮)"
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|\t.*\t|^\s*[-:| ]{5,}\s*$")
_KV_NUMBER = re.compile(r"^\s*[^\n:：]{1,40}[:：]\s*[-+~≈]?\s*[\d.,]+")
_LENGTH_KEY = re.compile(r"(?:word\s+(?:count|limit)|length|字数|篇幅)[^:：\n]{0,16}[:：]", re.IGNORECASE)
# A list item: "- ", "* ", "• ", "1. ", "2、", "一、", "(3)", "（3）".
_BULLET = re.compile(
    r"^[ \t]*(?:[-*•·][ \t]|\d{1,2}[.、)][ \t]?(?!\d)|[一二三四五六七八九十]{1,3}、|[(（]\d{1,2}[)）])"
)
# The line before a list that makes the list the user's own (sections to write, requirements).
_LIST_INTRO = re.compile(
    r"(?i)(?:sections?|structure|outline|include|including|with|following|parts?|format|requirements?|"
    r"结构|包括|包含|部分|如下|大纲|要求|格式)[^\n:：]{0,6}[:：]\s*$"
)
# A line of code or JSON: a statement keyword, an assignment, a comment, a "key": value pair, a
# bracket line.
_CODE_LINE = re.compile(
    r"^[ \t]*(?:(?:def|class|import|return|raise|for|while|if|elif|else|try|except|finally|with|async|await|"
    r"const|let|var|function|public|private)\b|from\s+\S+\s+import\b|#|//|@\w|\w+(?:\.\w+)*\s*=\s*\S|"
    r"\"[^\"\n]+\"\s*:|[\]\[{}()]+[,;]?\s*$)|[{(\[:;,]\s*$"
)
# An instruction glued to the end of the last line of pasted data ("| APAC | 4,213.7 | 9.8% | Please
# write ...", "87.1请据此写..."): where the user starts talking again.
_GLUED = re.compile(
    r"(?:(?<=[\d|%).。:：])[ \t]*|(?<=\S)[ \t]{2,})(?<![A-Za-z])(?=(?:Please|PLEASE|Now|Write|Based\s+on|Using|"
    r"Summari[sz]e|Draft|Create|Rewrite|Prepare|Turn)\b)"
    r"|(?=请|以上(?:数据|内容|资料|材料)|根据(?:以上|上述|上表|这些)|基于以上|帮我)"
)


def _data_line(line: str) -> bool:
    if _TABLE_ROW.search(line):
        return True
    if _KV_NUMBER.match(line):
        return True
    chars = [c for c in line if not c.isspace()]
    if len(chars) >= 8:
        letters = sum(c.isalpha() for c in chars)
        return letters / len(chars) < 0.5
    return False


_ASKS = re.compile(r"请(?:根据|按照|写|撰写|帮|为|以|你)|please\s+(?:write|draft|compose)", re.IGNORECASE)


def _wrapped(block: list[str]) -> bool:
    """Whether a paragraph's lines are hard-wrapped pasted text: three or more lines, not opening
    with the user's request, few of them "label:" lines, most (all but the last) filled to nearly the same width (30-120 characters),
    most not ending a sentence.
    Nobody hard-wraps their own chat instructions; pasted articles and e-mails often are."""
    if len(block) < 3:
        return False
    if sum(bool(re.match(r"^\s*[^\s:：]{1,16}\s*[:：]", ln)) for ln in block) > 0.4 * len(block):
        return False  # "研究课题： ...", "Tone: ...": a form of labelled lines, not running text
    if _INSTRUCTION_LINE.match(block[0]) or _ASKS.search(block[0]):
        return False  # the user's own request, whatever its line lengths
    body = [ln.rstrip("\r\n") for ln in block[:-1]]
    width = max(len(ln) for ln in body)
    if not 30 <= width <= 120:
        return False
    full = sum(len(ln) >= 0.8 * width for ln in body)
    open_end = sum(not re.search(r"[.!?。！？:：;；]\s*$", ln) for ln in body)
    return full >= 0.6 * len(body) and open_end >= 0.5 * len(body)


def _line_block_spans(lines: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Material spans made of whole lines: runs of data lines, of code lines, of list items that
    no instruction introduces (meeting notes), and hard-wrapped paragraphs."""
    spans: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    code: list[tuple[int, int]] = []

    def introduced(k: int, strict: bool = False) -> bool:
        prev = next((lines[q][2] for q in range(k - 1, -1, -1) if lines[q][2].strip()), None)
        if prev is None:
            return not strict
        return bool(_LIST_INTRO.search(prev) or (not strict and _INSTRUCTION_LINE.match(prev)))

    def data_run_is_material(run: list[tuple[int, int]], first: int) -> bool:
        # "Structure:\n- Introduction: 300 words\n- Findings: 1,200 words\n...": the user's own
        # length plan, not data, when an instruction introduces it and its lines state lengths.
        if not introduced(first, strict=True):
            return True
        sized = sum(bool(_SINGLE.search(text_of[s0:e0])) for s0, e0 in run)
        return sized < 0.5 * len(run)

    text_of = "".join(ln for _, _, ln in lines)
    first = 0
    end_pos = lines[-1][1] if lines else 0
    for idx, (start, end, line) in enumerate([*lines, (end_pos, end_pos, "")]):
        is_data = bool(line.strip()) and _data_line(line) and not _LENGTH_KEY.search(line)
        if line.lstrip().startswith(">"):
            spans.append((start, end))
        if is_data:
            if not run:
                first = idx
            run.append((start, end))
        else:
            if len(run) >= 3 and data_run_is_material(run, first):
                spans.append((run[0][0], run[-1][1]))
            if line.strip():
                run = []
        if line.strip() and _CODE_LINE.search(line):
            code.append((start, end))
        elif line.strip():
            if len(code) >= 3:
                spans.append((code[0][0], code[-1][1]))
            code = []
    if len(code) >= 3:
        spans.append((code[0][0], code[-1][1]))
    # Lists and paragraphs: groups of consecutive non-blank lines.
    i = 0
    while i < len(lines):
        if not lines[i][2].strip():
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j][2].strip():
            j += 1
        block = [ln for _, _, ln in lines[i:j]]
        if _wrapped(block):
            spans.append((lines[i][0], lines[j - 1][1]))
        # runs of list items inside the paragraph
        k = i
        while k < j:
            if not _BULLET.match(lines[k][2]):
                k += 1
                continue
            m = k
            while m < j and _BULLET.match(lines[m][2]):
                m += 1
            if m - k >= 3 and not introduced(k):
                spans.append((lines[k][0], lines[m - 1][1]))
            k = m
        i = j
    return spans


def _unglue(text: str, s: int, e: int) -> int:
    """The end of material span [s, e) with an instruction glued to its last line cut off."""
    last = text[s:e].rstrip()
    line_start = s + last.rfind("\n") + 1
    line = text[line_start : s + len(last)]
    for m in _GLUED.finditer(line):
        if m.end() > 0 and line[: m.start()].strip():
            return line_start + m.end()
    return e


def material_spans(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are pasted material, not the user's instructions (merged, sorted).

    Fenced or triple-quoted blocks, ``>`` quoted lines, long quotations, runs of three or more
    table/data lines (a line that states a word count stays an instruction), runs of three or
    more code/JSON lines, runs of three or more list items no instruction line introduces
    (meeting notes, not "Sections:"), hard-wrapped paragraphs, and text after a material marker
    up to the next line that reads as an instruction. An instruction glued to the end of the last
    line of a span ("...| 9.8% | Please write 1,000 words") is cut off it.
    """
    spans: list[tuple[int, int]] = [m.span() for m in _FENCE.finditer(text)]
    spans += [m.span() for m in _LONG_QUOTE.finditer(text)]
    lines: list[tuple[int, int, str]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        lines.append((pos, pos + len(line), line))
        pos += len(line)
    spans += _line_block_spans(lines)
    for m in _MARKER.finditer(text):
        start = m.end()
        stop = len(text)
        # The material runs from the marker to the first instruction line after it (not the
        # marker's own line), or to the end.
        nl = text.find("\n", start)
        while nl != -1:
            line_end = text.find("\n", nl + 1)
            line = text[nl + 1 : line_end if line_end != -1 else len(text)]
            if _INSTRUCTION_LINE.match(line):
                stop = nl + 1
                break
            nl = line_end
        if stop > start:
            spans.append((start, stop))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        elif e > s:
            merged.append((s, e))
    unglued = [(s, _unglue(text, s, e)) for s, e in merged]
    return [(s, e) for s, e in unglued if e > s]


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    out, pos = [], 0
    for s, e in spans:
        out.append(text[pos:s])
        out.append("\n" * (e - s))
        pos = e
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Scope of a candidate
# ---------------------------------------------------------------------------------------------

_CLS = r"小节|部分|方面|篇|个|章|段|节|条|首|则|封|天|集|期|份|组|道|点|幕|场|课|讲|周|位|款|项|张|部|句"
_PART_NOUN_SKIP = {
    "of",
    "the",
    "these",
    "those",
    "your",
    "my",
    "one",
    "single",
    "individual",
    "such",
    "a",
    "an",
}
# Words after "each" that are a qualifier, not the part's noun ("each no more than 250 words").
_NOT_A_NOUN = set(
    "no not more less than about around roughly approximately at least most under over up to within between "
    "should must is be being needs need of around max min limited".split()
)
_CUES = re.compile(
    r"(?P<total>\bin\s+total\b|\btotal(?:ing|ling)?\b|\boverall\b|\baltogether\b|\bin\s+all\b|\bcombined\b|"
    r"\b(?:the\s+)?(?:entire|whole|full)\b|全文|总字数|总共|一共|共计|合计|总计|总长|全篇|整篇|总体|共)"
    r"|(?P<part>\b(?:each|every|per)\b(?P<en_noun>(?:\s+[a-z-]+){0,3})|每(?:一)?(?P<cls>"
    + _CLS
    + r")?(?P<zn>[\u4e00-\u9fff]{0,3})|各(?:个|篇|章|段|节|部分|条)?)"
    r"|(?P<element>\b(?:sub-?titles?|titles?|headlines?|headings?|slogans?|taglines?|captions?|subject\s+lines?|"
    r"hashtags?|names?|one-liners?|mottos?)\b|副标题|小标题|标题|口号|标语|广告语|宣传语|题目名称|书名|网名)"
    r"|(?P<section>\b(?:introduction|intro|abstract|conclusion|(?:executive\s+|project\s+)?summary|opening\s+paragraph|"
    r"methods|methodology|results|discussion|literature\s+review|"
    r"closing\s+paragraph|first\s+paragraph|last\s+paragraph|preface|foreword|epilogue|synopsis)\b|摘要|引言|"
    r"前言|结语|结论部分|开头|结尾|首段|末段|导语|简介部分)"
    r"|(?P<described>\b(?:this|that|these|the\s+(?:following|above|attached|below)|my|our|an\s+existing|"
    r"the\s+original)\s+$|(?:这篇|这份|这段|这些|这个|该|此|上述|以下|下面|附上的|我写的|原来的|原文)(?:\s*约)?$)",
    re.IGNORECASE,
)
_ELEMENT_NOUN = re.compile(
    r"\b(?:titles?|headlines?|headings?|slogans?|taglines?|captions?|subject\s+lines?|hashtags?|names?|mottos?)\b|"
    r"标题|口号|标语|广告语|宣传语|书名|网名",
    re.IGNORECASE,
)
_WRITE_VERB = re.compile(
    r"写|撰|创作|编写|生成|\b(?:write|compose|draft|create|produce|generate|prepare|give\s+me)\b",
    re.IGNORECASE,
)
_POST_TOTAL = re.compile(r"^\s*(?:in\s+total|total|overall|altogether|in\s+all|combined)\b", re.IGNORECASE)
_POST_PART = re.compile(
    r"^\s*(?:(?:for\s+)?each(?P<en_noun>(?:\s+[a-z-]+){0,2})|apiece|a\s+piece|per\s+(?P<per>[a-z-]+)|"
    r"for\s+every\s+(?P<every>[a-z-]+)|/\s*(?P<slash>" + _CLS + r")|一(?P<yi>篇|个|章|段|条|首|则|封))",
    re.IGNORECASE,
)
_POST_ELEMENT = re.compile(
    r"^\s*(?:for|in|of)\s+(?:the|each|its|your)\s+(?:titles?|headlines?|subtitles?|slogans?|captions?)",
    re.IGNORECASE,
)
_POST_DESCRIBED = re.compile(
    r"^\s*(?:article|essay|text|report|draft|story|paper|document|passage|piece|speech)\s+"
    r"(?:below|above|i\s+wrote|i\s+pasted|attached)|^的?(?:原文|短文如下|文章如下)",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(r"[\n。！？!?；;]|\.(?=\s)")


def _window_before(masked: str, start: int) -> str:
    seg = masked[max(0, start - 80) : start]
    ends = [m.end() for m in _BOUNDARY.finditer(seg)]
    return seg[ends[-1] :] if ends else seg


def _window_after(masked: str, end: int) -> str:
    seg = masked[end : end + 40]
    m = re.search(r"[\n。！？!?；;，,]|\.(?=\s|$)", seg)
    return seg[: m.start()] if m else seg


def _part_noun(raw: str | None) -> str | None:
    for word in (raw or "").lower().split():
        if word in _NOT_A_NOUN:
            return None
        if word not in _PART_NOUN_SKIP and not word.isdigit() and word not in _EN_SMALL:
            return word.rstrip("s") if len(word) > 3 else word
    return None


def _scope(masked: str, start: int, end: int) -> tuple[str, str | None]:
    """(scope, part noun or classifier) of the candidate at [start, end) from its neighbours."""
    after = _window_after(masked, end)
    if _POST_TOTAL.match(after):
        return "total", None
    m = _POST_PART.match(after)
    if m:
        noun = m.group("per") or m.group("every") or m.group("slash") or m.group("yi")
        if _ELEMENT_NOUN.search(m.group(0)):
            return "element", None
        return "part", (noun if noun and not noun.isascii() else _part_noun(noun or m.group("en_noun")))
    if _POST_ELEMENT.match(after):
        return "element", None
    if _POST_DESCRIBED.match(after):
        return "described", None
    before = _window_before(masked, start)
    best = None
    for m in _CUES.finditer(before):
        best = m
    if best is None:
        return "whole", None
    kind = next(n for n in ("total", "part", "element", "section", "described") if best.group(n) is not None)
    gap = before[best.end() :]
    if len(gap) > 45 or len(re.findall(r"[,，、]", gap)) > 1 or re.search(r"\d|words?\b|字", gap):
        return "whole", None  # the cue belongs to an earlier clause or another number
    if kind in ("element", "section") and _WRITE_VERB.search(gap):
        return "whole", None  # "以春天为标题写一篇800字的文章": the cue names something else
    if kind == "part":
        zh_noun = (best.group("cls") or "") + (best.group("zn") or "")
        noun = zh_noun or _part_noun(best.group("en_noun"))
        if _ELEMENT_NOUN.search(best.group(0)):
            return "element", None  # "each slogan within 15 words", "每条口号15字以内"
        if noun is None and _ELEMENT_NOUN.search(before[: best.start()]):
            return "element", None  # "Write slogans for a bakery, each within 15 words"
        return "part", noun
    return kind, None


_EN_COUNT = re.compile(
    rf"\b(?P<c>\d+|{'|'.join(list(_EN_SMALL)[2:] + list(_EN_TENS))})(?:\s*(?:-|to|–)\s*(?P<c2>\d+|"
    rf"{'|'.join(list(_EN_SMALL)[2:])}))?(?P<words>(?:[ \t]+[a-z-]+){{1,3}})",
    re.IGNORECASE,
)
_ZH_COUNT = re.compile(
    r"(?P<c>\d+|[两二三四五六七八九十]+)(?:\s*[到至~-]\s*(?P<c2>\d+|[两二三四五六七八九十]+))?\s*(?P<cls>"
    + _CLS
    + r")(?P<zn>[\u4e00-\u9fff]{0,3})"
)
_NOT_COUNT_NOUNS = {"word", "character", "char", "letter", "minute", "hour", "second", "year", "percent"}
# Things that go with each part, not parts: "include 5 bullet points in each", "2-3张配图".
_CONTENT_NOUNS = set(
    "image picture photo screenshot illustration bullet point hashtag emoji link reference source example "
    "quote citation table chart figure keyword tag visual graphic".split()
)
_ZH_CONTENT = re.compile(r"图|照片|截图|镜头|关键词|话题|标签|表情|参考|来源|链接|例子|表格|配图")


def _count_for(
    masked: str, cand_start: int, noun: str | None, zh: bool
) -> tuple[int, int, tuple[int, int]] | None:
    """The stated number of parts for a per-part limit: (low, high, span), or None."""
    best = None
    pattern = _ZH_COUNT if zh else _EN_COUNT
    for m in pattern.finditer(masked):
        if m.start() <= cand_start < m.end():
            continue
        c = number_value(m.group("c"))
        c2 = number_value(m.group("c2")) if m.group("c2") else c
        if c is None or c2 is None or not 2 <= c <= 200 or c2 < c:
            continue
        if zh:
            cls, zn = m.group("cls"), m.group("zn")
            same = (
                noun is None
                or cls == noun[0]
                or (len(zn) >= 2 and zn[:2] in noun)
                # 三个部门各写一份简报，每份约600字: one part for each of the three
                or bool(
                    re.match(
                        rf"[\u4e00-\u9fff]{{0,3}}各[写撰出做作]?一{re.escape(noun[0])}",
                        masked[m.start("zn") :],
                    )
                )
            )
            if _ZH_CONTENT.match(zn) or cls == "张" or not same:
                continue  # 2-3张配图, 3个镜头: what each part carries; or another classifier
        else:
            words = [w.rstrip("s") if len(w) > 3 else w for w in m.group("words").lower().split()]
            if noun is not None:
                same = any(w == noun or w.rstrip("e") == noun or noun.startswith(w) for w in words)
            else:  # "5 blog posts ..., 300 words each": a plural noun that is not a unit
                plural = [w for w in m.group("words").lower().split() if w.endswith("s") and len(w) > 3]
                same = bool(plural) and plural[-1].rstrip("s") not in _NOT_COUNT_NOUNS
            if not same or any(w in _NOT_COUNT_NOUNS or w in _CONTENT_NOUNS for w in words):
                continue
        # Prefer the count nearest the limit, before it ("3 sections of 400 words each, and 5 tips in
        # each": the parts are named before their limit).
        dist = (0 if same else 1, 0 if m.start() < cand_start else 1, abs(cand_start - m.start()))
        if best is None or dist < best[0]:
            best = (dist, c, c2, m.span())
    if best is None:
        return None
    return best[1], best[2], best[3]


# ---------------------------------------------------------------------------------------------
# Candidates and the choice
# ---------------------------------------------------------------------------------------------


@dataclass
class _Cand:
    start: int
    end: int
    lower: int
    upper: int
    unit: str | None  # None: a bare number, unit decided later
    rule: str
    scope: str = "whole"
    noun: str | None = None
    slot: int | None = None  # an item's place in its list (line start or inline segment index)


def _kind_around(text: str, start: int, end: int) -> str:
    pre = _PRE.search(text[max(0, start - 30) : start])
    after = text[end : end + 16]
    if pre and _SUF_ABOUT.match(after) and re.fullmatch(r"控制在|限", pre.group("most") or ""):
        return "about"  # 控制在3000字左右: "keep it at about 3000", LongWriter-Zero's about N
    if pre:
        return "at least" if pre.group("least") else "at most"
    if _SUF_LEAST.match(after):
        return "at least"
    if _SUF_MOST.match(after):
        return "at most"
    return "about"


def _bounds(kind: str, n: int) -> tuple[int, int]:
    if kind == "at least":
        return n, int(round(1.1 * n))
    if kind == "at most":
        return int(round(0.9 * n)), n
    return int(round(0.9 * n)), int(round(1.1 * n))


def _unit_of_match(m: re.Match, zh_request: bool) -> str | None:
    g = m.groupdict()
    if g.get("zh") == "词":
        return "words"  # 300词的英语作文: English words asked in Chinese
    if g.get("zh") or g.get("zhfield"):
        return "chars"
    if g.get("ch"):
        return "chars" if zh_request else "en-chars"
    if g.get("en"):
        return "words"
    return None


_ANCHOR = re.compile(
    r"words?\b|字|词|characters?\b|chars?\b|word\s+(?:count|limit)|length|total|overall|全文|总|共|合计|"
    r"pages?\b|paragraphs?\b|sentences?\b|lines?\b|slides?\b|min|hours?\b|seconds?\b|tokens?\b|verses?\b|"
    r"stanzas?\b|页|段|行|句|分钟|小时",
    re.IGNORECASE,
)
_TOKEN_CHAR = re.compile(r"[\w,，.\u4e00-\u9fff]")


def _windows(text: str) -> list[tuple[int, int]]:
    """Merged windows around unit/field words: every length candidate lies inside one, so the
    number patterns only run there (a request is mostly prose without units)."""
    out: list[tuple[int, int]] = []
    for m in _ANCHOR.finditer(text):
        ws, we = max(0, m.start() - 110), min(len(text), m.end() + 70)
        while ws > 0 and _TOKEN_CHAR.match(text, ws - 1):
            ws -= 1  # never start inside a number or word
        while we < len(text) and _TOKEN_CHAR.match(text, we):
            we += 1
        if out and ws <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], we))
        else:
            out.append((ws, we))
    return out


def _collect(masked: str, zh: bool, rejected: list[Rejected]) -> list[_Cand]:
    cands: list[_Cand] = []
    taken: list[tuple[int, int]] = []
    windows = _windows(masked)

    def scan(pattern: re.Pattern):
        for ws, we in windows:
            yield from pattern.finditer(masked, ws, we)

    def free(s: int, e: int) -> bool:
        return not any(s < te and ts < e for ts, te in taken)

    def reject(s: int, e: int, why: str) -> None:
        rejected.append(Rejected(masked[s:e], s, e, why))
        taken.append((s, e))

    for m in scan(_ZH_PAIR):
        if not free(*m.span()):
            continue
        a, b, s = (
            _ZH_DIGITS[m.group("a")],
            _ZH_DIGITS[m.group("b")],
            {"十": 10, "百": 100, "千": 1000, "万": 10000},
        )
        scale = s[m.group("s")]
        if a == 1 and b == 2 or b == a + 1:
            cands.append(_Cand(m.start(), m.end(), a * scale, b * scale, "chars", "range"))
            taken.append(m.span())
    for m in (*scan(_ZH_VAGUE), *scan(_EN_VAGUE)):
        if free(*m.span()):
            reject(*m.span(), "a vague quantity, not a length")
    for m in scan(_ZH_REACH):
        if free(*m.span()):
            n = {"百": 100, "千": 1000, "万": 10000}[m.group("s")]
            cands.append(_Cand(m.start(), m.end(), n, int(round(1.1 * n)), "chars", "at least"))
            taken.append(m.span())
    for m in scan(_NONWORD):
        n = number_value(m.group("n"))
        if n is not None and free(*m.span()):
            rejected.append(
                Rejected(m.group(0), *m.span(), f"{m.group('u')!r} is not a word or character count")
            )
    for m in scan(_CHANGE):
        a, b = number_value(m.group("a")), number_value(m.group("n"))
        before = masked[max(0, m.start() - 40) : m.end()]
        changing = re.search(
            r"expand|shorten|reduce|cut|trim|condense|compress|扩|缩|压|精简|删", before, re.I
        )
        if a is None or b is None or not changing or not MIN_LENGTH <= b <= MAX_LENGTH:
            continue
        lo, hi = _bounds("about", b)
        cands.append(
            _Cand(m.start("n"), m.end(), lo, hi, _unit_of_match(m, zh), "about (the length to reach)")
        )
        rejected.append(Rejected(m.group("a"), m.start("a"), m.end("a"), "the length to start from"))
        taken.append((m.start(), m.end()))
    for m in scan(_MIN_MAX) if re.search(r"(?i)\bmin(?:imum)?\b", masked) else ():
        a, b = number_value(m.group("a")), number_value(m.group("n"))
        words, chars = re.search(r"(?i)\bwords?\b", m.group(0)), re.search(r"字", m.group(0))
        if a is None or b is None or not MIN_LENGTH <= a < b <= MAX_LENGTH or not (words or chars):
            continue
        if free(*m.span()):
            cands.append(_Cand(m.start(), m.end(), a, b, "words" if words else "chars", "minimum + maximum"))
            taken.append(m.span())
    for m in scan(_RANGE):
        if not free(m.start("a"), m.end()):
            continue
        a, b = number_value(m.group("a")), number_value(m.group("n"))
        if a is None or b is None or a == b:
            continue
        if min(a, b) < MIN_LENGTH or max(a, b) > MAX_LENGTH:
            continue
        unit = _unit_of_match(m, zh)
        before = masked[max(0, m.start() - 40) : m.start()]
        if m.group("from") and re.search(
            r"expand|shorten|reduce|cut|trim|condense|compress|扩|缩|压|精简|删", before, re.I
        ):
            lo, hi = _bounds("about", b)
            cands.append(_Cand(m.start("n"), m.end(), lo, hi, unit, "about (the length to reach)"))
            rejected.append(Rejected(m.group("a"), m.start("a"), m.end("a"), "the length to start from"))
        else:
            cands.append(_Cand(m.start("a"), m.end(), min(a, b), max(a, b), unit, "range"))
        taken.append((m.start("a"), m.end()))
    for m in scan(_SINGLE):
        s = m.start("n")
        if not free(s, m.end()):
            continue
        n = number_value(m.group("n"))
        if n is None:
            continue
        if n < MIN_LENGTH:
            if n > 0:
                rejected.append(Rejected(m.group(0), s, m.end(), "under 10: a content rule, not a length"))
            continue
        if n > MAX_LENGTH:
            continue
        plus = m.groupdict().get("plus")
        kind = {"多": "at least", "余": "at least"}.get(plus or "", _kind_around(masked, s, m.end()))
        lo, hi = _bounds(kind, n)
        cands.append(_Cand(s, m.end(), lo, hi, _unit_of_match(m, zh), kind))
        taken.append((s, m.end()))
    for m in scan(_COUNT_FIELD_RANGE):
        if not free(m.start("a"), m.end("n")):
            continue
        a, b = number_value(m.group("a")), number_value(m.group("n"))
        if a is None or b is None or a >= b or a < MIN_LENGTH or b > MAX_LENGTH:
            continue
        if _amount(masked, m.start("a"), m.end("n")):
            reject(m.start("a"), m.end("n"), "an amount (decimal, currency or scale word), not a length")
            continue
        unit = "chars" if m.group("zhfield") else None
        cands.append(_Cand(m.start(), m.end("n"), a, b, unit, "range"))
        taken.append((m.start("a"), m.end("n")))
    for pattern, rule_of in ((_COUNT_FIELD, "field"), (_TOTAL_FIELD, "total")):
        for m in scan(pattern):
            s, e = m.start("n"), m.end("n")
            if not free(s, e):
                continue
            n = number_value(m.group("n"))
            if n is None or not MIN_LENGTH <= n <= MAX_LENGTH:
                continue
            if _amount(masked, s, e):
                reject(s, e, "an amount (decimal, currency or scale word), not a length")
                continue
            if not _BARE_AFTER_OK.match(masked, e):
                tail = masked[e : e + 12].split("\n")[0]
                rejected.append(
                    Rejected(
                        masked[m.start() : e] + tail,
                        m.start(),
                        e,
                        "the number has a unit that is not a length",
                    )
                )
                taken.append((s, e))
                continue
            kind = _kind_around(masked, s, e)
            if (
                kind == "about"
                and rule_of == "field"
                and "limit" in (m.groupdict().get("enfield") or "").lower()
            ):
                kind = "at most"
            lo, hi = _bounds(kind, n)
            unit = "chars" if m.groupdict().get("zhfield") else None
            cand = _Cand(m.start(), e, lo, hi, unit, kind)
            if rule_of == "total":
                cand.scope = "total"
            cands.append(cand)
            taken.append((s, e))
    cands.sort(key=lambda c: c.start)
    return cands


def _amount(text: str, start: int, end: int) -> bool:
    """Whether the bare number at [start, end) is an amount: a decimal part or a scale/currency word
    after it, or a currency before it ("RMB17,103.2 million", "合计12,345.6万元")."""
    return bool(_AMOUNT_AFTER.match(text, end) or _CURRENCY_BEFORE.search(text[max(0, start - 6) : start]))


_ITEM_WHY = "limits one item of a list of sections, not the whole"
# What a list item's label must not be for its number to be an item's limit: a length or total
# field ("- Length: about 1,500 words") or an instruction ("- Write at least 2,000 words").
_ITEM_NOT_SECTION = re.compile(
    r"(?i)length|word\s+(?:count|limit)|total|overall|in\s+all|requirements?|字数|篇幅|全文|总|共计|合计|长度|要求|"
    + _WRITE_VERB.pattern
)


def _list_item(masked: str, start: int) -> str | None:
    """``"list@<offset>:<items>"`` when the number at ``start`` is the limit of one named item of a
    list of two or more items ("2. 分组实验的具体步骤说明（至少2000字）", "- Introduction: 300 words"),
    else None. The item's label is the text between the list marker and a "(", "（", ":" or "：".
    """
    ls = masked.rfind("\n", 0, start) + 1
    le = masked.find("\n", start)
    le = len(masked) if le == -1 else le
    line = masked[ls:le]
    m = _BULLET.match(line)
    if m is None:
        return None
    prefix = line[m.end() : start - ls]
    cut = max(prefix.rfind(ch) for ch in "(（:：")
    if cut <= 0:
        return None
    label, tail = prefix[:cut].strip(), prefix[cut + 1 :]
    if not label or _ITEM_NOT_SECTION.search(label):
        return None
    if len(tail) > 24 or re.search(r"[,，;；。]", tail):
        return None  # "- 报道要求：内容丰富，……不少于3000字": a sentence, not a section's limit
    # the list: the run of consecutive list lines around this one
    first = ls
    while first > 0:
        ps = masked.rfind("\n", 0, first - 1) + 1
        if not _BULLET.match(masked[ps : first - 1]):
            break
        first = ps
    n = 0
    pos = first
    while pos <= len(masked):
        e = masked.find("\n", pos)
        e = len(masked) if e == -1 else e
        if not _BULLET.match(masked[pos:e]):
            break
        n += 1
        pos = e + 1
    return f"list@{first}:{n}" if n >= 2 else None


_SENTENCE_END = re.compile(r"[\n。！？!?]|\.(?=\s|$)")
_INLINE_LABEL = re.compile(r"\s*(?:and\s+|以及|和)?(?P<label>[^(（:：,，、;；]{1,24}?)\s*[(（:：]")


def _inline_item(masked: str, start: int) -> tuple[str, int] | None:
    """``("inline@<colon>:<items>", index)`` when the number at ``start`` is the limit of one named
    item of a list written on one line after a colon, three or more short items apart by commas,
    顿号 or semicolons ("with these sections: Summary (150 words at most), Timeline, Root cause",
    "按以下结构：摘要（约300字）、引言（约800字）、……"), else None. The item must be a label with
    its limit in brackets or after a colon; a length field ("length", "字数") is not an item.
    """
    lo = max(0, start - 300)  # a list sentence is short: look back a bounded stretch only
    ls = max((m.end() for m in _SENTENCE_END.finditer(masked, lo, start)), default=lo)
    end = _SENTENCE_END.search(masked, start)
    le = end.start() if end else len(masked)
    colon = max(masked.rfind(":", ls, start), masked.rfind("：", ls, start))
    if colon == -1:
        return None
    segs, depth, seg_start = [], 0, colon + 1
    for i in range(colon + 1, le):
        ch = masked[i]
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in ",，、;；":
            segs.append((seg_start, i))
            seg_start = i + 1
    segs.append((seg_start, le))
    if len(segs) < 3 or any(len(masked[a:b].strip()) > 40 for a, b in segs):
        return None
    idx = next((k for k, (a, b) in enumerate(segs) if a <= start < b), None)
    if idx is None:
        return None
    m = _INLINE_LABEL.match(masked, segs[idx][0], start)
    if m is None or _ITEM_NOT_SECTION.search(m.group("label")):
        return None
    return f"inline@{colon}:{len(segs)}", idx


# A number that measures something already there ("comments average 42 words", "平均长度38字"):
# a statistic, not a requirement.
_STATISTIC_BEFORE = re.compile(
    r"(?i)(?:\b(?:average|averages|averaging|avg\.?|mean|median|on\s+average)\b"
    r"(?:\s+(?:length|word\s+count|of|is|was|about|around|roughly|at))*\s*[:：]?\s*"
    r"|平均(?:长度|字数|篇幅|每条|每篇)?(?:为|约|是|在)?\s*)$"
)
# "Draft just the lay summary (max 250 words)", "请只写项目摘要部分（不超过400字）": the answer is that
# one section, so its limit is the whole answer's.
_ONLY_SECTION = re.compile(r"(?i)\b(?:just|only)\b[^.;!?\n]{0,40}$|(?:只|仅)(?:需要?|要)?(?:写|撰写|起草)")
# The closing paragraph is the user's instruction when one of its sentences opens with a request.
_CLOSING_OPENER = re.compile(
    r"(?im)(?:^|(?<=[.!?。！？]))\s*(?:please|kindly|summari[sz]e|condense|rewrite|turn|reply|draft|write|"
    r"compose|translate|explain|produce|prepare|create|give|make|document|using|based\s+on|"
    r"请|帮我|麻烦|根据|基于|结合)"
)


_REQUEST_OPENER = re.compile(
    r"(?i)\s*(?:[-*•]\s*)?(?:please|kindly|summari[sz]e|condense|rewrite|reply|draft|write|compose|translate|"
    r"explain|produce|prepare|create|give|make|turn|keep|(?:word\s+count|length|word\s+limit)\b|请|帮我|麻烦|字数|篇幅)"
)


def _in_request(masked: str, start: int) -> bool:
    """Whether the number at ``start`` sits in a sentence that asks for something (opens with a
    request or a length field, or has a writing verb): the user's own words, not a document's."""
    lo = max(0, start - 300)
    ss = max((m.end() for m in _SENTENCE_END.finditer(masked, lo, start)), default=lo)
    end = _SENTENCE_END.search(masked, start)
    sentence = masked[ss : end.start() if end else len(masked)]
    return bool(_REQUEST_OPENER.match(sentence) or _WRITE_VERB.search(sentence))


def _closing_instruction(masked: str) -> int | None:
    """Start of the request's closing paragraph when it reads as the user's instruction (a
    paragraph of at most 600 characters after a blank line, with material or text before it)."""
    text = masked.rstrip()
    cut = text.rfind("\n\n")
    if cut < 200:
        return None
    para = text[cut + 2 :]
    if len(para) > 600 or not _CLOSING_OPENER.search(para):
        return None
    return cut + 2


# "- Final essay: 3,000 words (±10%)", "三、期末论文：5000字（±10%）": a labelled length in a brief.
_LABELLED_LENGTH = re.compile(
    r"(?m)^[ \t]*(?:[-*•·][ \t]*|\d{1,2}[.、)][ \t]*|[一二三四五六七八九十]{1,3}、)?"
    rf"(?P<label>[^\n:：\d]{{2,30}}?)[ \t]*[:：][ \t]*(?P<n>{_NUM}){_UNIT}"
    r"(?:[ \t]*[(（][ \t]*(?:±|\+/?-|\+-)[ \t]*(?P<pct>\d{1,2})[ \t]*%[ \t]*[)）])?",
    re.IGNORECASE,
)


def _adopted(prompt: str, masked: str, zh: bool) -> tuple[int, int, str, tuple[int, int], str] | None:
    """(lower, upper, unit, span, label) when the instruction asks for a text that a labelled line
    of the request gives a length to: "write my final essay" with "- Final essay: 3,000 words
    (±10%)" on a pasted course page, "请帮我写这份调研报告" with "一、调研报告：4000字（±10%）".
    The instruction must name the label whole (after my/the/this/our/your, or 写 in Chinese),
    outside the labelled line and outside pasted material. "±p%" gives [N(1-p), N(1+p)], else
    about N."""
    for m in _LABELLED_LENGTH.finditer(prompt):
        label = m.group("label").strip()
        if _ITEM_NOT_SECTION.search(label) or len(label) < 2:
            continue
        outside = masked[: m.start()] + "\n" * (m.end() - m.start()) + masked[m.end() :]
        if re.search(r"[\u4e00-\u9fff]", label):
            asked = re.search(rf"写[^\n，。,]{{0,6}}?{re.escape(label)}", outside)
        else:
            if len(label.split()) < 2:
                continue  # one English word ("Summary") is too generic to tie a length to
            asked = re.search(rf"(?i)\b(?:my|the|this|our|your)\s+{re.escape(label)}\b", outside)
        n = number_value(m.group("n"))
        unit = _unit_of_match(m, zh)
        if not asked or n is None or not MIN_LENGTH <= n <= MAX_LENGTH or unit not in ("words", "chars"):
            continue
        pct = int(m.group("pct")) if m.group("pct") else 10
        lo, hi = int(round(n * (1 - pct / 100))), int(round(n * (1 + pct / 100)))
        return lo, hi, unit, (m.start("label"), m.end()), label
    return None


def _rej(c: _Cand, text: str, why: str) -> Rejected:
    return Rejected(text[c.start : c.end], c.start, c.end, why)


# Requests longer than this are read at their head and tail only (instructions sit there; the
# middle of a very long request is pasted material). The evidence says so when it happens.
READ_HEAD = 30_000
READ_TAIL = 10_000


def find_length(prompt: str) -> LengthFinding:
    """The request's whole-response length range with its evidence (see the module doc).

    Requests over READ_HEAD + READ_TAIL characters are read at their first READ_HEAD and last
    READ_TAIL characters; the evidence's ``notes`` records the skipped middle. Offsets in the
    evidence always refer to the full request.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        return LengthFinding(None, None, None, LengthEvidence(reason="empty request"))
    if len(prompt) <= READ_HEAD + READ_TAIL:
        return _find(prompt)
    shift = len(prompt) - READ_TAIL - (READ_HEAD + 1)
    found = _find(prompt[:READ_HEAD] + "\n" + prompt[-READ_TAIL:])

    def at(p: int | None) -> int | None:
        return p if p is None or p <= READ_HEAD else p + shift

    ev = found.evidence
    skipped = len(prompt) - READ_HEAD - READ_TAIL
    note = f"characters {READ_HEAD}-{READ_HEAD + skipped} of {len(prompt)} not read (the middle of a very long request)"
    ev = LengthEvidence(
        at(ev.start),
        at(ev.end),
        ev.text,
        ev.rule,
        tuple(Rejected(r.text, at(r.start), at(r.end), r.why) for r in ev.rejected),
        tuple((at(s), at(e)) for s, e in ev.material),
        ev.reason,
        (*ev.notes, note),
    )
    return LengthFinding(found.lower, found.upper, found.unit, ev)


def _find(prompt: str) -> LengthFinding:
    zh = language_of(prompt) == "zh"
    default_unit = unit_of("zh" if zh else "en")
    material = material_spans(prompt)
    masked = _mask(prompt, material)
    rejected: list[Rejected] = []
    cands = _collect(masked, zh, rejected)
    if material:
        inside: list[Rejected] = []
        for m in _SINGLE.finditer(prompt):
            if any(s <= m.start() < e for s, e in material):
                n = number_value(m.group("n"))
                if n is not None and n >= MIN_LENGTH:
                    inside.append(Rejected(m.group(0), m.start(), m.end(), "inside pasted material"))
            if len(inside) >= 10:
                break
        rejected += inside
    keep: list[_Cand] = []
    for c in cands:
        if c.unit == "en-chars":
            rejected.append(
                _rej(c, prompt, "characters in an English request (answers are counted in words)")
            )
            continue
        if _STATISTIC_BEFORE.search(masked[max(0, c.start - 30) : c.start]):
            rejected.append(_rej(c, prompt, "a measured average of existing text, not a requirement"))
            continue
        c.scope, c.noun = (c.scope, None) if c.scope == "total" else _scope(masked, c.start, c.end)
        if c.scope in ("whole", "section"):
            item = _list_item(masked, c.start)
            inline = None if item is not None else _inline_item(masked, c.start)
            if item is not None:
                c.scope, c.noun, c.slot = "item", item, masked.rfind("\n", 0, c.start)
            elif inline is not None:
                c.scope, (c.noun, c.slot) = "item", inline
        if c.scope == "section" and _ONLY_SECTION.search(_window_before(masked, c.start)):
            c.scope = "whole"  # the answer is that one section
        if c.scope == "described":
            rejected.append(_rej(c, prompt, "the length of a text referred to, not of the answer"))
            continue
        keep.append(c)
    closing = _closing_instruction(masked)
    if closing is not None and any(c.start >= closing and c.scope in ("whole", "total") for c in keep):
        # earlier lengths outside any request of the user's (a contract's, a call's) give way
        other = [c for c in keep if c.start < closing and not _in_request(masked, c.start)]
        for c in other:
            why = "another document's length: the closing instruction states the answer's own"
            rejected.append(_rej(c, prompt, why))
        keep = [c for c in keep if c not in other]
    explicit_units = [c.unit for c in keep if c.unit]
    for c in keep:
        if c.unit is None:
            c.unit = explicit_units[0] if explicit_units else default_unit

    def done(c: _Cand, lower: int, upper: int, rule: str, start: int | None = None) -> LengthFinding:
        used = {id(c)}
        for other in keep:
            if id(other) not in used and other is not c:
                why = {
                    "element": "limits a title/slogan/single element, not the whole",
                    "part": "a per-part limit; the whole is chosen instead",
                    "section": "limits one section, not the whole",
                    "item": _ITEM_WHY,
                }.get(other.scope, "a later or lower-priority length; the chosen one covers the whole")
                rejected.append(_rej(other, prompt, why))
        s = c.start if start is None else start
        ev = LengthEvidence(s, c.end, prompt[s : c.end], rule, _sorted(rejected), tuple(material))
        return LengthFinding(lower, upper, c.unit, ev)

    totals = [c for c in keep if c.scope == "total"]
    wholes = [c for c in keep if c.scope == "whole"]
    parts = [c for c in keep if c.scope == "part"]
    sections = [c for c in keep if c.scope == "section"]
    elements = [c for c in keep if c.scope == "element"]
    if totals:
        c = totals[0]
        keep_rest = [o for o in keep if o is not c]
        keep[:] = [c, *keep_rest]
        return done(c, c.lower, c.upper, f"total ({c.rule})")
    if wholes:
        c = wholes[0]
        if len(wholes) > 1:
            d = wholes[1]
            pair = {c.rule, d.rule}
            if pair == {"at least", "at most"} and c.unit == d.unit:
                lo = c.lower if c.rule == "at least" else d.lower
                hi = d.upper if d.rule == "at most" else c.upper
                least_n = c.lower if c.rule == "at least" else d.lower
                most_n = d.upper if d.rule == "at most" else c.upper
                if least_n < most_n:
                    lo, hi = least_n, most_n
                    keep.remove(d)
                    c.end = d.end
                    return done(c, lo, hi, "at least + at most")
        return done(c, c.lower, c.upper, c.rule)
    for c in parts:
        count = _count_for(masked, c.start, c.noun, zh)
        if count is not None and _ELEMENT_NOUN.search(masked[count[2][0] : count[2][1]]):
            c.scope = "element"  # "five slogans, each within 15 words": the parts are slogans
            elements.append(c)
            continue
        if count is not None:
            lo_n, hi_n, span = count
            rule = f"{lo_n} x per-part ({c.rule})" if lo_n == hi_n else f"{lo_n}-{hi_n} x per-part ({c.rule})"
            start = min(span[0], c.start)
            finding = done(c, c.lower * lo_n, c.upper * hi_n, rule, start=start)
            ev = finding.evidence
            return LengthFinding(
                finding.lower,
                finding.upper,
                finding.unit,
                LengthEvidence(
                    start,
                    max(c.end, span[1]),
                    prompt[start : max(c.end, span[1])],
                    rule,
                    ev.rejected,
                    ev.material,
                ),
            )
    # The instruction asks for one labelled text whose length a line of the request gives (before
    # summing list items: "- Weekly log: 300 words / - Final essay: 3,000 words" + "write my final
    # essay" asks for the essay alone).
    adopted = _adopted(prompt, masked, zh)
    if adopted is not None:
        lo, hi, unit, (s, e), label = adopted
        for c in keep:
            if not s <= c.start < e:
                rejected.append(_rej(c, prompt, f"the instruction asks for the {label!r} alone"))
        rejected[:] = [r for r in rejected if not s <= r.start < e]
        rule = f"adopted: the instruction asks for the {label!r} that this line gives a length"
        ev = LengthEvidence(s, e, prompt[s:e], rule, _sorted(rejected), tuple(material))
        return LengthFinding(lo, hi, unit, ev)
    items = [c for c in keep if c.scope == "item"]
    lists = sorted({c.noun for c in items})
    for lst in lists:
        mine = [c for c in items if c.noun == lst]
        n_items = int(lst.rsplit(":", 1)[1])
        slots = {c.slot for c in mine}
        if len(mine) == n_items == len(slots) and len({c.unit for c in mine}) == 1:
            # every item of the list has its own limit: the whole is their sum
            lo, hi = sum(c.lower for c in mine), sum(c.upper for c in mine)
            first, last = mine[0], mine[-1]
            keep[:] = [first, *[o for o in keep if o.noun != lst]]
            ev = done(first, lo, hi, f"sum of {n_items} list-item limits").evidence
            return LengthFinding(
                lo,
                hi,
                first.unit,
                LengthEvidence(
                    first.start, last.end, prompt[first.start : last.end], ev.rule, ev.rejected, ev.material
                ),
            )
    if len(sections) >= 2 and len({c.unit for c in sections}) == 1:
        lo, hi = sum(c.lower for c in sections), sum(c.upper for c in sections)
        first, last = sections[0], sections[-1]
        keep[:] = [first, *[o for o in keep if o.scope != "section"]]
        f = done(first, lo, hi, f"sum of {len(sections)} section limits")
        ev = f.evidence
        return LengthFinding(
            lo,
            hi,
            first.unit,
            LengthEvidence(
                first.start, last.end, prompt[first.start : last.end], ev.rule, ev.rejected, ev.material
            ),
        )
    if len(sections) == 1 and not parts:
        c = sections[0]
        return done(c, c.lower, c.upper, f"{c.rule} (the one section asked for)")
    for c in keep:
        why = {
            "element": "limits a title/slogan/single element, not the whole",
            "part": "a per-part limit without a stated number of parts",
            "section": "limits one section, not the whole",
            "item": _ITEM_WHY,
        }.get(c.scope, "not used")
        rejected.append(_rej(c, prompt, why))
    if parts:
        reason = "only a per-part limit, with no stated number of parts: the whole length is unknown"
    elif elements:
        reason = "only a title/slogan/element has a stated length: the whole length is unknown"
    elif items:
        reason = (
            "a limit on some items of a list of sections, none on the whole: the whole length is not stated"
        )
    elif sections:
        reason = "section limits that do not add up to a whole"
    elif rejected:
        reason = "no usable length in the instructions"
    else:
        reason = "no length stated"
    return LengthFinding(
        None, None, None, LengthEvidence(rejected=_sorted(rejected), material=tuple(material), reason=reason)
    )


def _sorted(rejected: list[Rejected]) -> tuple[Rejected, ...]:
    seen, out = set(), []
    for r in sorted(rejected, key=lambda r: (r.start, r.end)):
        if (r.start, r.end) not in seen:
            seen.add((r.start, r.end))
            out.append(r)
    return tuple(out)
