"""Preference data: every accepted shape, bad rows with FILE:LINE, de-duplication, the split by prompt."""

from __future__ import annotations

import json

import pytest

from rewards.rm.data import answer_text, pair_stats, prepare_rm_data, read_pairs, split_by_prompt
from rewards.rm.synthetic import KINDS, TOPICS, synthetic_pairs


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_three_shapes_read_alike(tmp_path):
    flat = {"prompt": "Write about tea.", "chosen": "Good tea text.", "rejected": "Bad."}
    pairs_out = {  # `longwrite pairs` output: plan-then-write responses, scores beside them
        "id": "p1",
        "prompt": "Write about rivers.",
        "chosen": "<think>plan</think><answer>Rivers run to the sea.</answer>",
        "rejected": "<think>plan</think><answer>Rivers.</answer>",
        "chosen_score": 0.9,
        "rejected_score": 0.2,
    }
    chat = {
        "chosen": [
            {"role": "user", "content": "Write about bees."},
            {"role": "assistant", "content": "Bees make honey."},
        ],
        "rejected": [
            {"role": "user", "content": "Write about bees."},
            {"role": "assistant", "content": "Bzz."},
        ],
    }
    pairs, counts = read_pairs([_write(tmp_path / "a.jsonl", [flat, pairs_out, chat])])
    assert [(p.prompt, p.chosen, p.rejected) for p in pairs] == [
        ("Write about tea.", "Good tea text.", "Bad."),
        ("Write about rivers.", "Rivers run to the sea.", "Rivers."),
        ("Write about bees.", "Bees make honey.", "Bzz."),
    ]
    assert pairs[1].id == "p1" and pairs[0].source.endswith("a.jsonl:1")
    assert counts == {"rows": 3, "duplicates": 0, "multi_turn": 0, "torn_tail": 0}


def test_multi_turn_context_is_rendered_and_counted(tmp_path):
    ctx = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        {"role": "user", "content": "Now write a poem."},
    ]
    row = {
        "chosen": [*ctx, {"role": "assistant", "content": "A poem."}],
        "rejected": [*ctx, {"role": "assistant", "content": "No."}],
    }
    pairs, counts = read_pairs([_write(tmp_path / "m.jsonl", [row])])
    assert counts["multi_turn"] == 1
    assert pairs[0].prompt == "user: Hi\n\nassistant: Hello\n\nuser: Now write a poem."


def test_bad_rows_name_file_and_line_and_nothing_is_written(tmp_path):
    good = {"prompt": "p", "chosen": "a b", "rejected": "c d"}
    rows = [
        good,
        {"prompt": "p", "chosen": "same", "rejected": "same"},
        {"prompt": "p", "chosen": "x"},
        {
            "chosen": [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "a"}],
            "rejected": [{"role": "user", "content": "q2"}, {"role": "assistant", "content": "b"}],
        },
        {"prompt": "p", "chosen": "<think>only a plan</think>", "rejected": "text"},
        [1, 2],
        good,
    ]
    path = _write(tmp_path / "bad.jsonl", rows)
    broken = _write(tmp_path / "broken.jsonl", [good, "{not json", good])
    with pytest.raises(ValueError) as err:
        prepare_rm_data([broken, path], tmp_path / "out")
    msg = str(err.value)
    assert f"{broken}:2: not valid JSON" in msg
    for line, why in [
        (2, "identical"),
        (3, "missing 'rejected'"),
        (4, "differ before the final answer"),
        (5, "empty chosen answer"),
        (6, "JSON object"),
    ]:
        assert f"{path}:{line}: {why}" in msg or (f"{path}:{line}: " in msg and why in msg)
    assert "6 bad preference row(s)" in msg
    assert not (tmp_path / "out").exists()


def test_duplicates_dropped_and_counted(tmp_path):
    row = {"prompt": "p", "chosen": "a b", "rejected": "c"}
    pairs, counts = read_pairs([_write(tmp_path / "d.jsonl", [row, row, {**row, "rejected": "e"}])])
    assert len(pairs) == 2 and counts["duplicates"] == 1


def test_split_keeps_each_prompt_on_one_side_and_ignores_order(tmp_path):
    rows = synthetic_pairs(n_prompts=20, pairs_per_prompt=3, seed=1)
    pairs, _ = read_pairs([_write(tmp_path / "s.jsonl", rows)])
    train, val = split_by_prompt(pairs, 0.25, seed=0)
    assert {p.prompt for p in train}.isdisjoint({p.prompt for p in val})
    assert len({p.prompt for p in val}) == 5 and len(train) + len(val) == 60
    train2, val2 = split_by_prompt(list(reversed(pairs)), 0.25, seed=0)
    assert {p.id for p in val2} == {p.id for p in val}


