"""The bundled prompt set: valid, varied, bilingual, and disjoint from the held-out benchmarks."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from rl.prepare import BUNDLED_PROMPTS, read_prompts, resolve_targets
from rollout.text import language_of


@pytest.fixture(scope="module")
def rows():
    return read_prompts(BUNDLED_PROMPTS)


def test_bundled_set_is_valid_bilingual_and_varied(rows):
    assert 180 <= len(rows) <= 240
    langs = Counter(language_of(r.prompt) for r in rows)
    assert abs(langs["en"] - langs["zh"]) <= len(rows) // 10, langs
    types = Counter(r.type for r in rows)
    assert len(types) >= 12 and max(types.values()) <= len(rows) // 4, types
    assert len({r.prompt for r in rows}) == len(rows)
    assert sum(r.target is not None for r in rows) >= 8  # some rows carry their own range


def test_bundled_set_spans_lengths_and_phrasings(rows):
    targets = resolve_targets(rows)
    sources = Counter(t["source"] for t in targets)
    assert sources["explicit"] >= 150 and sources["fallback"] >= 3, sources
    stated = [t for r, t in zip(rows, targets, strict=True) if r.target is None and t["source"] == "explicit"]
    uppers = [t["upper"] for t in stated]
    assert min(uppers) <= 120 and max(uppers) >= 11000
    for lang in ("en", "zh"):
        mid = [
            t["upper"]
            for r, t in zip(rows, targets, strict=True)
            if r.language == lang and t["source"] == "explicit"
        ]
        assert sum(u <= 600 for u in mid) >= 10 and sum(u >= 5000 for u in mid) >= 8, lang
    # varied phrasings of a length requirement, in both languages
    text = "\n".join(r.prompt for r in rows)
    for phrase in (
        "about",
        "at least",
        "no more than",
        "under",
        "between",
        "roughly",
        "5k",
        "字以内",
        "不少于",
        "左右",
        "一万",
        "不超过",
        "至",
    ):
        assert phrase in text, phrase


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def _shingles(text: str) -> set[str]:
    """Overlapping 6-word English windows and 10-character windows of CJK text with its digits
    kept (verbatim copying; digits keep stock frames such as "写一篇不少于3000字的" apart)."""
    words = re.findall(r"[a-z]+", text.lower())
    cjk = "".join(re.findall(r"[\u4e00-\u9fff0-9]", text))
    out = {" ".join(words[i : i + 6]) for i in range(len(words) - 5)}
    out |= {cjk[i : i + 10] for i in range(len(cjk) - 9)}
    return out


# Words every writing request uses; they say nothing about the topic.
_GENERIC = set(
    "write words word about essay article story with that from your their which into around".split()
)
_GENERIC |= set("approximately roughly least more than under between long short".split())


def _topic(text: str) -> set[str]:
    """Content words (4+ letters, not generic) and CJK character bigrams: what a request is about."""
    words = {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 4 and w not in _GENERIC}
    cjk = "".join(re.findall(r"[\u4e00-\u9fff]", text))
    return words | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


def test_no_overlap_with_longbench_write(rows, longbench_dir):
    """The prompt set must never leak the evaluation prompts (LongBench-Write, LongWrite-Ruler):
    no identical request, no shared verbatim run of 6 words / 10 characters, and no request on
    nearly the same topic (Jaccard of content words and character bigrams above 0.4; the
    closest pair today is about 0.23)."""
    held_out = []
    for name in ("longbench_write.jsonl", "longbench_write_en.jsonl", "longwrite_ruler.jsonl"):
        path = longbench_dir / name
        if path.exists():
            held_out += [json.loads(line)["prompt"] for line in path.open(encoding="utf-8") if line.strip()]
    assert len(held_out) > 100
    held_norm = {_norm(p) for p in held_out}
    held_shingles = set().union(*(_shingles(p) for p in held_out))
    held_topics = [(_topic(p), p) for p in held_out]
    for row in rows:
        assert _norm(row.prompt) not in held_norm, row.id
        shared = _shingles(row.prompt) & held_shingles
        assert not shared, (row.id, sorted(shared)[:3])
        mine = _topic(row.prompt)
        for theirs, prompt in held_topics:
            jaccard = len(mine & theirs) / max(1, len(mine | theirs))
            assert jaccard <= 0.4, (row.id, prompt[:60], round(jaccard, 2))


def test_overlap_check_catches_a_leak(longbench_dir):
    """The check above can fail: a lightly edited benchmark prompt is caught."""
    first = json.loads((longbench_dir / "longbench_write.jsonl").open(encoding="utf-8").readline())["prompt"]
    edited = first.replace("Write", "Please write").rstrip(".") + ", thanks."
    held = _shingles(first)
    assert _shingles(edited) & held
    jaccard = len(_topic(edited) & _topic(first)) / len(_topic(edited) | _topic(first))
    assert jaccard > 0.4
