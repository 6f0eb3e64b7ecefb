"""Reward-hacking monitors on hand-made texts where a reader knows the answer (English and Chinese)."""

from __future__ import annotations

import pytest

from rewards.monitors import (
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
    out = overused_ngrams([stuffed], reference, ratio=5.0, min_count=5)
    assert out["top"][0][0] == "synergy"
    units_total = len(VARIED.replace(",", " ").replace(".", " ").replace(";", " ").split()) + 20
    assert out["share"] == pytest.approx(20 / units_total)
    assert overused_ngrams([VARIED], reference)["share"] == 0.0
    assert overused_ngrams([""], reference)["share"] is None


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
