import json

import pytest

from eval.judge import DEFAULT_JUDGE_PROMPT, JUDGE_PROMPT_VERSION, JudgePrompt, parse_judgement
from eval.scoring import DIMENSIONS

GOOD = {
    "Relevance": 4,
    "Accuracy": 3,
    "Coherence": 5,
    "Clarity": 4,
    "Breadth and Depth": 2,
    "Reading Experience": 3,
}


def test_clean_json():
    p = parse_judgement(json.dumps(GOOD))
    assert p.ok and p.scores == GOOD and p.error is None


def test_fenced_json():
    p = parse_judgement("Here you go:\n```json\n" + json.dumps(GOOD, indent=2) + "\n```\n")
    assert p.scores == GOOD


def test_prose_around_json_and_think_block():
    text = (
        '<think>{"Relevance": 1} is a draft</think>I rate it as follows: '
        + json.dumps(GOOD)
        + " Overall fine."
    )
    assert parse_judgement(text).scores == GOOD


def test_key_spelling_and_value_forms():
    text = json.dumps(
        {
            "relevance": "4",
            "ACCURACY": "3/5",
            "coherence": {"score": 5, "reason": "ok"},
            "clarity": 4.0,
            "breadth_and_depth": 2,
            "Reading experience": 3,
        }
    )
    assert parse_judgement(text).scores == GOOD


def test_wrapped_scores():
    assert parse_judgement(json.dumps({"scores": GOOD, "comment": "x"})).scores == GOOD


def test_missing_dimension():
    bad = {k: v for k, v in GOOD.items() if k != "Clarity"}
    p = parse_judgement(json.dumps(bad))
    assert not p.ok and p.scores is None and "missing" in p.error and "Clarity" in p.error


@pytest.mark.parametrize("value", [0, 6, -1, 10])
def test_out_of_range(value):
    p = parse_judgement(json.dumps({**GOOD, "Accuracy": value}))
    assert not p.ok and "outside 1-5" in p.error and "Accuracy" in p.error


@pytest.mark.parametrize("body", ["", "   \n", None])
def test_empty_body(body):
    p = parse_judgement(body)
    assert not p.ok and p.error == "empty judge reply"


@pytest.mark.parametrize("body", ["I think it is good, 4/5.", "{not json", "[1, 2, 3]", '{"score": 4}'])
def test_no_usable_json(body):
    p = parse_judgement(body)
    assert not p.ok and "no JSON object" in p.error


def test_non_numeric_value():
    p = parse_judgement(json.dumps({**GOOD, "Coherence": "great"}))
    assert not p.ok and "Coherence" in p.error


def test_default_prompt_is_versioned_and_renders():
    p = JudgePrompt.default()
    assert p.version == JUDGE_PROMPT_VERSION and p.text == DEFAULT_JUDGE_PROMPT
    out = p.render("Write about {{answer}} rivers", "The answer $INST$.")
    assert "Write about {{answer}} rivers" in out and "The answer $INST$." in out  # one pass only
    assert all(d in out for d in DIMENSIONS)
    assert "length" in out.lower()  # told to ignore length
    assert len(p.hash) == 12 and JudgePrompt(p.text + " ").hash != p.hash


def test_prompt_from_file(tmp_path):
    f = tmp_path / "orig.txt"
    f.write_text("Request: $INST$\nResponse: $RESPONSE$\n", encoding="utf-8")
    p = JudgePrompt.from_file(f)
    assert p.version == "file:orig.txt"
    assert p.render("R", "A") == "Request: R\nResponse: A\n"
    bad = tmp_path / "bad.txt"
    bad.write_text("no placeholders", encoding="utf-8")
    with pytest.raises(ValueError, match="placeholders"):
        JudgePrompt.from_file(bad)
    with pytest.raises(FileNotFoundError):
        JudgePrompt.from_file(tmp_path / "nope.txt")


@pytest.mark.parametrize("fenced", [False, True])
def test_raw_newlines_inside_json_strings(fenced):
    # Judges write multi-line comments; strict JSON forbids a raw newline inside a string, the
    # official LongBench-Write script tolerates it (it deletes newlines before parsing).
    body = (
        '{"Analysis": "Well organised.\nBut the ending\trepeats itself.",\n'
        '"Relevance": 4, "Accuracy": 3, "Coherence": 5, "Clarity": 4,\n'
        '"Breadth and Depth": 2, "Reading Experience": 3}'
    )
    text = f"```json\n{body}\n```" if fenced else body
    p = parse_judgement(text)
    assert p.ok, p.error
    assert p.scores == GOOD
