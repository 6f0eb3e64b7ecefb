"""Deterministic writing for reward tests: answers of an exact length, plans, responses, requests.

Everything here is a pure function of its arguments (a seeded :class:`random.Random`), so a test
that fails on a generated text fails again on the same text. Lengths are exact in
:func:`rollout.text.count_words` units (English words, CJK characters), the unit every reward of
the project measures, so "a 10,000-word answer" is 10,000 words to the rewards too.

The text is varied but not meaningful: sentences drawn from topic-neutral pools, in paragraphs,
optionally under headings and with lists. It stands in for a well-formed answer; the probes
(:mod:`rewards.testing.probes`) compare a reward's score on such an answer with its score on an
attacked copy, so what matters is that both share everything but the attack.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from rollout.text import count_words

__all__ = [
    "compose_answer",
    "compose_plan",
    "build_response",
    "make_request",
    "GoodAnswer",
    "good_answers",
    "paraphrase",
    "split_paragraphs",
]

_EN_SUBJECTS = (
    "the river", "early farmers", "the city council", "local traders", "a small village",
    "the new canal", "historians", "the coastal town", "young engineers", "the old market",
    "the regional school", "travelling merchants", "the harbour master", "most households",
    "the mountain pass", "careful observers", "the first settlers", "the weekly newspaper",
)  # fmt: skip
_EN_VERBS = (
    "shaped", "changed", "supported", "challenged", "connected", "protected", "transformed",
    "described", "improved", "measured", "questioned", "organised", "recorded", "reshaped",
)  # fmt: skip
_EN_OBJECTS = (
    "the daily life of families", "the flow of goods", "the design of houses", "the price of grain",
    "seasonal festivals", "the movement of people", "the division of land", "relations between neighbours",
    "the habits of children", "the routes of caravans", "the shape of the streets", "public debates",
    "the work of craftsmen", "the keeping of records", "the rhythm of the harvest", "local customs",
)  # fmt: skip
_EN_TAILS = (
    "over many decades", "during the long dry season", "after the great flood", "in surprising ways",
    "with careful planning", "despite strong resistance", "for several generations", "almost overnight",
    "without much notice", "in the years that followed", "across the whole valley", "step by step",
)  # fmt: skip
_EN_LINKS = ("Moreover,", "In contrast,", "As a result,", "For example,", "Later,", "Meanwhile,", "", "", "")
_EN_HEADS = (
    "Origins and early settlement", "Trade and movement", "Work and daily life", "Conflict and change",
    "Records and memory", "The modern picture", "Lessons for today", "A closer look",
)  # fmt: skip

_ZH_SUBJECTS = (
    "河流", "早期的农民", "城市议会", "本地商人", "小村庄", "新修的运河", "历史学家", "沿海小镇",
    "年轻的工程师", "古老的集市", "地方学校", "远行的商队", "港口的管理者", "大多数家庭",
)  # fmt: skip
_ZH_VERBS = (
    "改变了",
    "塑造了",
    "支持了",
    "连接了",
    "保护了",
    "推动了",
    "影响了",
    "记录了",
    "重塑了",
    "组织了",
)
_ZH_OBJECTS = (
    "家庭的日常生活", "货物的流动", "房屋的设计", "粮食的价格", "季节性的节日", "人们的迁徙",
    "土地的分配", "邻里之间的关系", "孩子们的习惯", "商路的走向", "街道的形状", "公共的讨论",
)  # fmt: skip
_ZH_TAILS = (
    "在许多年里", "在漫长的旱季", "在那场大洪水之后", "以出人意料的方式", "通过细致的规划",
    "尽管遇到强烈的反对", "在随后的几十年中", "在整个河谷之中",
)  # fmt: skip
_ZH_LINKS = ("此外，", "相比之下，", "因此，", "例如，", "后来，", "与此同时，", "", "", "")
_ZH_HEADS = ("起源与早期定居", "贸易与迁徙", "劳动与日常生活", "冲突与变化", "记录与记忆", "今天的图景")

_EN_TOPICS = (
    "how rivers shaped early towns", "the history of the village market", "why canals changed trade",
    "the life of a coastal town", "how records changed local government", "the first settlers of a valley",
)  # fmt: skip
_ZH_TOPICS = ("河流如何塑造早期城镇", "乡村集市的历史", "运河为何改变了贸易", "沿海小镇的生活")


def _sentence(rng: random.Random, language: str) -> str:
    if language == "zh":
        return (
            rng.choice(_ZH_LINKS)
            + rng.choice(_ZH_TAILS)
            + "，"
            + rng.choice(_ZH_SUBJECTS)
            + rng.choice(_ZH_VERBS)
            + rng.choice(_ZH_OBJECTS)
            + "。"
        )
    link = rng.choice(_EN_LINKS)
    subject = rng.choice(_EN_SUBJECTS)
    body = f"{subject} {rng.choice(_EN_VERBS)} {rng.choice(_EN_OBJECTS)} {rng.choice(_EN_TAILS)}."
    if link:
        return f"{link} {body}"
    return body[0].upper() + body[1:]


def _paragraph(rng: random.Random, language: str) -> str:
    sep = "" if language == "zh" else " "
    return sep.join(_sentence(rng, language) for _ in range(rng.randint(3, 6)))


def _list_block(rng: random.Random, language: str) -> str:
    items = []
    for _ in range(rng.randint(3, 5)):
        if language == "zh":
            items.append(f"- {rng.choice(_ZH_SUBJECTS)}{rng.choice(_ZH_VERBS)}{rng.choice(_ZH_OBJECTS)}。")
        else:
            items.append(f"- {rng.choice(_EN_SUBJECTS).capitalize()} {rng.choice(_EN_VERBS)} "
                         f"{rng.choice(_EN_OBJECTS)}.")  # fmt: skip
    return "\n".join(items)


def _trim_to(text: str, units: int, language: str) -> str:
    """``text`` cut so that :func:`count_words` gives exactly ``units`` (``text`` has at least that)."""
    excess = count_words(text) - units
    if excess < 0:
        raise ValueError(f"cannot trim {count_words(text)} units up to {units}")  # a bug here, loudly
    if excess == 0:
        return text
    pattern = re.compile(r"[\u4e00-\u9fff]" if language == "zh" else r"\b[a-zA-Z]+\b")
    matches = list(pattern.finditer(text))
    cut = matches[len(matches) - excess].start()  # the first unit to drop
    head = text[:cut].rstrip(" ,，-#\n")
    end = "。" if language == "zh" else "."
    return head if head.endswith(("。", ".")) or not head else head + end


def compose_answer(
    language: str,
    units: int,
    *,
    seed: int = 0,
    headings: bool = False,
    lists: bool = False,
    paragraph_units: int | None = None,
) -> str:
    """An answer of exactly ``units`` :func:`count_words` units (English words for ``"en"``, CJK
    characters for ``"zh"``), in paragraphs (optionally under ``## `` headings and with ``- ``
    lists: at least one of each when the length leaves room, about 60 units or more); deterministic in ``seed``. ``paragraph_units`` caps a paragraph's length (units);
    ``units`` 0 gives ``""``."""
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', got {language!r}")
    if units < 0:
        raise ValueError(f"units must be >= 0, got {units}")
    if units == 0:
        return ""
    rng = random.Random(f"{language}:{seed}")
    blocks: list[str] = []
    total = 0
    section = 0
    has_list = False
    while total < units:
        roomy = units - total > 30  # headings and lists never come last: the trim cuts a paragraph
        if headings and roomy and (not blocks or rng.random() < 0.2):
            heads = _ZH_HEADS if language == "zh" else _EN_HEADS
            block = f"## {heads[section % len(heads)]}"
            section += 1
        elif lists and roomy and blocks and (rng.random() < 0.15 or (not has_list and len(blocks) >= 2)):
            block = _list_block(rng, language)
            has_list = True
        else:
            block = _paragraph(rng, language)
            if paragraph_units and count_words(block) > paragraph_units:
                block = _trim_to(block, paragraph_units, language)
        blocks.append(block)
        total += count_words(block)
    return _trim_to("\n\n".join(blocks), units, language)


def compose_plan(language: str, sections: int = 4, *, seed: int = 0) -> str:
    """A numbered plan of ``sections`` lines, each naming a section and its share of the length."""
    rng = random.Random(f"plan:{language}:{seed}")
    heads = list(_ZH_HEADS if language == "zh" else _EN_HEADS)
    rng.shuffle(heads)
    lines = []
    for i in range(sections):
        head = heads[i % len(heads)]
        lines.append(f"{i + 1}. {head}" + ("（约占四分之一）" if language == "zh" else " (about a quarter)"))
    return "\n".join(lines)


def build_response(plan: str | None, answer: str, *, close_answer: bool = True) -> str:
    """A plan-then-write response: ``<think>plan</think><answer>text</answer>`` (rollout's
    template); ``plan`` None leaves the plan out, ``close_answer`` False leaves ``</answer>`` off."""
    head = f"<think>\n{plan}\n</think>\n" if plan is not None else ""
    return f"{head}<answer>\n{answer}\n" + ("</answer>" if close_answer else "")


def make_request(language: str, topic: str, length: int | None, *, material: str | None = None) -> str:
    """A writing request about ``topic``, asking for ``length`` words (en) or characters (zh) when
    given, with ``material`` pasted after the instruction when given."""
    if language == "zh":
        ask = f"请写一篇{length}字的文章，主题是{topic}。" if length else f"请写一篇文章，主题是{topic}。"
        return ask + (f"\n\n以下是参考材料：\n\n{material}" if material else "")
    ask = f"Write a {length}-word essay on {topic}." if length else f"Write an essay on {topic}."
    return ask + (f"\n\nHere is some material to draw on:\n\n{material}" if material else "")


@dataclass(frozen=True)
class GoodAnswer:
    """A well-formed request/response pair: the answer meets the request's length exactly."""

    prompt: str
    response: str
    language: str
    units: int  # count_words of the answer part


