import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.scoring import DIMENSIONS, bucket_of, length_score, overall_score, quality_score, summarize


@pytest.mark.parametrize(
    ("required", "produced", "expected"),
    [
        (1000, 1000, 100.0),  # equal
        (1000, 3000, 100 * (1 - 2 / 3)),  # 3x over: 33.3
        (1000, 4000, 0.0),  # 4x over: the over-length penalty reaches 0
        (1000, 9000, 0.0),  # far over: clamped at 0
        (900, 300, 0.0),  # a third: the under-length penalty reaches 0
        (1000, 500, 50.0),  # half
        (1000, 1500, 100 * (1 - 0.5 / 3)),  # 1.5x over: 83.3
        (1000, 800, 100 * (1 - 0.25 / 2)),  # 0.8x: 87.5
        (1000, 0, 0.0),  # empty answer: 0, not a ZeroDivisionError
        (1, 1, 100.0),
    ],
)
def test_length_score_hand_computed(required, produced, expected):
    assert length_score(required, produced) == pytest.approx(expected)


@pytest.mark.parametrize("required", [0, -5, None])
def test_length_score_rejects_bad_required(required):
    with pytest.raises(ValueError, match="required length"):
        length_score(required, 100)


@given(st.integers(1, 50_000), st.integers(0, 200_000))
def test_length_score_bounded_and_peaks_at_target(x, y):
    s = length_score(x, y)
    assert 0.0 <= s <= 100.0
    assert s <= length_score(x, x)


def test_count_words_is_the_rewards_counter():
    # One counter for the reward and the evaluator (not a copy): eval imports rollout.text's.
    import eval.longbench_write as lbw
    import rollout.text

    assert lbw.count_words is rollout.text.count_words


def test_quality_score_scale():
    assert quality_score(dict.fromkeys(DIMENSIONS, 5)) == 100.0
    assert quality_score(dict.fromkeys(DIMENSIONS, 1)) == 0.0
    mixed = dict(zip(DIMENSIONS, [1, 2, 3, 4, 5, 3], strict=True))
    assert quality_score(mixed) == pytest.approx(sum((v - 1) * 25 for v in mixed.values()) / 6)
    with pytest.raises(ValueError, match="missing"):
        quality_score({"Relevance": 3})
    with pytest.raises(ValueError, match=r"\[1, 5\]"):
        quality_score({**dict.fromkeys(DIMENSIONS, 3), "Clarity": 6})


def test_overall_needs_both_parts():
    assert overall_score(80.0, 60.0) == 70.0
    assert overall_score(None, 60.0) is None
    assert overall_score(80.0, None) is None


@pytest.mark.parametrize(
    ("length", "bucket"),
    [
        (0, "[0,500)"),
        (499, "[0,500)"),
        (500, "[500,2000)"),
        (1999, "[500,2000)"),
        (2000, "[2000,4000)"),
        (4000, "[4000,20000]"),
        (20000, "[4000,20000]"),
        (30000, ">20000"),
    ],
)
def test_buckets(length, bucket):
    assert bucket_of(length) == bucket


def test_summarize_counts_failures_and_breaks_down():
    dims = dict.fromkeys(DIMENSIONS, 4)
    records = [
        {
            "id": "a",
            "required": 100,
            "language": "en",
            "type": "t1",
            "S_l": 100.0,
            "S_q": 75.0,
            "dimensions": dims,
        },
        {
            "id": "b",
            "required": 3000,
            "language": "zh",
            "type": "t2",
            "S_l": 50.0,
            "S_q": None,
            "judge_error": "unreadable judge reply: empty judge reply",
        },
        {
            "id": "c",
            "required": 600,
            "language": "en",
            "type": "t1",
            "S_l": None,
            "S_q": None,
            "generation_error": "endpoint error: 500",
        },
    ]
    s = summarize(records)
    assert s["overall"]["n"] == 3
    assert s["overall"]["S_l"] == pytest.approx(75.0)  # failed generation is not averaged as 0
    assert s["overall"]["S_q"] == pytest.approx(75.0)
    assert s["overall"]["S_bar"] == pytest.approx(75.0)
    assert s["by_language"]["zh"]["S_q"] is None and s["by_language"]["zh"]["S_bar"] is None
    assert list(s["by_bucket"]) == ["[0,500)", "[500,2000)", "[2000,4000)"]
    assert s["by_type"]["t1"]["n"] == 2
    assert s["dimensions"]["Clarity"] == 4
    assert s["failures"]["generation"] == 1 and s["failures"]["judge"] == 1
    assert s["failures"]["items"]["judge"][0] == {
        "id": "b",
        "error": "unreadable judge reply: empty judge reply",
    }
    assert not math.isnan(s["by_bucket"]["[2000,4000)"]["S_l"])


def test_prediction_monitors_leave_failures_out_and_use_the_judge():
    from eval.scoring import prediction_monitors

    para = "The harbour town traded copper nails and salt fish with every passing ship."
    varied = "Rain fell on the valley.\n\nFarmers waited for the river to rise and the grain to ripen."
    preds = [
        {"id": "a", "answer": "\n\n".join([para] * 4), "answer_len": 52},
        {"id": "b", "answer": varied, "answer_len": 16},
        {"id": "c", "answer": para, "answer_len": 13},
        {"id": "d", "answer": "", "answer_len": None, "error": "endpoint error"},
    ]
    m = prediction_monitors(preds, {"a": 90.0, "b": 10.0, "c": 5.0})
    assert m["answers"] == 3 and m["failed"] == 1
    # a: 3 of its 4 paragraphs repeat the first; b and c repeat nothing -> mean 0.25
    assert m["near_duplicate_share"] == 0.25
    assert m["length_quality_corr"] > 0.9  # the longest answer got the best judge score
    assert prediction_monitors(preds)["length_quality_corr"] is None  # no judge: not computed
