"""LongWriter-6k conversion on a hand-made sample with bad rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from longwrite.cli import main
from sft_baseline.data import prepare_sft, read_chat_jsonl, validate_row


def _chat(user: str, answer: str) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}


GOOD = [
    _chat("Write a 300-word essay about rivers.", "Rivers shape the cities built beside them. " * 20),
    _chat("写一篇关于秋天的散文。", "秋天的图书馆很安静。" * 30),
    {
        "messages": [
            {"role": "system", "content": "Be brief."},
            *_chat("Write a haiku.", "Light on water.")["messages"],
        ]
    },
    _chat("Write a very long novel.", "word " * 3000),  # over the max length used below
]
BAD_LINES = [
    "{not json",
    json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
    json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "x"}]}),
    json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "  "}]}),
    json.dumps({"text": "no messages"}),
    json.dumps([1, 2]),
]


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def sample(tmp_path):
    lines = [json.dumps(r, ensure_ascii=False) for r in GOOD[:2]] + BAD_LINES[:3] + ["", json.dumps(GOOD[2])]
    lines += BAD_LINES[3:] + [json.dumps(GOOD[3])]
    return _write(tmp_path / "longwriter6k.jsonl", lines)


def test_every_bad_row_is_named_by_file_and_line(sample):
    rows, errors = read_chat_jsonl(sample)
    assert [r.line for r in rows] == [1, 2, 7, 11]
    got = {e.line: e.reason for e in errors}
    assert set(got) == {3, 4, 5, 8, 9, 10}
    assert "not valid JSON" in got[3]
    assert "last turn is 'user'" in got[4]
    assert "role 'robot'" in got[5]
    assert got[8] == "empty assistant answer"
    assert "messages" in got[9] and "JSON object" in got[10]
    assert all(str(e).startswith(f"{sample}:{e.line}: ") for e in errors)
    assert validate_row(GOOD[0]) is None


def test_bad_rows_fail_unless_skipped(sample, tmp_path, tiny_model):
    with pytest.raises(ValueError, match=r"(?s)6 bad row\(s\).*longwriter6k.jsonl:3: not valid JSON"):
        prepare_sft(sample, tmp_path / "out", tiny_model, progress=False)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_prepare_writes_verl_parquet_and_stats(sample, tmp_path, tiny_model):
    general = _write(
        tmp_path / "general.jsonl", [json.dumps(_chat(f"Question {i}?", f"Answer {i}.")) for i in range(10)]
    )
    res = prepare_sft(
        sample, tmp_path / "out", tiny_model, max_length=1024, general=general, general_ratio=1.0,
        val_size=1, skip_bad=True, progress=False,
    )  # fmt: skip
    s = res.stats
    # 4 good long rows, 1 over 1024 tokens dropped; 4 general rows mixed in (ratio 1.0 of 4).
    assert s["dropped"] == {"bad_rows": 6, "over_max_length": 1}
    assert s["sources"] == {"long": 3, "general": 4}
    assert s["rows"] == {"train": 6, "val": 1}
    assert s["languages"] == {"en": 6, "zh": 1}
    assert s["tokens"]["max"] <= 1024
    assert s["over_max_length"][0].startswith(f"{sample}:11: ")
    train = pd.read_parquet(res.paths["train"])
    assert list(train.columns) == ["messages"] and len(train) == 6
    assert all(msgs[-1]["role"] == "assistant" for msgs in train["messages"])
    assert len(pd.read_parquet(res.paths["val"])) == 1
    assert json.loads(res.paths["stats"].read_text())["rows"]["train"] == 6


def test_cli_reports_bad_rows_cleanly(sample, tmp_path, tiny_model, capsys):
    rc = main(
        ["prepare-sft", "--data", str(sample), "--out", str(tmp_path / "o"), "--tokenizer", str(tiny_model)]
    )
    assert rc == 2
    assert "longwriter6k.jsonl:4:" in capsys.readouterr().err
    rc = main(["prepare-sft", "--data", str(sample), "--out", str(tmp_path / "o"), "--tokenizer", str(tiny_model),
               "--skip-bad", "--no-progress", "--max-length", "100000"])  # fmt: skip
    assert rc == 0
    assert "dropped: 6 bad, 0 over 100000 tokens" in capsys.readouterr().out
    assert len(pd.read_parquet(tmp_path / "o/train.parquet")) == 4
