"""Reward-hacking monitors on hand-made texts where a reader knows the answer (English and Chinese)."""

from __future__ import annotations

import random

import pytest

from benchmarks._long_text import (
    chinese_paragraphs,
    chinese_vocabulary,
    english_paragraphs,
    english_vocabulary,
    topic_answer,
    with_far_copies,
)
from rewards.monitors import (
    DEFAULT_THRESHOLDS,
    HackingWatch,
    NgramReference,
    compression_ratio,
    distinct_n,
    intra_group_similarity,
    length_quality_correlation,
    near_duplicate_share,
    overused_ngrams,
    step_monitors,
)
from rollout.text import count_words

VARIED = """The river town woke before dawn, when fishermen pushed their boats into the grey water.

Markets opened slowly; bakers stacked warm loaves while children ran errands between the stalls.

By noon the harbour smelled of tar and salt, and traders argued over the price of copper nails.

Evening brought lanterns, music from the square, and old sailors telling stories nobody believed."""

PARA = "Our product delivers outstanding value to every customer in every market around the world today."
PADDED = "\n\n".join([VARIED.split("\n\n")[0], PARA, PARA, PARA, PARA])
# A light paraphrase: two words changed out of sixteen.
PARAPHRASED = "\n\n".join([PARA, PARA.replace("outstanding", "remarkable").replace("today", "now")])

ZH_VARIED = "清晨的小镇还很安静，渔民把船推进灰色的河水。\n\n集市慢慢热闹起来，面包师摆好刚出炉的面包。\n\n傍晚广场上响起音乐，老水手讲着没人相信的故事。"
ZH_PARA = "我们的产品为全世界每一位客户提供卓越的价值和无与伦比的体验。"
ZH_PADDED = "\n\n".join([ZH_PARA] * 4)


def test_distinct_n_by_hand():
    # units: a b a b -> unigrams {a, b}: 2/4; bigrams (a b)(b a)(a b): 2/3
    assert distinct_n("a b a b", 1) == pytest.approx(0.5)
    assert distinct_n("a b a b", 2) == pytest.approx(2 / 3)
    assert distinct_n("a b", 3) is None
    # Chinese units are characters: 好好好好 -> one distinct unigram of four
    assert distinct_n("好好好好", 1) == pytest.approx(0.25)


def test_padding_lowers_distinct_and_raises_compression():
    assert distinct_n(PADDED, 2) < distinct_n(VARIED, 2)
    assert compression_ratio(PADDED) > compression_ratio(VARIED)
    assert compression_ratio(ZH_PADDED) > compression_ratio(ZH_VARIED)
    assert compression_ratio("") is None


def test_near_duplicate_share_by_hand():
    assert near_duplicate_share(VARIED) == 0.0
    # PADDED: 5 paragraphs; paragraphs 3, 4, 5 copy paragraph 2. Units: first paragraph 15, each
    # copy 15 -> 45 of 75 units are duplicates.
    first = len(VARIED.split("\n\n")[0].replace(",", " ").replace(".", " ").split())
    para = len(PARA.replace(".", " ").split())
    assert near_duplicate_share(PADDED) == pytest.approx(3 * para / (first + 4 * para))
    # A light paraphrase of the previous paragraph counts as a near duplicate.
    assert near_duplicate_share(PARAPHRASED) == pytest.approx(0.5)
    assert near_duplicate_share(ZH_PADDED) == pytest.approx(0.75)
    assert near_duplicate_share(ZH_VARIED) == 0.0


def test_overused_ngrams_find_keyword_stuffing():
    reference = NgramReference.from_texts([VARIED, ZH_VARIED], n=1)
    stuffed = VARIED + "\n\n" + " ".join(["synergy"] * 20)
    # Two prompts' answers, both stuffed: "synergy" is over-used in every group.
    out = overused_ngrams([stuffed, stuffed], reference, group_ids=["a", "b"], ratio=5.0, min_count=5)
    assert out["top"][0][0] == "synergy" and out["groups"] == 2
    units_total = len(VARIED.replace(",", " ").replace(".", " ").replace(";", " ").split()) + 20
    assert out["share"] == pytest.approx(20 / units_total)
    # Only one of two prompts uses it: that is one prompt's topic, not stuffing (needs > half).
    assert overused_ngrams([stuffed, VARIED], reference, group_ids=["a", "b"])["share"] == 0.0
    assert overused_ngrams([VARIED, VARIED], reference)["share"] == 0.0
    assert overused_ngrams(["", ""], reference)["share"] is None
    # One prompt alone: its topic and stuffing cannot be told apart, so no value (never a 0).
    assert overused_ngrams([stuffed, stuffed], reference, group_ids=["a", "a"])["share"] is None


