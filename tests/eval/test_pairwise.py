"""The five-level verdict parser on a table of judge replies, and the pairwise prompt."""

import pytest

from eval.pairwise import PAIRWISE_PROMPT_VERSION, pairwise_prompt, parse_verdict, verdict_score

CASES = [
    ("[[A>>B]]", "A>>B"),
    ("A is clearly more complete.\nFinal verdict: [[A>B]]", "A>B"),
    ("[[ A = B ]]", "A=B"),
    ("Both are weak. [[B>A]]", "B>A"),
    ("[[B>>A]]", "B>>A"),
    ("[[A<<B]]", "B>>A"),
    ("[[A<B]]", "B>A"),
    ("[[tie]]", "A=B"),
    ("B>>A", "B>>A"),
    ('{"verdict": "A>B", "reason": "richer detail"}', "A>B"),
    ('```json\n{"Verdict": "B>>A"}\n```', "B>>A"),
    ("Reasoning...\nFinal verdict: Assistant B is significantly better.", "B>>A"),
    ("Verdict: A is slightly better", "A>B"),
    ("Verdict: tie", "A=B"),
    ("<think>maybe [[A>>B]]? no.</think>After reflection: [[B>A]]", "B>A"),
    ("[[A>B]] ... to repeat, [[A>B]]", "A>B"),
    ("Answer A is much better", "A>>B"),
]

FAILS = [
    ("", "empty"),
    (None, "empty"),
    ("Both answers have merits and flaws.", "no verdict"),
    ("[[A>B]] or maybe [[B>A]]", "conflicting"),
    ("[[C>A]]", "no verdict"),
    ('{"verdict": "excellent"}', "no verdict"),
]


@pytest.mark.parametrize(("reply", "label"), CASES)
def test_parse_verdict(reply, label):
    assert parse_verdict(reply) == (label, None)


@pytest.mark.parametrize(("reply", "why"), FAILS)
def test_parse_verdict_failures(reply, why):
    label, reason = parse_verdict(reply)
    assert label is None and why in reason


def test_verdict_score():
    assert verdict_score("A>>B") == (1.0, True)
    assert verdict_score("A>B") == (1.0, False)
    assert verdict_score("A=B") == (0.5, False)
    assert verdict_score("B>A") == (0.0, False)
    assert verdict_score("B>>A") == (0.0, True)
    with pytest.raises(ValueError):
        verdict_score("A>>>B")


def test_pairwise_prompt_versioned_and_from_file(tmp_path):
    p = pairwise_prompt()
    assert p.version == PAIRWISE_PROMPT_VERSION and len(p.hash) == 12
    text = p.fill(request="R {{answer_b}}", answer_a="first", answer_b="second")
    assert "R {{answer_b}}" in text and "first" in text and "second" in text  # one-pass fill
    f = tmp_path / "mine.txt"
    f.write_text("Q: {{request}}\n1: {{answer_a}}\n2: {{answer_b}}\n", encoding="utf-8")
    mine = pairwise_prompt(str(f))
    assert mine.version == "file:mine.txt" and mine.hash != p.hash
    f.write_text("Q: {{request}}\n1: {{answer_a}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="answer_b"):
        pairwise_prompt(str(f))
