"""Hypothesis strategies for property-based reward tests: responses and requests.

``responses()`` draws plan-then-write responses (rollout's ``<think>plan</think><answer>text
</answer>`` template) in English or Chinese with a chosen answer length, structure (headings,
paragraphs, lists) and defects (an unclosed tag, a missing plan, repeated paragraphs, a cut
ending). Each draw is a :class:`GeneratedResponse` whose ``units`` is the answer's length under
:func:`rollout.text.count_words` (English words, CJK characters) *after* its defects, exactly what
the rewards measure::

    from hypothesis import given
    from rewards.testing.strategies import responses

    @given(responses(language="en", units=(200, 2_000), defects=["repeated_paragraphs"]))
    def test_padding_is_not_rewarded(r): ...

``requests()`` draws writing requests with or without a length requirement and with or without
pasted material (:class:`GeneratedRequest`); ``samples()`` pairs a request with a response.

This module imports Hypothesis (a test dependency); ``import rewards.testing`` does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from rewards.testing.texts import build_response, compose_answer, compose_plan, make_request, split_paragraphs

__all__ = [
    "DEFECTS",
    "GeneratedResponse",
    "GeneratedRequest",
    "GeneratedSample",
    "responses",
    "requests",
    "samples",
]

#: The defects a response can carry.
DEFECTS = ("unclosed_tag", "missing_plan", "repeated_paragraphs", "cut_ending")
#: The shortest answer (count_words units) that can carry ``repeated_paragraphs``.
MIN_REPEAT_UNITS = 40

_TOPICS = {
    "en": ("the history of a river town", "how markets grow", "life in a harbour", "the first canal"),
    "zh": ("河边小镇的历史", "集市的成长", "港口的生活", "第一条运河"),
}


@dataclass(frozen=True)
class GeneratedResponse:
    """A drawn response: ``text`` (the full model output), its ``answer`` and ``plan`` (None
    without one), ``language``, ``units`` (count_words of the answer), the ``structure``
    (``"paragraphs"``, ``"headings"``, ``"lists"``) and the ``defects`` it carries."""

    text: str
    answer: str
    plan: str | None
    language: str
    units: int
    structure: tuple[str, ...]
    defects: tuple[str, ...]


@dataclass(frozen=True)
class GeneratedRequest:
    """A drawn request: ``text``, ``language``, the ``length`` it asks for (words for en, CJK
    characters for zh; None: no requirement) and ``material_chars`` pasted (0: none)."""

    text: str
    language: str
    length: int | None
    material_chars: int


def _answer_with(
    language: str, units: int, seed: int, structure: Sequence[str], defects: Sequence[str]
) -> str:
    """An answer of exactly ``units`` units carrying the answer-level defects."""
    headings, lists = "headings" in structure, "lists" in structure
    if "repeated_paragraphs" in defects:
        # a third of the length is one paragraph written again (twice), the rest fresh text
        para_units = max(10, units // 6)
        para = compose_answer(language, para_units, seed=seed + 7)
        rest = units - 3 * para_units
        base = compose_answer(language, rest, seed=seed, headings=headings, lists=lists) if rest else ""
        blocks = split_paragraphs(base) if base else []
        middle = len(blocks) // 2
        blocks[middle:middle] = [para, para, para]
        answer = "\n\n".join(blocks)
    else:
        answer = compose_answer(language, units, seed=seed, headings=headings, lists=lists)
    if "cut_ending" in defects and answer:
        answer = answer.rstrip("。.")  # ends mid-sentence: no closing punctuation
    return answer


@st.composite
def responses(
    draw,
    language: str | Sequence[str] = ("en", "zh"),
    units: int | tuple[int, int] = (50, 1_500),
    structure: Sequence[str] | None = None,
    defects: Sequence[str] | None = None,
) -> GeneratedResponse:
    """A strategy of :class:`GeneratedResponse`.

    ``language``: ``"en"``, ``"zh"`` or a sequence to draw from. ``units``: the answer length in
    count_words units, exact or a (low, high) range to draw from. ``structure``: a subset of
    ``("headings", "lists")`` to use (paragraphs always), default drawn. ``defects``: a subset of
    :data:`DEFECTS` to apply, default drawn (possibly none; ``repeated_paragraphs`` only for
    answers of :data:`MIN_REPEAT_UNITS` or more, and asking for it with a shorter length is a
    ValueError).
    """
    lang = language if isinstance(language, str) else draw(st.sampled_from(list(language)))
    if lang not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', got {lang!r}")
    n = units if isinstance(units, int) else draw(st.integers(min_value=units[0], max_value=units[1]))
    if structure is None:
        structure = draw(st.lists(st.sampled_from(("headings", "lists")), unique=True))
    if defects is None:
        defects = draw(st.lists(st.sampled_from(DEFECTS), unique=True, max_size=2))
        if n < MIN_REPEAT_UNITS:  # too short to hold a repeated paragraph: not drawn
            defects = [d for d in defects if d != "repeated_paragraphs"]
    bad = [d for d in defects if d not in DEFECTS]
    if bad:
        raise ValueError(f"unknown defect(s) {bad}; defects: {', '.join(DEFECTS)}")
    if "repeated_paragraphs" in defects and n < MIN_REPEAT_UNITS:
        raise ValueError(f"repeated_paragraphs needs an answer of {MIN_REPEAT_UNITS} units or more, drew {n}")
    seed = draw(st.integers(min_value=0, max_value=10_000))
    answer = _answer_with(lang, n, seed, structure, defects)
    plan = None if "missing_plan" in defects else compose_plan(lang, draw(st.integers(2, 6)), seed=seed)
    close = not ("unclosed_tag" in defects or "cut_ending" in defects)
    text = build_response(plan, answer, close_answer=close)
    return GeneratedResponse(
        text, answer, plan, lang, n, ("paragraphs", *sorted(structure)), tuple(sorted(defects))
    )


@st.composite
def requests(
    draw,
    language: str | Sequence[str] = ("en", "zh"),
    length: int | None | tuple[int, int] | bool = True,
    material: bool | None = None,
) -> GeneratedRequest:
    """A strategy of :class:`GeneratedRequest`.

    ``length``: an exact requirement, a (low, high) range to draw from, ``True`` (draw one of
    100-20,000 in steps of 100), ``False``/None (no requirement). ``material``: paste 200-3,000
    units of material after the instruction (True), never (False) or drawn (None).
    """
    lang = language if isinstance(language, str) else draw(st.sampled_from(list(language)))
    if length is True:
        asked: int | None = draw(st.integers(1, 200)) * 100
    elif length is False or length is None:
        asked = None
    elif isinstance(length, int):
        asked = length
    else:
        asked = draw(st.integers(min_value=length[0], max_value=length[1]))
    paste = draw(st.booleans()) if material is None else material
    pasted = (
        compose_answer(lang, draw(st.integers(200, 3_000)), seed=draw(st.integers(0, 999))) if paste else ""
    )
    topic = draw(st.sampled_from(_TOPICS[lang]))
    text = make_request(lang, topic, asked, material=pasted or None)
    return GeneratedRequest(text, lang, asked, len(pasted))


@dataclass(frozen=True)
class GeneratedSample:
    """A drawn request and response; ``sample`` is the ``{"prompt", "response", "metadata"}``
    dict ``score_batch`` takes (metadata: ``language``)."""

    request: GeneratedRequest
    response: GeneratedResponse

    @property
    def sample(self) -> dict:
        """The dict to score."""
        return {
            "prompt": self.request.text,
            "response": self.response.text,
            "metadata": {"language": self.request.language},
        }


@st.composite
def samples(draw, language: str | Sequence[str] = ("en", "zh"), **response_options) -> GeneratedSample:
    """A strategy of :class:`GeneratedSample`: a request with a length requirement (options of
    :func:`requests` are not exposed: use it directly for more control) and a response in the
    same language (``response_options`` go to :func:`responses`)."""
    lang = language if isinstance(language, str) else draw(st.sampled_from(list(language)))
    return GeneratedSample(draw(requests(language=lang)), draw(responses(language=lang, **response_options)))
