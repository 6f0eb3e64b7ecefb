"""Small hand-written Arena-Write and WritingBench data for tests (no benchmark data is shipped).

The writer responder of tests/helpers/fake_judge.py answers the requests with WORDS words each.
"""

import json


def _text(marker, n):
    return " ".join([marker] + ["w"] * (n - 1))


def write_arena(path):
    """Three requests; the writer answers 100 / 40 / 60 words; ref-a and ref-b are baselines."""
    rows = [
        {
            "id": "a1",
            "request": "Write about kettles.",
            "type": "essay",
            "length": 100,
            "baseline_response": {"ref-a": _text("copper", 30), "ref-b": _text("steam", 95)},
        },
        {
            "id": "a2",
            "request": "Write about rivers.",
            "type": "story",
            "baseline_response": {"ref-a": _text("delta", 70), "ref-b": _text("banks", 45)},
        },
        {
            "id": "a3",
            "request": "Write about lanterns.",
            "baseline_response": {"ref-a": _text("paper", 60), "ref-b": _text("zebra", 20)},
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


WORDS = {"kettles": 100, "rivers": 40, "lanterns": 60}


WB_ROWS = [
    {
        "id": "q1",
        "query": "Write a cover letter for a lighthouse keeper post.",
        "domain": "Business",
        "criteria": [
            {"name": "Tone", "description": "Formal and warm.", "guidance": "1-2 rude; 9-10 pitch-perfect"},
            {"name": "Fit", "description": "Matches the post."},
        ],
    },
    {
        "index": 7,
        "query": "Outline a paper on tides.",
        "domain1": "Academic",
        "domain2": "Outline",
        "checklist": [
            {
                "name": "Structure",
                "criteria_description": "Has the usual sections.",
                "1-2": "none",
                "9-10": "all",
            },
            {"name": "Depth", "criteria_description": "Goes beyond the obvious."},
            {"name": "Sources", "criteria_description": "Points to literature."},
        ],
    },
    {
        "id": "q3",
        "query": "Write a memo about lighthouse budgets.",
        "domain": "Business",
        "criteria": [{"name": "Clarity", "description": "Easy to act on."}],
    },
]


WB_WORDS = {"cover letter": 120, "tides": 80, "memo": 40}


def write_writingbench(path):
    """The WritingBench rows above as jsonl at ``path``."""
    path.write_text("\n".join(json.dumps(r) for r in WB_ROWS) + "\n", encoding="utf-8")
    return path
