"""The length reward: target ranges from the request, predicted ranges, and the piecewise score.

Lengths are measured on the answer only (the plan is excluded) with
:func:`rollout.text.count_words`: English in words, Chinese in characters.

Target ranges follow LongWriter-Zero's rules:

* an explicit length N ("a 1000-word essay", "3000字左右") gives [0.9 N, 1.1 N];
* at most N ("no more than 500 words", "200字以内") gives [0.9 N, N];
* at least N ("at least 400 words", "不少于800字") gives [N, 1.1 N];
* a range ("between 500 and 800 words", "300到400字") gives itself.

Which number is the requirement is decided by :mod:`rewards.length.parse`: only the user's
instructions are read (pasted material is skipped), only word/character counts count, a stated
total beats per-part limits, count x per-part stands for the whole when no total is stated, and
title/slogan limits never do; every range carries that evidence (:class:`LengthEvidence`). A range
never has lower bound 0 (an empty answer would get the full length reward, issue #13), and an
empty answer always scores 0.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rewards.base import Batch, ComponentScore, register_reward
from rewards.length.parse import LengthEvidence, find_length
from rollout.jsonl import latest_by_key
from rollout.text import language_of, unit_of

if TYPE_CHECKING:  # pragma: no cover
    from rollout.endpoint import EndpointClient

__all__ = [
    "TargetRange",
    "parse_length_requirement",
    "explain_length_requirement",
    "LengthEvidence",
    "cross_check_ranges",
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
PREDICT_PROMPT_VERSION = 2  # 2: the lower bound is at least 100 (a 0 rewarded empty answers)


@dataclass(frozen=True)
class TargetRange:
    """A target length range [lower, upper] in ``unit`` (``"words"`` or ``"chars"``).

    ``source`` says where it came from: ``"explicit"`` (parsed from the request, or given in the
    data row), ``"predicted"`` (a model's estimate), ``"fallback"`` (the deterministic heuristic).
    ``evidence`` (not part of equality) is the parser's :class:`LengthEvidence`: the span the range
    came from and the candidates rejected, or for predicted/fallback ranges why the request had
    no explicit one. ``lower`` must be at least 1: a lower bound of 0 would give an empty answer
    the full length reward (issue #13), so such a range is refused here and at data time.
    """

    lower: int
    upper: int
    unit: str = "words"
    source: str = "explicit"
    evidence: LengthEvidence | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (isinstance(self.lower, int) and isinstance(self.upper, int)):
            raise ValueError(f"target bounds must be integers, got {self.lower!r}, {self.upper!r}")
        if self.lower < 1 or self.upper <= 0 or self.lower > self.upper:
            raise ValueError(
                f"invalid target range [{self.lower}, {self.upper}]"
                + (" (a lower bound of 0 would reward an empty answer)" if self.lower == 0 else "")
            )

    def to_dict(self) -> dict[str, Any]:
        """``{"lower", "upper", "unit", "source"}``: the form RL data and sample metadata carry."""
        return {"lower": self.lower, "upper": self.upper, "unit": self.unit, "source": self.source}

    def with_evidence(self, evidence: LengthEvidence | None) -> TargetRange:
        """The same range carrying ``evidence``."""
        return replace(self, evidence=evidence)

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
# Parsing explicit length requirements (the rules live in rewards.length.parse)
# ---------------------------------------------------------------------------------------------


def explain_length_requirement(prompt: str) -> tuple[TargetRange | None, LengthEvidence]:
    """The request's explicit whole-response length range and its evidence.

    Returns (range, evidence): the range (source ``"explicit"``, evidence attached) or None, and
    the evidence: the span the range was read from and the rule applied, the candidates rejected
    with why (pasted material, non-word units, per-part/title limits, ...), and, without a range,
    the reason. See :mod:`rewards.length.parse` for the rules.
    """
    found = find_length(prompt)
    if found.lower is None:
        return None, found.evidence
    rng = TargetRange(found.lower, found.upper, found.unit or "words", "explicit", found.evidence)
    return rng, found.evidence


def parse_length_requirement(prompt: str) -> TargetRange | None:
    """The explicit whole-response length requirement of a writing request; None when there is none.

    Understands English and Chinese, digits ("1,000 words", "5k words", "1.5万字") and number words
    ("two thousand words", "一万字", "两千字", "三千五百字"), qualifiers ("about/around",
    "at least/no less than/more than", "no more than/under/within/up to", "不少于/至少/以上",
    "不超过/以内/以下", "左右/约") and ranges ("between N and M", "N-M words", "N到M字", 两三千字).
    Reads only the user's instructions (pasted material is skipped); only word/character counts
    count (pages, minutes, mm never do); an explicit total beats per-part limits, per-part limits
    with a stated count become the total, title/slogan limits never stand for the whole (see
    :mod:`rewards.length.parse`). Ranges follow LongWriter-Zero's rules (module docstring).
    Unit: "chars" for 字, "words" for words/词. The range carries its evidence
    (:func:`explain_length_requirement` also gives the reason when there is none).
    """
    return explain_length_requirement(prompt)[0]


# ---------------------------------------------------------------------------------------------
# Predicting ranges for requests without an explicit length
# ---------------------------------------------------------------------------------------------

PREDICT_SYSTEM = (
    "You estimate how long a good answer to a writing request should be. Reply with one JSON "
    'object and nothing else: {"lower": L, "upper": U} where L and U are whole numbers of words '
    "(for a request written in Chinese: Chinese characters), both multiples of 100, "
    "100 <= L < U <= 12000 and U - L <= 3000. If the request is not a writing task or its length "
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
    ``lower``/``upper``: multiples of 100, 100 <= lower < upper <= 12000, upper - lower <= 3000
    (a lower bound of 0 is refused: it would give an empty answer the full length reward);
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
    if lower == 0:
        return None, "lower bound 0 (it would give an empty answer the full length reward)"
    if not (0 < lower < upper <= 12000):
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


def _ask_endpoint(
    prompts: Sequence[str],
    indices: Sequence[int],
    endpoint: EndpointClient,
    cache_path: str | Path | None,
    progress: bool,
) -> dict[int, tuple[TargetRange | None, str | None]]:
    """Ask ``endpoint`` for the range of ``prompts[i]`` for each i in ``indices`` (cache first).

    Returns {i: (range, None)} for a valid answer, {i: (None, None)} for "unanswerable" and
    {i: (None, error)} for a failed or invalid reply. Valid replies are appended to the cache.
    """
    model = str(getattr(endpoint, "model", ""))
    path = Path(cache_path) if cache_path else None
    cache = _read_cache(path) if path else {}
    out: dict[int, tuple[TargetRange | None, str | None]] = {}
    ask: list[int] = []
    for i in indices:
        row = cache.get(_cache_key(prompts[i], model))
        if row is None:
            ask.append(i)
        elif row.get("lower") is None:
            out[i] = (None, None)
        else:
            out[i] = (TargetRange(int(row["lower"]), int(row["upper"]), row["unit"], "predicted"), None)
    if not ask:
        return out
    from rollout.endpoint import ChatRequest

    requests = [
        ChatRequest(
            messages=[{"role": "system", "content": PREDICT_SYSTEM}, {"role": "user", "content": prompts[i]}],
            params={"temperature": 0.0, "max_tokens": 64},
            id=str(i),
        )
        for i in ask
    ]
    results = endpoint.run(requests, progress="predict ranges" if progress else False)
    fh = path.open("a", encoding="utf-8") if path else None
    try:
        for i, res in zip(ask, results, strict=True):
            if not getattr(res, "ok", False):
                out[i] = (None, f"request failed: {res.error}")
                continue
            rng, err = validate_predicted(res.text, prompts[i])
            out[i] = (rng, err)
            if err is None and fh is not None:
                row = {"key": _cache_key(prompts[i], model), "lower": None, "upper": None, "unit": None}
                if rng is not None:
                    row.update(lower=rng.lower, upper=rng.upper, unit=rng.unit)
                fh.write(json.dumps(row) + "\n")
                fh.flush()
    finally:
        if fh is not None:
            fh.close()
    return out


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
    :func:`fallback_range` applies (source ``"fallback"``, with a warning). Valid replies are
    cached by prompt (JSON lines at ``cache_path``, keyed by prompt, model and prompt version),
    so a re-run asks nothing twice. Every range carries the parser's evidence (for predicted
    and fallback ranges: why the request has no explicit length). Meant for data preparation,
    never inside training.
    """
    out: list[TargetRange | None] = [None] * len(prompts)
    evidence: list[LengthEvidence] = []
    todo: list[int] = []
    for i, prompt in enumerate(prompts):
        explicit, ev = explain_length_requirement(prompt)
        evidence.append(ev)
        if explicit is not None:
            out[i] = explicit
        else:
            todo.append(i)
    if not todo:
        return out
    if endpoint is None:
        for i in todo:
            out[i] = fallback_range(prompts[i]).with_evidence(evidence[i])
        return out
    answers = _ask_endpoint(prompts, todo, endpoint, cache_path, progress)
    for i in todo:
        rng, err = answers[i]
        if err is not None:
            log.warning("range prediction for prompt %d unusable (%s); using the fallback", i, err)
            out[i] = fallback_range(prompts[i]).with_evidence(evidence[i])
        else:
            out[i] = rng.with_evidence(evidence[i]) if rng is not None else None
    return out


def cross_check_ranges(
    prompts: Sequence[str],
    targets: Sequence[TargetRange | Mapping[str, Any] | None],
    endpoint: EndpointClient,
    cache_path: str | Path | None = None,
    *,
    progress: bool = False,
) -> list[dict[str, Any] | None]:
    """Check each explicit target against the endpoint's predicted range for the same request.

    For every ``targets[i]`` whose source is ``"explicit"``, asks ``endpoint`` (cached like
    :func:`predict_ranges`) and returns ``{"predicted": {"lower", "upper", "unit"} | None,
    "agrees": bool | None, "note": str}``: ``agrees`` is False when the two ranges do not overlap
    (a likely misread requirement, or an unusual request), None when they cannot be compared (the
    endpoint failed, judged the request unanswerable, or answered in another unit). Other
    entries are None. Units: English words / Chinese characters.
    """
    ranges = [None if t is None else TargetRange.from_any(t) for t in targets]
    todo = [i for i, t in enumerate(ranges) if t is not None and t.source == "explicit"]
    out: list[dict[str, Any] | None] = [None] * len(prompts)
    if not todo:
        return out
    answers = _ask_endpoint(prompts, todo, endpoint, cache_path, progress)
    for i in todo:
        rng, err = answers[i]
        mine = ranges[i]
        if err is not None or rng is None:
            note = err or "the endpoint judged the request unanswerable"
            out[i] = {"predicted": None, "agrees": None, "note": note}
            continue
        pred = {"lower": rng.lower, "upper": rng.upper, "unit": rng.unit}
        if rng.unit != mine.unit:
            out[i] = {"predicted": pred, "agrees": None, "note": f"units differ ({mine.unit} vs {rng.unit})"}
            continue
        overlap = mine.lower <= rng.upper and rng.lower <= mine.upper
        note = (
            "ranges overlap"
            if overlap
            else (
                f"explicit [{mine.lower}, {mine.upper}] and predicted [{rng.lower}, {rng.upper}] do not overlap"
            )
        )
        out[i] = {"predicted": pred, "agrees": overlap, "note": note}
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
    if length == 0:
        return 0.0  # an empty answer never earns length reward, whatever the range
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
    """Length of the answer (plan excluded) against the target range, in [0, 1].

    A sample without a usable target (none in its metadata and none stated in the request, or an
    invalid one) is a data bug, not a missing value: it raises ValueError naming the problem, and
    :func:`rewards.base.score_batch` turns that into a :class:`rewards.base.RewardError` naming the
    sample. ``longwrite prepare-rl`` gives every row a target, so training data never lacks one.
    """
    max_ratio = float(options["max_ratio"])
    out = []
    for sample, length in zip(batch.samples, batch.answer_lens, strict=True):
        target, why = target_of(sample.prompt, sample.metadata, bool(options["parse_prompt"]))
        if target is None:
            raise ValueError(
                f"{why}; the length reward needs a target range for every sample (a data bug: "
                "give the row a 'target' or state the length in the request)"
            )
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