def good_answers(
    count: int = 6, *, units_en: int = 400, units_zh: int = 600, seed: int = 0
) -> list[GoodAnswer]:
    """``count`` well-formed answers (two thirds English, one third Chinese) with headings and a
    plan, each exactly the length its request asks for (``units_en`` words, ``units_zh`` CJK
    characters): the baseline the hacking probes attack."""
    out = []
    for i in range(count):
        language = "zh" if i % 3 == 2 else "en"
        topics = _ZH_TOPICS if language == "zh" else _EN_TOPICS
        units = units_zh if language == "zh" else units_en
        topic = topics[i % len(topics)]
        answer = compose_answer(language, units, seed=seed * 1000 + i, headings=True, paragraph_units=90)
        response = build_response(compose_plan(language, seed=seed * 1000 + i), answer)
        out.append(GoodAnswer(make_request(language, topic, units), response, language, units))
    return out


def split_paragraphs(text: str) -> list[str]:
    """``text``'s blocks separated by blank lines (stripped, empty ones dropped)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


_EN_SYNONYMS = {
    "shaped": "formed", "changed": "altered", "supported": "sustained", "challenged": "contested",
    "connected": "linked", "protected": "guarded", "transformed": "remade", "described": "depicted",
    "improved": "bettered", "measured": "gauged", "questioned": "doubted", "organised": "arranged",
    "recorded": "noted", "daily": "everyday", "families": "households", "goods": "wares",
    "houses": "homes", "price": "cost", "movement": "migration", "people": "folk", "division": "split",
    "neighbours": "residents", "habits": "routines", "children": "youngsters", "routes": "paths",
    "streets": "roads", "debates": "discussions", "work": "labour", "keeping": "storing",
    "records": "archives", "many": "numerous", "long": "lengthy", "great": "huge", "surprising": "unexpected",
    "careful": "meticulous", "strong": "fierce", "several": "various", "whole": "entire", "years": "seasons",
    "Moreover": "Furthermore", "Later": "Afterwards", "Meanwhile": "Simultaneously", "river": "stream",
    "village": "hamlet", "town": "settlement", "farmers": "growers", "traders": "merchants",
    "small": "little", "new": "fresh", "old": "ancient", "first": "earliest", "young": "junior",
    "important": "significant", "city": "municipal", "market": "bazaar",
}  # fmt: skip
_ZH_SYNONYMS = {
    "改变了": "转变了", "塑造了": "造就了", "支持了": "支撑了", "连接了": "联结了", "保护了": "守护了",
    "推动了": "促进了", "影响了": "左右了", "记录了": "记载了", "家庭": "家户", "日常生活": "平日起居",
    "货物": "商品", "流动": "流通", "房屋": "屋舍", "价格": "价钱", "节日": "节庆", "迁徙": "迁移",
    "河流": "江河", "农民": "农夫", "商人": "商贾", "村庄": "村落", "许多年": "多年", "漫长": "长久",
    "细致": "周密", "强烈": "激烈", "因此": "所以", "例如": "比如", "后来": "之后", "此外": "另外",
}  # fmt: skip
_EN_WORD_RE = re.compile(r"\b[A-Za-z]+\b")
_ZH_KEYS_RE = re.compile("|".join(sorted(map(re.escape, _ZH_SYNONYMS), key=len, reverse=True)))


def paraphrase(text: str) -> str:
    """A deterministic paraphrase: a fixed word-substitution table (English and Chinese) applied
    to every word it knows, and the sentences of each paragraph rotated by one. It is a cheap
    stand-in for a model's paraphrase: same content, different surface."""

    def en_sub(m: re.Match) -> str:
        return _EN_SYNONYMS.get(m.group(0), m.group(0))

    out = []
    for para in split_paragraphs(text):
        para = _ZH_KEYS_RE.sub(lambda m: _ZH_SYNONYMS[m.group(0)], _EN_WORD_RE.sub(en_sub, para))
        if para.startswith(("#", "- ")):
            out.append(para)
            continue
        sentences = [s for s in re.split(r"(?<=[.!?。！？])\s*", para) if s]
        if len(sentences) > 1:
            sentences = sentences[1:] + sentences[:1]
        out.append(("" if re.search(r"[\u4e00-\u9fff]", para) else " ").join(sentences))
    return "\n\n".join(out)
