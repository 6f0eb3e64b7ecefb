"""DPO pairs: the three accepted shapes, whole responses kept, and every bad row named by FILE:LINE."""

from __future__ import annotations

import json

import pytest

from longwrite.cli import main
from sft_baseline.dpo_data import read_dpo_pairs

PLAN = "<think>\n1. Opening: 40 words\nIn all: 40 words.\n</think>\n<answer>\nThe city river holds light.\n</answer>"


def _write(path, rows):
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_three_shapes_read_and_keep_the_whole_response(tmp_path):
    rows = [
        # `longwrite pairs` output
        {"id": "p1", "prompt": "Write 200 words on rivers.", "chosen": PLAN, "rejected": "short",
         "chosen_score": 0.8, "rejected_score": 0.1, "margin": 0.7},
        {"prompt": "Write about cities.", "chosen": "a long answer", "rejected": "a short one"},
        {"chosen": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"},
                    {"role": "assistant", "content": "Hello there."}],
         "rejected": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"},
                      {"role": "assistant", "content": "Go away."}]},
    ]  # fmt: skip
    pairs, counts = read_dpo_pairs(_write(tmp_path / "p.jsonl", rows))
    assert [p.shape for p in pairs] == ["pairs", "flat", "messages"]
    assert counts == {"rows": 3, "torn_tail": 0, "shape_pairs": 1, "shape_flat": 1, "shape_messages": 1}
    # the policy is trained on what it writes: the plan stays (the RM reader keeps only <answer>)
    assert pairs[0].chosen == PLAN and pairs[0].extra["margin"] == 0.7
    # a string prompt gets the template's system prompt, as `longwrite pairs` sampled it
    assert pairs[0].messages[0]["role"] == "system" and pairs[0].messages[-1]["content"].startswith(
        "Write 200"
    )
    none, _ = read_dpo_pairs(tmp_path / "p.jsonl", template="none")
    assert none[1].messages == [{"role": "user", "content": "Write about cities."}]
    assert pairs[2].messages == rows[2]["chosen"][:2] and pairs[2].chosen == "Hello there."
    assert pairs[1].source == f"{tmp_path / 'p.jsonl'}:2" and pairs[1].id == "p.jsonl:2"


def test_every_bad_row_is_listed_by_file_and_line(tmp_path):
    good = {"prompt": "p", "chosen": "a", "rejected": "b"}
    msgs = lambda last: [{"role": "user", "content": "q"}, {"role": "assistant", "content": last}]  # noqa: E731
    path = _write(
        tmp_path / "bad.jsonl",
        [
            good,
            {"prompt": "p", "chosen": "same", "rejected": "same"},
            {"prompt": "p", "chosen": "a"},
            "{not json",
            {"prompt": "", "chosen": "a", "rejected": "b"},
            {"chosen": msgs("a"), "rejected": [{"role": "user", "content": "other"},
                                               {"role": "assistant", "content": "b"}]},
            {"chosen": [{"role": "user", "content": "q"}], "rejected": msgs("b")},
            [1, 2],
            good,
        ],
    )  # fmt: skip
    with pytest.raises(ValueError) as err:
        read_dpo_pairs(path)
    text = str(err.value)
    assert text.startswith("7 bad preference row(s)")
    for line, reason in (
        (2, "identical"),
        (3, "missing 'rejected'"),
        (4, ""),
        (5, "empty prompt"),
        (6, "differ before the final answer"),
        (7, "must end with an assistant turn"),
        (8, "expected a JSON object"),
    ):
        assert f"{path}:{line}: " in text and reason in text.split(f"{path}:{line}: ")[1].split("\n")[0]
    assert f"{path}:1:" not in text and f"{path}:9:" not in text


def test_longwrite_dpo_exits_2_naming_the_bad_rows_before_any_model_loads(tmp_path, capsys):
    path = _write(tmp_path / "bad.jsonl", [{"prompt": "p", "chosen": "a", "rejected": "b"}, {"prompt": "p"}])
    rc = main(["dpo", "--preset", "tiny-cpu", "--pairs", str(path), "--out", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert f"{path}:2: missing 'chosen'" in err
    assert not (tmp_path / "out").exists()
