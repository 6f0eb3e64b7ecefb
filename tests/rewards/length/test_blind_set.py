"""The blind held-out set of long requests (issue 23): frozen, and what the parser scores on it.

tests/rewards/length/data/long_requests_blind.jsonl (48 requests, written by make_blind_requests.py
beside it, with material kinds and phrasings the parser had never seen) was committed alone before
any parser change. Its sha256 is pinned here: an edit of the file fails loudly - a set that has been
looked at and edited is no longer blind, so make a new set instead of changing this one.
"""

import hashlib
import importlib.util
import json
import statistics
from collections import Counter
from pathlib import Path

from rewards.length.parse import find_length
from rollout.text import language_of

BLIND = Path(__file__).resolve().parent / "data" / "long_requests_blind.jsonl"
BLIND_SHA256 = "1df6558876e669a0aecfdc6cbb6ed9fdafd9b834a40f6e2968e698f4d10cc9b8"
ROWS = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line.strip()]


def _outcome(row: dict) -> str:
    """right | wrong | miss | spurious, as benchmarks/length_parse.py counts them."""
    found = find_length(row["prompt"])
    got = None if found.lower is None else (found.lower, found.upper, found.unit)
    e = row["expected"]
    want = None if e == "none" else (e["lower"], e["upper"], e["unit"])
    if got == want:
        return "right"
    if got is None:
        return "miss"
    return "spurious" if want is None else "wrong"


def test_blind_set_is_frozen():
    digest = hashlib.sha256(BLIND.read_bytes()).hexdigest()
    assert digest == BLIND_SHA256, (
        f"{BLIND.name} changed (sha256 {digest}). The blind set is frozen: it was committed before any "
        "parser change and its rows have been scored. Do not edit it; write a NEW blind set (new file, "
        "new material, labels decided before the parser sees it) and pin that one's sha256 here."
    )


def test_blind_set_is_what_its_script_writes():
    spec = importlib.util.spec_from_file_location(
        "make_blind_requests", BLIND.parent / "make_blind_requests.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.build() == ROWS


def test_blind_set_shape():
    assert len(ROWS) >= 48 and len({r["id"] for r in ROWS}) == len(ROWS)
    # the language of the instruction (b-en-19 pastes Chinese-English parallel text, so the request
    # as a whole reads as Chinese; its instruction and answer are English)
    langs = Counter(r["id"].split("-")[1] for r in ROWS)
    assert langs["en"] == langs["zh"] == len(ROWS) // 2, langs
    assert Counter(language_of(r["prompt"]) for r in ROWS)["en"] >= len(ROWS) // 2 - 2
    assert statistics.median(len(r["prompt"]) for r in ROWS) >= 3000
    assert sum(r["expected"] == "none" for r in ROWS) >= 8
    for row in ROWS:
        assert row["split"] == "blind" and row["pattern"] and row["style"]
        e = row["expected"]
        assert e == "none" or (1 <= e["lower"] <= e["upper"] and e["unit"] in ("words", "chars"))


# Measured on this set (benchmarks/RESULTS.md, "A fresh blind set"): the unchanged parser scored
# 39 right / 5 wrong / 2 miss / 2 spurious; after the fixes made on new design rows of the failing
# classes (not on these rows) 48 right. No longer blind on the 9 rows that failed: they were read.
BLIND_RIGHT = 48


def test_blind_set_has_no_wrong_range_and_keeps_its_right_rows():
    outcomes = Counter(_outcome(r) for r in ROWS)
    assert outcomes["wrong"] == 0, outcomes  # a wrong range is worse than none
    assert outcomes["right"] >= BLIND_RIGHT, outcomes
