"""Paragraph splitting: the rewards' bounded view and the monitors' unmerged one."""

from __future__ import annotations

from rewards.segment import MAX_PARAGRAPHS, paragraphs


def test_paragraphs_merge_beyond_the_bound_unless_asked_for_all():
    paras = [f"Paragraph number {'x' * (i % 7 + 1)} {i} says something." for i in range(500)]
    text = "\n\n".join(paras)
    merged = paragraphs(text)  # what the format and quality rewards see: bounded, nothing dropped
    assert len(merged) == 125 and len(merged) <= MAX_PARAGRAPHS  # groups of ceil(500 / 128) = 4
    assert merged[0] == "\n\n".join(paras[:4])
    assert "\n\n".join(merged) == text
    assert paragraphs(text, max_paragraphs=None) == paras  # what the monitors see
    # Lines without blank lines between them are paragraphs too (Chinese style), unmerged as well.
    assert paragraphs("\n".join(paras), max_paragraphs=None) == paras
