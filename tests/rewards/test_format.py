import pytest

from rewards import score_batch
from rewards.format import duplicate_paragraph_share, lexical_score, repeated_ngram_share, structure_score

FORMAT_ONLY = {"rewards": {"format": 1.0}}
BOTH = {"rewards": {"length": 1.0, "format": 1.0}}


def fmt(prompt, response, config=FORMAT_ONLY, **meta):
    return score_batch([{"prompt": prompt, "response": response, "metadata": meta}], config)[0]


def test_repeated_ngram_share_hand_counted():
    assert repeated_ngram_share("") == 0.0
    assert repeated_ngram_share("one two three") == 0.0  # fewer units than n
    # 8 words -> 5 four-grams, of which "a b c d" appears twice -> 1 repeat of 5
    assert repeated_ngram_share("a b c d a b c d", n_words=4) == pytest.approx(1 - 4 / 5)
    assert repeated_ngram_share("the cat sat on the mat and slept", n_words=2) == 0.0
    # Chinese uses character n-grams: 天天天天天天天天天天 has one distinct 8-gram among 3
    assert repeated_ngram_share("天" * 10, n_chars=8) == pytest.approx(1 - 1 / 3)
    # case-insensitive units
    assert repeated_ngram_share("Go go GO go", n_words=1) == pytest.approx(0.75)


def test_lexical_score_ramp():
    assert lexical_score(0.0) == 1.0
    assert lexical_score(0.10) == 1.0
    assert lexical_score(0.30) == pytest.approx(0.5)
    assert lexical_score(0.5) == 0.0
    assert lexical_score(0.9) == 0.0


def test_structure_score_reasons():
    assert structure_score(True, []) == (1.0, [])
    v, reasons = structure_score(False, ["missing_think", "unclosed_answer"])
    assert v == 0.0
    assert any("missing_think" in r for r in reasons) and any("unclosed_answer" in r for r in reasons)


def test_duplicate_share_exact_without_embeddings():
    paras = ["one two three four five six seven eight", "alpha beta gamma delta epsilon zeta eta theta"]
    assert duplicate_paragraph_share(paras) == 0.0
    padded = paras + [paras[0].upper()]  # case/whitespace-normalised duplicate
    assert duplicate_paragraph_share(padded) == pytest.approx(8 / 24)
    # short lines (headings) never count as padding
    assert duplicate_paragraph_share(["## Intro", "x y z", "## Intro"]) == 0.0


def test_well_formed_honest_answer_scores_one(writing):
    b = fmt(writing.en_prompt, writing.response(writing.en_plan, writing.en_paragraphs))
    assert b.components["format"] == pytest.approx(1.0)
    assert b.details["format.structure"] == 1.0
    assert b.details["format.semantic_duplicate_share"] == 0.0
    assert b.details["format.lexical_repetition"] < 0.05
    assert b.reasons == []


def test_no_plan_scores_zero_with_reason(writing):
    b = fmt(writing.en_prompt, "<answer>" + "\n\n".join(writing.en_paragraphs) + "</answer>")
    assert b.components["format"] == 0.0
    assert any("missing_think" in r for r in b.reasons)


def test_unclosed_answer_scores_zero(writing):
    text = writing.response(writing.en_plan, writing.en_paragraphs).replace("</answer>", "")
    b = fmt(writing.en_prompt, text, finish_reason="length")
    assert b.components["format"] == 0.0
    assert any("unclosed_answer" in r for r in b.reasons)
    assert any("token limit" in r for r in b.reasons)


def test_text_after_answer_scores_zero(writing):
    b = fmt(writing.en_prompt, writing.response(writing.en_plan, writing.en_paragraphs) + " P.S. more")
    assert b.components["format"] == 0.0
    assert any("text_after_answer" in r for r in b.reasons)


def test_padded_answer_loses_on_format_though_it_wins_on_length(writing):
    prompt = "Write a 200-word essay about how rivers shaped early civilisations."
    honest = writing.response(writing.en_plan, writing.en_paragraphs)  # ~107 words
    padded = writing.response(writing.en_plan, writing.en_paragraphs + writing.en_paragraphs[:2])  # ~160
    h, p = score_batch([{"prompt": prompt, "response": honest}, {"prompt": prompt, "response": padded}], BOTH)
    assert p.components["length"] > h.components["length"]
    assert p.components["format"] < h.components["format"]
    assert p.details["format.semantic_duplicate_share"] > 0.3
    assert any("repeats earlier paragraphs" in r for r in p.reasons)


def test_lightly_reworded_padding_caught_semantically(writing):
    # Not identical text: only the embedding check can see this repeat.
    reworded = (
        writing.en_paragraphs[1].replace("Boats carried", "Ships carried").replace("grew into", "became")
    )
    text = writing.response(writing.en_plan, writing.en_paragraphs + [reworded])
    b = fmt(writing.en_prompt, text)
    assert b.details["format.semantic_duplicate_share"] > 0.15
    assert b.components["format"] < 0.9
    no_sem = fmt(
        writing.en_prompt, text, {"rewards": {"format": 1}, "options": {"format": {"semantic": False}}}
    )
    assert no_sem.details["format.semantic_duplicate_share"] == 0.0


def test_chinese_honest_and_padded(writing):
    honest = writing.response(writing.zh_plan, writing.zh_paragraphs)
    padded = writing.response(writing.zh_plan, writing.zh_paragraphs * 3)
    h, p = score_batch(
        [
            {"prompt": writing.zh_prompt, "response": honest},
            {"prompt": writing.zh_prompt, "response": padded},
        ],
        BOTH,
    )
    assert h.components["format"] == pytest.approx(1.0)
    assert h.components["length"] == 1.0  # 125 chars in [108, 132]
    assert p.components["format"] < 0.5
    assert p.details["format.lexical_repetition"] > 0.5


def test_mixed_language_answer(writing):
    paras = [writing.en_paragraphs[0], writing.zh_paragraphs[0], writing.en_paragraphs[2]]
    b = fmt(writing.en_prompt, writing.response(writing.en_plan + "\n" + writing.zh_plan, paras))
    assert b.components["format"] == pytest.approx(1.0)
    assert b.answer_len == sum(__import__("rollout.text").text.count_words(p) for p in paras)


def test_repetitive_single_paragraph_penalised_lexically():
    text = "<think>plan</think><answer>" + "I like long essays very much. " * 40 + "</answer>"
    b = fmt("Write an essay", text)
    assert b.details["format.lexical_repetition"] > 0.8
    assert b.components["format"] == 0.0
    assert any("n-grams repeat" in r for r in b.reasons)
