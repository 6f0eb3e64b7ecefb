"""The one jsonl reader: torn last line skipped and reported, anything else bad is an error."""

from __future__ import annotations

import os

import pytest

from rollout.jsonl import append_records, cut_torn_tail, latest_by_key, read_jsonl


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


def test_errors_list_collects_every_bad_line_and_goes_on(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"a": 1}\nnope\n{"a": 3}\n{bad\n', encoding="utf-8")
    errors: list[str] = []
    got = read_jsonl(p, allow_torn_tail=False, errors=errors)
    assert got.values() == [{"a": 1}, {"a": 3}]
    assert [e.split(": not valid JSON")[0] for e in errors] == [f"{p}:2", f"{p}:4"]


def test_latest_by_key_keeps_the_last_record_and_filters(tmp_path):
    p = tmp_path / "j.jsonl"
    assert latest_by_key(p) == {}  # a missing journal is empty
    p.write_text(
        '{"id": 1, "v": "old", "judge": "x"}\n{"id": "2", "v": "b", "judge": "y"}\n'
        '{"id": 1, "v": "new", "judge": "x"}\n{"id": 3, "v": "to',
        encoding="utf-8",
    )
    assert {k: r["v"] for k, r in latest_by_key(p).items()} == {"1": "new", "2": "b"}
    assert list(latest_by_key(p, where=lambda r: r["judge"] == "y")) == ["2"]


def test_latest_by_key_refuses_a_record_without_its_key(tmp_path):
    p = tmp_path / "j.jsonl"
    p.write_text('{"id": 1}\n{"other": 2}\n{"id": 3}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"j\.jsonl:2: .*'id'"):
        latest_by_key(p)


def test_append_cuts_a_torn_tail_instead_of_burying_it(tmp_path, caplog):
    p = tmp_path / "out" / "a.jsonl"
    append_records(p, [{"a": 1}])
    with open(p, "a", encoding="utf-8") as fh:
        fh.write('{"a": 2, "long": "' + "x" * 100_000)  # torn, longer than one read block
    append_records(p, [{"a": 3}, {"a": 4}])
    assert p.read_text(encoding="utf-8").splitlines() == ['{"a":1}', '{"a":3}', '{"a":4}']
    assert read_jsonl(p, allow_torn_tail=False).values() == [{"a": 1}, {"a": 3}, {"a": 4}]
    assert "cut a torn last line" in caplog.text


def test_cut_torn_tail_of_a_file_with_no_newline_at_all(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_bytes(b'{"a": 1')
    fd = os.open(p, os.O_RDWR)
    try:
        assert cut_torn_tail(fd, p) == 7
        assert cut_torn_tail(fd, p) == 0  # nothing left to cut
    finally:
        os.close(fd)
    assert p.read_bytes() == b""
