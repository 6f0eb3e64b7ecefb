import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rollout.text import count_words, language_of, unit_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("Hello, world!", 2),
        ("a 1000-word essay", 3),  # digits never count; "word" after the hyphen does
        ("don't stop", 3),  # the apostrophe splits "don" and "t"
        ("café au lait", 2),  # "café" is one Unicode word that is not all ASCII: not counted
        ("中文写作", 4),
        ("写一篇1000字的文章", 7),
        ("AI写作", 2),  # "AI" touches a CJK character: no word boundary, so only the 2 chars
        ("AI 写作", 3),
        ("Привет мир", 0),  # other scripts count for nothing
        ("ひらがな カタカナ", 0),  # kana lie outside U+4E00..U+9FFF
        ("x" * 5 + " y", 2),
        ("第一章：引言。The introduction explains 3 ideas.", 9),
    ],
)
def test_count_words_hand_counted(text, expected):
    assert count_words(text) == expected


def test_count_words_longbench_prompts_hand_counted(longbench_dir):
    rows = [json.loads(line) for line in (longbench_dir / "longbench_write.jsonl").open()]
    # Counted by hand from the file's first and fourth rows.
    assert rows[0]["prompt"].startswith("Write an outline for a short 100-word blog post")
    assert count_words(rows[0]["prompt"]) == 17
    assert rows[3]["prompt"] == "对于雷锋精神的推文，200字以内"
    assert count_words(rows[3]["prompt"]) == 12


def test_language_of_matches_longbench_split(longbench_dir):
    english = {json.loads(line)["prompt"] for line in (longbench_dir / "longbench_write_en.jsonl").open()}
    rows = [json.loads(line) for line in (longbench_dir / "longbench_write.jsonl").open()]
    disagreements = [
        r["prompt"] for r in rows if (language_of(r["prompt"]) == "en") != (r["prompt"] in english)
    ]
    # Two requests are written in one language and ask for text in the other; language_of
    # follows the request's own script, which is what picks the template.
    assert len(disagreements) == 2
    assert all("英" in p for p in disagreements)


def test_language_and_unit():
    assert language_of("写一篇关于AI的文章") == "zh"
    assert language_of("Write about 北京") == "en"
    assert language_of("") == "en"
    assert unit_of("zh") == "chars" and unit_of("en") == "words"


@given(st.text())
def test_count_words_never_raises_and_is_additive(text):
    n = count_words(text)
    assert n >= 0
    # Joining with a space never merges words across the join and never splits one.
    assert count_words(text + " " + text) == 2 * n


def test_non_string_input_counts_zero():
    assert count_words(None) == 0  # type: ignore[arg-type]
    assert count_words(b"bytes") == 0  # type: ignore[arg-type]


@given(st.text(alphabet=st.sampled_from(list("ab Z中文\n-'é1")), max_size=60) | st.text())
def test_unit_pattern_counts_like_count_words(text):
    from rollout.text import UNIT_RE

    assert len(UNIT_RE.findall(text)) == count_words(text)
