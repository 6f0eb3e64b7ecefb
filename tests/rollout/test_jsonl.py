"""The one jsonl reader: torn last line skipped and reported, anything else bad is an error."""

from __future__ import annotations

import pytest

from rollout.jsonl import read_jsonl


def test_reads_records_with_line_numbers(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    got = read_jsonl(p)
    assert got.records == [(1, {"a": 1}), (3, {"a": 2})]
    assert got.values() == [{"a": 1}, {"a": 2}]
    assert not got.torn_tail


def test_torn_last_line_is_skipped_and_reported(tmp_path, caplog):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\n{"a": 2}\n{"a": 3, "b', encoding="utf-8")
    got = read_jsonl(p)
    assert got.values() == [{"a": 1}, {"a": 2}]
    assert got.torn_tail
    assert "a.jsonl:3" in caplog.text


def test_bad_line_in_the_middle_names_file_and_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\nnot json\n{"a": 3}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"a\.jsonl:2: not valid JSON"):
        read_jsonl(p)


def test_bad_last_line_ending_in_newline_is_not_a_torn_write(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\n{"a"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_jsonl(p)


def test_strict_mode_refuses_a_torn_tail(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\n{"a', encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_jsonl(p, allow_torn_tail=False)
