"""rm eval: the accuracy breakdown by length direction and ratio bucket, by hand; the table."""

from __future__ import annotations

import pytest

from rewards.rm.data import PreferencePair
from rewards.rm.evaluate import accuracy_breakdown, format_table


def _pair(chosen_words: int, rejected_words: int) -> PreferencePair:
    return PreferencePair("i", "p", "w " * chosen_words, "w " * rejected_words, "en", "x:1")


def test_a_length_loving_scorer_is_exposed():
    pairs = [_pair(10, 5), _pair(30, 10), _pair(5, 10), _pair(4, 10), _pair(7, 7)]
    # scores = answer length: prefers the longer side always
    rc = [10.0, 30.0, 5.0, 4.0, 7.0]
    rr = [5.0, 10.0, 10.0, 10.0, 7.0]
    out = accuracy_breakdown(pairs, rc, rr)
    assert out["overall"] == {"n": 5, "accuracy": pytest.approx(2.5 / 5)}
    assert out["chosen_longer"] == {"n": 2, "accuracy": 1.0}
    assert out["chosen_shorter"] == {"n": 2, "accuracy": 0.0}
    assert out["same_length"] == {"n": 1, "accuracy": 0.5}
    ratio = out["ratio"]
    assert ratio["<0.5"] == {"n": 1, "accuracy": 0.0}  # 4/10
    assert ratio["0.5-0.8"] == {"n": 1, "accuracy": 0.0}  # 5/10
    assert ratio["0.8-1.25"] == {"n": 1, "accuracy": 0.5}  # 7/7
    assert ratio["1.25-2"] == {"n": 0, "accuracy": None}
    assert ratio[">=2"] == {"n": 2, "accuracy": 1.0}  # 10/5, 30/10


def test_table_has_one_row_per_scorer():
    pairs = [_pair(10, 5)]
    result = {
        "scorers": {
            "rm": accuracy_breakdown(pairs, [1.0], [0.0]),
            "embedding": accuracy_breakdown(pairs, [0.0], [1.0]),
        }
    }
    table = format_table(result)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[2].startswith("| rm | 1.000 (1) | 1.000 (1) | - (0)")
    assert lines[3].startswith("| embedding | 0.000 (1)")


def test_mismatched_lengths_fail():
    with pytest.raises(ValueError):
        accuracy_breakdown([_pair(1, 2)], [1.0], [])


def test_report_section_from_an_rm_eval_result():
    from eval.report import rm_eval_table

    pairs = [_pair(10, 5), _pair(5, 10)]
    result = {
        "data": "val.jsonl",
        "pairs": 2,
        "scorers": {"rm": accuracy_breakdown(pairs, [1.0, 1.0], [0.0, 0.0])},
    }
    table = rm_eval_table(result)
    assert table.rows == [
        [
            "rm",
            "1.000 (2)",
            "1.000 (1)",
            "1.000 (1)",
            "- (0)",
            "- (0)",
            "1.000 (1)",
            "- (0)",
            "- (0)",
            "1.000 (1)",
        ]
    ]
    assert "2 held-out pairs" in table.note