def test_stats_by_hand(tmp_path):
    rows = [
        {"prompt": "p1", "chosen": "one two three", "rejected": "one"},  # +2
        {"prompt": "p2", "chosen": "one", "rejected": "one two three four"},  # -3
        {"prompt": "写一首诗", "chosen": "写作", "rejected": "写"},  # +1 (CJK characters)
    ]
    pairs, _ = read_pairs([_write(tmp_path / "h.jsonl", rows)])
    s = pair_stats(pairs)
    assert s["chosen_longer"] == 2 and s["chosen_shorter"] == 1 and s["same_length"] == 0
    assert s["length_diff_mean"] == pytest.approx(0.0) and s["length_diff_median"] == 1
    assert s["languages"] == {"en": 2, "zh": 1}


def test_prepare_writes_splits_that_read_back(tmp_path):
    path = _write(tmp_path / "s.jsonl", synthetic_pairs(n_prompts=12, pairs_per_prompt=2))
    stats = prepare_rm_data([path], tmp_path / "out", 0.25)
    assert stats["train"]["pairs"] + stats["val"]["pairs"] == 24
    again, _ = read_pairs([tmp_path / "out" / "train.jsonl"])
    assert len(again) == stats["train"]["pairs"] and all(p.kind in KINDS for p in again)


def test_synthetic_degradations_are_content_level_at_both_lengths():
    import re

    from rollout.text import count_words

    rows = synthetic_pairs(n_prompts=24, pairs_per_prompt=3)
    assert {r["kind"] for r in rows} == set(KINDS)
    assert all(r["chosen"] != r["rejected"] for r in rows)
    # every kind has the rejected side longer in some pairs and shorter in others
    for kind in KINDS:
        diffs = [count_words(r["chosen"]) - count_words(r["rejected"]) for r in rows if r["kind"] == kind]
        assert min(diffs) < 0 < max(diffs), (kind, diffs)

    def sentences(text):
        return {s.strip() for s in re.split(r"(?<=\.)\s+", text) if s.strip()}

    # Both sides of a prompt's pairs draw on one pool of paragraphs: with enough pairs per prompt,
    # every rejected sentence is one the prompt's chosen answers also say (outline sentences aside).
    many = synthetic_pairs(n_prompts=8, pairs_per_prompt=16, seed=3)
    said: dict[str, set] = {}
    for r in many:
        said.setdefault(r["prompt"], set()).update(sentences(r["chosen"]))
    announce = ("This essay is about", "It looks at ", "In conclusion")  # each answer's own outline
    for r in many:
        extra = {s for s in sentences(r["rejected"]) - said[r["prompt"]] if not s.startswith(announce)}
        if r["kind"] == "drift":  # the drifting paragraph: another topic's subject, this topic's name
            topic = r["prompt"].split(" words about ")[1].split(".")[0]
            others = [t for t in TOPICS if t != topic]
            assert extra and not any(t in s for t in others for s in extra), extra  # no other name
        else:  # shuffled, repeated, dropped: nothing but sentences of chosen answers
            assert not extra, (r["kind"], extra)
    assert synthetic_pairs(n_prompts=3, seed=5) == synthetic_pairs(n_prompts=3, seed=5)


def test_answer_text_keeps_only_the_answer():
    assert answer_text("<think>plan</think>\n<answer> body </answer>") == "body"
    assert answer_text("  plain text ") == "plain text"


def test_rm_data_cli_reports_and_refuses_bad_rows(tmp_path, capsys):
    from longwrite.cli import main

    good = _write(tmp_path / "good.jsonl", synthetic_pairs(n_prompts=6, pairs_per_prompt=2))
    assert (
        main(["rm", "data", "--in", str(good), "--out", str(tmp_path / "out"), "--val-fraction", "0.34"]) == 0
    )
    out = capsys.readouterr().out
    assert (
        "12 row(s) read" in out and "train: 8 pairs / 4 prompts" in out and "val: 4 pairs / 2 prompts" in out
    )
    bad = _write(tmp_path / "bad.jsonl", [{"prompt": "p", "chosen": "a"}])
    assert main(["rm", "data", "--in", str(bad), "--out", str(tmp_path / "out2")]) == 2
    assert f"{bad}:1: missing 'rejected'" in capsys.readouterr().err
