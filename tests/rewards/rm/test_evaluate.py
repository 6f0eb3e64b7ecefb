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


# -- the lexical (bag-of-words) baseline -----------------------------------------------------------


def _synthetic_split(n_prompts: int = 96, seed: int = 0):
    from rewards.rm.data import split_by_prompt
    from rewards.rm.synthetic import synthetic_pairs

    rows = synthetic_pairs(n_prompts=n_prompts, pairs_per_prompt=3, seed=seed)
    pairs = [
        PreferencePair(r["id"], r["prompt"], r["chosen"], r["rejected"], "en", "x", r["kind"]) for r in rows
    ]
    return split_by_prompt(pairs, 0.5, seed)


def test_lexical_baseline_is_near_chance_on_the_synthetic_pairs():
    from rewards.rm.evaluate import lexical_pair_scores

    train, val = _synthetic_split()
    c, r = lexical_pair_scores(train, val)
    out = accuracy_breakdown(val, c, r)
    assert out["overall"]["n"] == 144
    assert 0.35 <= out["overall"]["accuracy"] <= 0.65, out["overall"]
    assert set(out["kind"]) == {"shuffled", "repeated", "drift", "dropped"}
    # it fits its training pairs all the same: the wording it sees does not carry over
    ct, rt = lexical_pair_scores(train, train)
    assert accuracy_breakdown(train, ct, rt)["overall"]["accuracy"] >= 0.9


def test_lexical_baseline_finds_template_wording():
    # the negative control: the same baseline separates pairs whose rejected side has a wording of
    # its own (as the old synthetic degradations had: filler phrases, off-topic word lists)
    from dataclasses import replace

    from rewards.rm.evaluate import lexical_pair_scores

    filler = " It is important to note that many things are important in many ways."
    train, val = _synthetic_split()
    train = [replace(p, rejected=p.rejected + filler) for p in train]
    val = [replace(p, rejected=p.rejected + filler) for p in val]
    c, r = lexical_pair_scores(train, val)
    assert accuracy_breakdown(val, c, r)["overall"]["accuracy"] >= 0.9


def test_kind_table_and_features():
    from rewards.rm.evaluate import format_kind_table, lexical_features

    assert lexical_features("The sea. Grey sky") == {
        "w:the",
        "w:sea",
        "w:grey",
        "w:sky",
        "b:the sea",
        "b:grey sky",
    }
    pairs = [
        PreferencePair("a", "p", "w w", "w", "en", "x:1", "shuffled"),
        PreferencePair("b", "p", "w", "w w", "en", "x:2", "drift"),
    ]
    result = {"scorers": {"rm": accuracy_breakdown(pairs, [1.0, 0.0], [0.0, 1.0])}}
    assert format_kind_table(result).splitlines()[2] == "| rm | 0.000 (1) | 1.000 (1) |"
    untagged = {"scorers": {"rm": accuracy_breakdown([_pair(1, 2)], [1.0], [0.0])}}
    assert format_kind_table(untagged) == "" and "kind" not in untagged["scorers"]["rm"]


def test_rm_eval_cli_reports_the_lexical_baseline(tmp_path, capsys):
    from longwrite.cli import main
    from rewards.rm.data import prepare_rm_data
    from rewards.rm.synthetic import write_synthetic_pairs

    src = write_synthetic_pairs(tmp_path / "syn.jsonl", n_prompts=16)
    prepare_rm_data([src], tmp_path / "data", 0.25)
    out = tmp_path / "eval.json"
    assert (
        main(
            ["rm", "eval", "--data", str(tmp_path / "data" / "val.jsonl"), "--no-baseline", "--out", str(out)]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "| lexical |" in printed and "by kind of pair:" in printed and "bag-of-words" in printed
    assert "| scorer | drift | dropped | repeated | shuffled |" in out.with_suffix(".md").read_text()
    assert main(["rm", "eval", "--data", str(src), "--no-baseline"]) != 0  # no train.jsonl beside it
    assert "give --train PATH" in capsys.readouterr().err