def test_intra_group_similarity():
    assert intra_group_similarity([VARIED, VARIED, VARIED]) == pytest.approx(1.0)
    assert intra_group_similarity([VARIED, ZH_VARIED]) == pytest.approx(0.0)
    assert intra_group_similarity([VARIED]) is None


def test_length_quality_correlation_by_hand():
    assert length_quality_correlation([1, 2, 3], [0.1, 0.2, 0.3]) == pytest.approx(1.0)
    assert length_quality_correlation([1, 2, 3], [0.3, 0.2, 0.1]) == pytest.approx(-1.0)
    # Missing quality values are left out, not counted as 0.
    assert length_quality_correlation([1, 2, 3, 4], [0.1, None, 0.3, float("nan")]) is None
    assert length_quality_correlation([1, 1, 1], [0.1, 0.2, 0.3]) is None
    # x = 1,2,3,4; y = 1,3,2,4 -> r = 0.8 (sxy 4, sxx 5, syy 5)
    assert length_quality_correlation([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)


def test_step_monitors_keys_and_missing_values():
    out = step_monitors(
        [VARIED, PADDED, VARIED, VARIED],
        group_ids=["a", "a", "b", "b"],
        lengths=[60, 75, 60, 61],
        quality=[0.9, 0.2, None, 0.8],
        reference=NgramReference.from_texts([VARIED]),
    )
    assert set(out) == {
        "distinct_1", "distinct_2", "distinct_3", "compression_ratio", "near_duplicate_share",
        "overused_ngram_share", "intra_group_similarity", "length_quality_corr",
    }  # fmt: skip
    assert out["intra_group_similarity"] == pytest.approx(
        (intra_group_similarity([VARIED, PADDED]) + 1.0) / 2
    )
    assert step_monitors([""])["distinct_1"] is None


def test_hacking_watch_thresholds_and_trend():
    watch = HackingWatch(thresholds={"trend_window": 2})
    assert watch.update(1, {"answer_len": 100, "quality": 0.8, "distinct_2": 0.9}) == []
    assert watch.update(2, {"answer_len": 150, "quality": 0.7, "distinct_2": 0.8}) == []
    warnings = watch.update(3, {"answer_len": 200, "quality": 0.6, "distinct_2": 0.7})
    assert len(warnings) == 1 and "possible padding" in warnings[0]
    # Length rising with quality rising is learning, not hacking.
    watch = HackingWatch(thresholds={"trend_window": 1})
    watch.update(1, {"answer_len": 100, "quality": 0.5, "distinct_2": 0.9})
    assert watch.update(2, {"answer_len": 150, "quality": 0.7, "distinct_2": 0.8}) == []
    assert watch.update(3, {"near_duplicate_share": 0.5}) == ["step 3: near_duplicate_share = 0.500 >= 0.2"]


# ---- The real shape: 10,000-word and 20,000-character answers with known padding at known places.
# Varied text comes from benchmarks._long_text (a seeded Zipf generator over 20,000 pseudo-words /
# 3,500 CJK characters); two of its paragraphs share almost no trigram, so all repetition is the
# padding placed here.


@pytest.fixture(scope="module")
def en_vocab():
    return english_vocabulary()


@pytest.fixture(scope="module")
def zh_vocab():
    return chinese_vocabulary()


@pytest.mark.parametrize(
    "lang, length, para",
    [("en", 10_000, (15, 25)), ("en", 10_000, (40, 120)), ("zh", 20_000, (30, 50))],
)
def test_near_duplicate_share_sees_far_copies_among_many_paragraphs(lang, length, para, en_vocab, zh_vocab):
    """A fifth of the paragraphs copied verbatim 100+ paragraphs back: the share is the copies' share.

    The (15, 25)-word and 30-50-character cases have ~500 paragraphs and the (40, 120)-word case
    129, beyond the 128 at which segment.paragraphs (the rewards' default) merges neighbours:
    merged, the copies were hidden (0.0, 0.065 and 0.0 before, against ~0.2).
    """
    make = english_paragraphs if lang == "en" else chinese_paragraphs
    paras = make(length, 11, para, vocab=en_vocab if lang == "en" else zh_vocab)
    if para[1] < 60:
        assert len(paras) > 400  # many short paragraphs
    varied = "\n\n".join(paras)
    assert count_words(varied) == length
    assert near_duplicate_share(varied) == 0.0
    padded, copied, places = with_far_copies(paras, 0.2, seed=12, min_distance=min(100, len(paras) // 3))
    assert len(places) == round(0.2 * len(paras))
    assert near_duplicate_share(padded) == pytest.approx(copied / count_words(padded))
    assert near_duplicate_share(padded) >= DEFAULT_THRESHOLDS["near_duplicate_share"] * 0.95


def test_near_duplicate_share_exact_when_the_first_owner_is_not_the_match():
    """A copy of a paragraph whose trigrams all first appeared in a longer one is still found.

    ``b`` is the first 15 words of the 40-word ``x`` (Jaccard 13/38 with it: not near); ``a``
    copies ``b``. Every trigram of ``a`` was first seen in ``x``, so the fast check (paragraphs
    where the shared trigrams first appeared) misses, and the full check must find ``b``.
    """
    x = english_paragraphs(40, 3, (40, 40))[0]
    b = " ".join(x.split()[:15])
    filler = english_paragraphs(30, 4, (30, 30))[0]
    text = "\n\n".join([x, filler, b, b])
    assert near_duplicate_share(text) == pytest.approx(15 / (40 + 30 + 15 + 15))


@pytest.mark.parametrize("lang, half", [("en", 4_950), ("en", 6_000), ("zh", 10_000)])
def test_compression_ratio_sees_a_repeated_first_half_however_far_back(lang, half, en_vocab, zh_vocab):
    """An answer repeating its first half compresses about twice as well as varied text of its length.

    6,000 English words (~33 KB) and 10,000 CJK characters (~31 KB) lie beyond zlib's 32 KB
    window, where the old zlib measure scored the repeat like varied text (2.45 vs 2.44, 1.72 vs
    1.73). 4,950 words (the 9,900-word answer) were still within it for this generator's words
    (~5.5 bytes each); the measure must hold on both sides of that edge.
    """
    make = english_paragraphs if lang == "en" else chinese_paragraphs
    vocab = en_vocab if lang == "en" else zh_vocab
    first = make(half, 21, vocab=vocab)
    repeated = "\n\n".join(first + first)
    varied = "\n\n".join(make(2 * half, 22, vocab=vocab))
    assert count_words(repeated) == count_words(varied) == 2 * half
    assert compression_ratio(varied) < DEFAULT_THRESHOLDS["compression_ratio"]
    assert compression_ratio(repeated) > 1.8 * compression_ratio(varied)
    if lang == "en":  # varied English here is ~2.2 (real prose 2-3): half repeated crosses 4.0
        assert compression_ratio(repeated) >= DEFAULT_THRESHOLDS["compression_ratio"]


_PROMPTS, _SAMPLES = 8, 2
_GIDS = [p for p in range(_PROMPTS) for _ in range(_SAMPLES)]


def _topics(en_vocab, first: int) -> list[list[str]]:
    """One topic (30 words of its own) per prompt, seeded by the prompt's number."""
    return [random.Random(p).sample(en_vocab[3000:], 30) for p in range(first, first + _PROMPTS)]


@pytest.fixture(scope="module")
def first_step_reference(en_vocab):
    """What rl.trainer keeps: the launch's first step (8 prompts x 2 samples of 10,000 words)."""
    topics = _topics(en_vocab, 0)
    step1 = [topic_answer(100 + i, 10_000, topics[g], 0.15, vocab=en_vocab) for i, g in enumerate(_GIDS)]
    return NgramReference.from_texts(step1)


@pytest.mark.parametrize("stuffed_share", [0.0, 0.05, 0.25])
def test_overused_ngrams_new_topics_are_not_stuffing(stuffed_share, en_vocab, first_step_reference):
    """The next step's 8 prompts change topic (15% of each answer is its prompt's topic words).

    With no stuffing the share is ~0 (the old pooled comparison with the first step read 0.15, near
    the 0.2 warning); with 5% or 25% of five stuffed words in every answer of every prompt it is
    that share (old: 0.20 and 0.40), and 25% warns.
    """
    topics, stuffed = _topics(en_vocab, _PROMPTS), en_vocab[5000:5005]
    step2 = [
        topic_answer(500 + i, 10_000, topics[g], 0.15, stuffed, stuffed_share, vocab=en_vocab)
        for i, g in enumerate(_GIDS)
    ]
    share = step_monitors(step2, group_ids=_GIDS, reference=first_step_reference)["overused_ngram_share"]
    assert share == pytest.approx(stuffed_share, abs=0.005)
    out = overused_ngrams(step2, first_step_reference, group_ids=_GIDS)
    if stuffed_share:
        assert {g for g, _ in out["top"][:5]} == set(stuffed)
    warned = HackingWatch().update(2, {"overused_ngram_share": share})
    assert bool(warned) == (stuffed_share >= DEFAULT_THRESHOLDS["overused_ngram_share"])
