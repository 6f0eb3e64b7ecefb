"""The length reward: target ranges from the request, predicted ranges, and the piecewise score.

Lengths are measured on the answer only (the plan is excluded) with
:func:`rollout.text.count_words`: English in words, Chinese in characters.

Target ranges follow LongWriter-Zero's rules:

* an explicit length N ("a 1000-word essay", "3000字左右") gives [0.9 N, 1.1 N];
* at most N ("no more than 500 words", "200字以内") gives [0.9 N, N];
* at least N ("at least 400 words", "不少于800字") gives [N, 1.1 N];
* a range ("between 500 and 800 words", "300到400字") gives itself.

Requests without an explicit length get a range from :func:`predict_ranges` at data-preparation
time (an OpenAI-compatible model, validated and cached) or from its documented deterministic
fallback; the reward itself never calls a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewards.base import Batch, ComponentScore, register_reward
from rollout.jsonl import append_records, latest_by_key
from rollout.text import language_of, unit_of

if TYPE_CHECKING:  # pragma: no cover
    from rollout.endpoint import EndpointClient

__all__ = [
    "TargetRange",
    "parse_length_requirement",
    "predict_ranges",
    "fallback_range",
    "validate_predicted",
    "length_reward",
    "target_of",
    "DEFAULT_MAX_RATIO",
    "PREDICT_PROMPT_VERSION",
]

log = logging.getLogger(__name__)

# The reward falls linearly from 1 at the upper bound to 0 at DEFAULT_MAX_RATIO x upper.
DEFAULT_MAX_RATIO = 1.5
# Bump whenever the range-prediction prompt changes: cached predictions are keyed by it.
PREDICT_PROMPT_VERSION = 1
# Lengths below this are not length requirements ("use three words", "用三个字") but content rules.
_MIN_LENGTH = 10
_MAX_LENGTH = 1_000_000


@dataclass(frozen=True)
class TargetRange:
    """A target length range [lower, upper] in ``unit`` (``"words"`` or ``"chars"``).

    ``source`` says where it came from: ``"explicit"`` (parsed from the request),
    ``"predicted"`` (a model's estimate), ``"fallback"`` (the deterministic heuristic).
    """

    lower: int
    upper: int
    unit: str = "words"
    source: str = "explicit"

    def __post_init__(self) -> None:
        if not (isinstance(self.lower, int) and isinstance(self.upper, int)):
            raise ValueError(f"target bounds must be integers, got {self.lower!r}, {self.upper!r}")
        if self.lower < 0 or self.upper <= 0 or self.lower > self.upper:
            raise ValueError(f"invalid target range [{self.lower}, {self.upper}]")

    def to_dict(self) -> dict[str, Any]:
        """``{"lower", "upper", "unit", "source"}``: the form RL data and sample metadata carry."""
        return asdict(self)

    @classmethod
    def from_any(cls, obj: Any) -> TargetRange:
        """A TargetRange from itself, a mapping with lower/upper (unit, source optional) or a pair."""
        if isinstance(obj, TargetRange):
            return obj
        if isinstance(obj, Mapping):
            lower, upper = obj.get("lower"), obj.get("upper")
            unit, source = obj.get("unit") or "words", obj.get("source") or "explicit"
        elif isinstance(obj, (list, tuple)) and len(obj) == 2:
            (lower, upper), unit, source = obj, "words", "explicit"
        else:
            raise ValueError(f"cannot read a target range from {obj!r}")
        return cls(_as_int(lower), _as_int(upper), str(unit), str(source))


def _as_int(x: Any) -> int:
    if isinstance(x, bool) or x is None:
        raise ValueError(f"target bound must be a number, got {x!r}")
    if isinstance(x, float):
        if not math.isfinite(x) or x != int(x):
            raise ValueError(f"target bound must be a whole number, got {x!r}")
        return int(x)
    if isinstance(x, str) and x.strip().lstrip("-").isdigit():
        return int(x.strip())
    if isinstance(x, int):
        return x
    raise ValueError(f"target bound must be a number, got {x!r}")


# ---------------------------------------------------------------------------------------------
# Parsing explicit length requirements
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
_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}

# A number: 1,000 / 1000 / 2.5 with an optional k / thousand / 千 / 万 scale; Chinese numerals
# (三千五百, 两千, 一万); English number words (two thousand five hundred, a thousand).
_NUM = (
    r"(?:(?:\d{1,3}(?:[,，]\d{3})+(?!\d)|\d+(?:\.\d+)?)(?:\s*(?:k(?![a-z])|thousand\b)|\s*[万千])?"
    r"|[零〇一二两三四五六七八九十百千万]*[一二两三四五六七八九十百千万]"
    rf"|\b(?:an?\s+)?(?:{_EN_WORD})(?:(?:[\s-]+and[\s-]+|[\s-]+)(?:{_EN_WORD}))*\b)"
)
# A unit right after the number. 字母 (letters) is not a length unit.
_UNIT = r"(?:[\s-]*(?P<en>words?)\b|\s*(?:个)?\s*(?P<zh>汉字|中文字|字(?!母)|词))"
_SINGLE = re.compile(rf"(?P<n>{_NUM}){_UNIT}", re.IGNORECASE)
_RANGE = re.compile(
    rf"(?:\bbetween\s+|\bfrom\s+)?(?P<a>{_NUM})\s*(?:{_UNIT.replace('?P<en>', '').replace('?P<zh>', '')})?"
    rf"\s*(?:-|–|—|~|～|\bto\b|\band\b|至|到)\s*(?P<n>{_NUM}){_UNIT}",
    re.IGNORECASE,
)
# "字数要求：2000左右", "讲稿字数1400左右", "word count: 500", "word limit of 300": no unit after N.
_COUNT_FIELD = re.compile(
    rf"(?:(?P<zhfield>字数)|(?P<enfield>word\s+(?:count|limit)|length))[^\d\n。.;；]{{0,10}}?(?P<n>{_NUM})"
    r"(?!\s*[-–~～至到\d])",
    re.IGNORECASE,
)
_AT_LEAST_PRE = (
    r"at\s+lea[st]t?|no\s+less\s+than|not\s+less\s+than|no\s+fewer\s+than|(?:a\s+)?minimum\s+of"
    r"|more\s+than|over|in\s+excess\s+of|upwards\s+of|exceeding|不少于|不低于|不小于|至少|最少|最低|不下于|超过|多于|大于|高于"
)
_AT_MOST_PRE = (
    r"no\s+more\s+than|not\s+more\s+than|not\s+(?:to\s+)?exceed(?:ing)?|under|within|up\s+to|at\s+most"
    r"|less\s+than|fewer\s+than|(?:a\s+)?maximum\s+of|max\.?|below|不超过|不多于|不大于|不高于|少于|低于|最多|不得超过|控制在|限"
)
_PRE = re.compile(rf"(?:(?P<least>{_AT_LEAST_PRE})|(?P<most>{_AT_MOST_PRE}))[\s:：]*$", re.IGNORECASE)
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


def _number_value(text: str) -> int | None:
    """The value of one matched number (Arabic with k/thousand/千/万, Chinese numerals, English words)."""
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


def _kind_around(text: str, start: int, end: int) -> str:
    """'least', 'most' or 'about' from the words right before ``start`` and right after ``end``."""
    pre = _PRE.search(text[max(0, start - 30) : start])
    if pre:
        return "least" if pre.group("least") else "most"
    after = text[end : end + 16]
    if _SUF_LEAST.match(after):
        return "least"
    if _SUF_MOST.match(after):
        return "most"
    return "about"


def _range_for(kind: str, n: int, unit: str) -> TargetRange:
    if kind == "least":
        return TargetRange(n, int(round(1.1 * n)), unit, "explicit")
    if kind == "most":
        return TargetRange(int(round(0.9 * n)), n, unit, "explicit")
    return TargetRange(int(round(0.9 * n)), int(round(1.1 * n)), unit, "explicit")


def _unit_from(match: re.Match, prompt: str) -> str:
    groups = match.groupdict()
    if groups.get("zh") in ("词",):
        return "words"  # 300词的英语作文: English words asked in Chinese
    if groups.get("zh"):
        return "chars"
    if groups.get("en"):
        return "words"
    if groups.get("zhfield"):
        return "chars"
    return unit_of(language_of(prompt))


def parse_length_requirement(prompt: str) -> TargetRange | None:
    """The explicit length requirement of a writing request, as a range; None when there is none.

    Understands English and Chinese, digits ("1,000 words", "5k words", "1.5万字") and number words
    ("two thousand words", "一万字", "两千字", "三千五百字"), qualifiers ("about/around/
    approximately", "at least/no less than/more than", "no more than/under/within/up to",
    "不少于/至少/以上", "不超过/以内/以下", "左右/约") and ranges ("between N and M", "N-M
    words", "N到M字"). The first requirement in the text wins; numbers under 10 are ignored (they
    are content rules like "in three words", not lengths). Ranges follow LongWriter-Zero's rules
    (see the module docstring). Unit: "chars" for 字, "words" for words/词.
    """
    if not isinstance(prompt, str) or not prompt:
        return None
    text = prompt[:20000]  # requirements sit in the request, not deep inside pasted material
    candidates: list[tuple[int, TargetRange]] = []
    range_spans: list[tuple[int, int]] = []
    for m in _RANGE.finditer(text):
        a, b = _number_value(m.group("a")), _number_value(m.group("n"))
        if a is None or b is None or min(a, b) < _MIN_LENGTH or max(a, b) > _MAX_LENGTH or a == b:
            continue
        lo, hi = min(a, b), max(a, b)
        candidates.append((m.start(), TargetRange(lo, hi, _unit_from(m, text), "explicit")))
        range_spans.append((m.start(), m.end()))
    for m in _SINGLE.finditer(text):
        if any(s <= m.start("n") < e for s, e in range_spans):
            continue
        n = _number_value(m.group("n"))
        if n is None or not _MIN_LENGTH <= n <= _MAX_LENGTH:
            continue
        kind = _kind_around(text, m.start("n"), m.end())
        candidates.append((m.start("n"), _range_for(kind, n, _unit_from(m, text))))
    for m in _COUNT_FIELD.finditer(text):
        n = _number_value(m.group("n"))
        if n is None or not _MIN_LENGTH <= n <= _MAX_LENGTH:
            continue
        if any(s <= m.start("n") < e for s, e in range_spans):
            continue
        kind = _kind_around(text, m.start("n"), m.end("n"))
        if kind == "about" and m.group("enfield") and "limit" in m.group("enfield").lower():
            kind = "most"
        candidates.append((m.start("n"), _range_for(kind, n, _unit_from(m, text))))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[0])[1]


# ---------------------------------------------------------------------------------------------
# Predicting ranges for requests without an explicit length
# ---------------------------------------------------------------------------------------------

PREDICT_SYSTEM = (
    "You estimate how long a good answer to a writing request should be. Reply with one JSON "
    'object and nothing else: {"lower": L, "upper": U} where L and U are whole numbers of words '
    "(for a request written in Chinese: Chinese characters), both multiples of 100, "
    "0 <= L < U <= 12000 and U - L <= 3000. If the request is not a writing task or its length "
    'cannot be judged, reply {"lower": null, "upper": null}.'
)

# Deterministic fallback when no endpoint is given (or it fails): a rough genre heuristic, the
# same for every run. Ranges obey the prediction rules. Checked in order; the first hit wins.
_FALLBACK_TABLE: tuple[tuple[str, tuple[int, int]], ...] = (
    (r"\b(?:novel|thesis|dissertation|book)s?\b|小说|论文|毕业|专著", (3000, 6000)),
    (
        r"\b(?:report|research|guide|review|script|story|stories|chapter|lesson plan)s?\b"
        r"|报告|综述|剧本|故事|教案|指南|章",
        (1500, 3000),
    ),
    (
        r"\b(?:poem|haiku|tweet|slogan|title|caption|headline|tagline|limerick)s?\b"
        r"|诗|推文|标语|口号|标题|微博|对联",
        (100, 300),
    ),
    (r"\b(?:email|e-mail|letter|message|summary|abstract|bio)s?\b|邮件|信|摘要|简介|留言", (200, 500)),
)
_FALLBACK_DEFAULT = (800, 1500)


def fallback_range(prompt: str) -> TargetRange:
    """The documented deterministic range for a request without an explicit length.

    A keyword table by genre (first match wins): novels/theses [3000, 6000]; reports, guides,
    stories, scripts [1500, 3000]; poems, tweets, slogans, titles [100, 300]; emails, letters,
    summaries, abstracts [200, 500]; anything else [800, 1500]. Units are words for English
    requests and characters for Chinese ones. A crude prior, used only when no model is asked.
    """
    text = prompt.lower() if isinstance(prompt, str) else ""
    lo, hi = _FALLBACK_DEFAULT
    for pattern, rng in _FALLBACK_TABLE:
        if re.search(pattern, text):
            lo, hi = rng
            break
    return TargetRange(lo, hi, unit_of(language_of(text)), "fallback")


def validate_predicted(text: str | None, prompt: str) -> tuple[TargetRange | None, str | None]:
    """Check a model's range answer: (range or None for "unanswerable", error or None).

    Accepts one JSON object (optionally in a ```json fence or surrounded by prose) with integer
    ``lower``/``upper``: multiples of 100, 0 <= lower < upper <= 12000, upper - lower <= 3000;
    ``null`` bounds mean the model judged the request unanswerable (no range, no error).
    """
    if not text or not isinstance(text, str):
        return None, "empty reply"
    m = re.search(r"\{.*?\}", text, re.DOTALL)
    if not m:
        return None, "no JSON object in reply"
    try:
        obj = json.loads(m.group(0))
    except json.JSONDecodeError as exc:
        return None, f"malformed JSON: {exc.msg}"
    if not isinstance(obj, dict) or "lower" not in obj or "upper" not in obj:
        return None, "reply lacks lower/upper"
    lower, upper = obj["lower"], obj["upper"]
    if lower is None and upper is None:
        return None, None
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lower, upper)):
        if all(isinstance(x, float) and x == int(x) for x in (lower, upper)):
            lower, upper = int(lower), int(upper)
        else:
            return None, f"bounds are not integers: {lower!r}, {upper!r}"
    if lower % 100 or upper % 100:
        return None, f"bounds are not multiples of 100: {lower}, {upper}"
    if not (0 <= lower < upper <= 12000):
        return None, f"bounds out of order or range: {lower}, {upper}"
    if upper - lower > 3000:
        return None, f"span {upper - lower} exceeds 3000"
    return TargetRange(lower, upper, unit_of(language_of(prompt)), "predicted"), None


def _cache_key(prompt: str, model: str) -> str:
    raw = f"v{PREDICT_PROMPT_VERSION}\x00{model}\x00{prompt}"
    return hashlib.sha256(raw.encode("utf-8", errors="replace")).hexdigest()


def _read_cache(path: Path) -> dict[str, dict]:
    # A torn last line from an interrupted run is skipped (it will be asked again); any other bad
    # line raises naming the file and line.
    return latest_by_key(path, "key")


def predict_ranges(
    prompts: Sequence[str],
    endpoint: EndpointClient | None = None,
    cache_path: str | Path | None = None,
    *,
    progress: bool = False,
) -> list[TargetRange | None]:
    """A target range for each request: explicit if stated, else predicted, else the fallback.

    Requests with an explicit length use :func:`parse_length_requirement` (source
    ``"explicit"``). For the rest, ``endpoint`` (an OpenAI-compatible
    :class:`rollout.endpoint.EndpointClient`) is asked under LongWriter-Zero's rules, its reply is
    checked by :func:`validate_predicted` (source ``"predicted"``; a model's "unanswerable" gives
    None). Without an endpoint, or when its reply is missing or invalid, the deterministic
    :func:`fallback_range` applies (source ``"fallback"``). Valid replies are cached by prompt
    (JSON lines at ``cache_path``, keyed by prompt, model and prompt version), so a re-run asks
    nothing twice. Meant for data preparation, never inside training.
    """
    out: list[TargetRange | None] = [None] * len(prompts)
    todo: list[int] = []
    for i, prompt in enumerate(prompts):
        explicit = parse_length_requirement(prompt)
        if explicit is not None:
            out[i] = explicit
        else:
            todo.append(i)
    if not todo:
        return out
    if endpoint is None:
        for i in todo:
            out[i] = fallback_range(prompts[i])
        return out

    model = str(getattr(endpoint, "model", ""))
    path = Path(cache_path) if cache_path else None
    cache = _read_cache(path) if path else {}
    ask: list[int] = []
    for i in todo:
        row = cache.get(_cache_key(prompts[i], model))
        if row is None:
            ask.append(i)
        elif row.get("lower") is None:
            out[i] = None
        else:
            out[i] = TargetRange(int(row["lower"]), int(row["upper"]), row["unit"], "predicted")
    if ask:
        from rollout.endpoint import ChatRequest

        requests = [
            ChatRequest(
                messages=[
                    {"role": "system", "content": PREDICT_SYSTEM},
                    {"role": "user", "content": prompts[i]},
                ],
                params={"temperature": 0.0, "max_tokens": 64},
                id=str(i),
            )
            for i in ask
        ]
        results = endpoint.run(requests, progress="predict ranges" if progress else False)
        new_rows: list[dict] = []
        try:
            for i, res in zip(ask, results, strict=True):
                if not getattr(res, "ok", False):
                    log.warning("range prediction failed for prompt %d (%s); using fallback", i, res.error)
                    out[i] = fallback_range(prompts[i])
                    continue
                rng, err = validate_predicted(res.text, prompts[i])
                if err is not None:
                    log.warning("invalid range prediction for prompt %d (%s); using fallback", i, err)
                    out[i] = fallback_range(prompts[i])
                    continue
                out[i] = rng
                if path is not None:
                    row = {"key": _cache_key(prompts[i], model), "lower": None, "upper": None, "unit": None}
                    if rng is not None:
                        row.update(lower=rng.lower, upper=rng.upper, unit=rng.unit)
                    new_rows.append(row)
        finally:
            if path is not None and new_rows:
                append_records(path, new_rows)
    return out


# ---------------------------------------------------------------------------------------------
# The reward
# ---------------------------------------------------------------------------------------------


def length_reward(length: int, target: TargetRange, max_ratio: float = DEFAULT_MAX_RATIO) -> float:
    """LongWriter-Zero's piecewise length score in [0, 1].

    1 inside [lower, upper]; ``length / lower`` below the range; above it, falling linearly from
    1 at ``upper`` to 0 at ``max_ratio * upper`` (and 0 beyond). ``length`` is in count_words
    units (words / CJK characters) of the answer only.
    """
    if max_ratio <= 1:
        raise ValueError(f"max_ratio must be > 1, got {max_ratio}")
    length = max(0, int(length))
    if target.lower <= length <= target.upper:
        return 1.0
    if length < target.lower:
        return length / target.lower
    limit = max_ratio * target.upper
    return max(0.0, (limit - length) / (limit - target.upper))


def target_of(
    prompt: str, metadata: Mapping[str, Any] | None, parse_prompt: bool = True
) -> tuple[TargetRange | None, str | None]:
    """The sample's target range: ``metadata["target"]`` if given, else the request's own.

    Returns (range, None), or (None, reason) when there is no usable target.
    """
    raw = (metadata or {}).get("target") if isinstance(metadata, Mapping) else None
    if raw is not None:
        try:
            return TargetRange.from_any(raw), None
        except (ValueError, TypeError) as exc:
            return None, f"length: invalid target in metadata ({exc})"
    if parse_prompt:
        parsed = parse_length_requirement(prompt)
        if parsed is not None:
            return parsed, None
    return None, "length: no target range (none in metadata, none stated in the request)"


_LENGTH_DEFAULTS = {"max_ratio": DEFAULT_MAX_RATIO, "parse_prompt": True}


@register_reward("length", batched=True, defaults=_LENGTH_DEFAULTS)
def _length_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """Length of the answer (plan excluded) against the target range, in [0, 1]; missing without a target."""
    max_ratio = float(options["max_ratio"])
    out = []
    for sample, length in zip(batch.samples, batch.answer_lens, strict=True):
        target, why = target_of(sample.prompt, sample.metadata, bool(options["parse_prompt"]))
        if target is None:
            out.append(
                ComponentScore(
                    None, [why or "length: no target"], {"target_lower": None, "target_upper": None}
                )
            )
            continue
        value = length_reward(length, target, max_ratio)
        reasons = []
        unit = target.unit
        if length < target.lower:
            reasons.append(f"length: {length} {unit}, below the target [{target.lower}, {target.upper}]")
        elif length > target.upper:
            reasons.append(f"length: {length} {unit}, above the target [{target.lower}, {target.upper}]")
        details = {"target_lower": target.lower, "target_upper": target.upper}
        out.append(ComponentScore(value, reasons, details))
    return out
