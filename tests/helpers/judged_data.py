"""Small hand-written Arena-Write and WritingBench data for tests (no benchmark data is shipped).

The writer responder of tests/helpers/fake_judge.py answers the requests with WORDS words each.
"""

import json
from pathlib import Path


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


# Real shape: a query with several thousand characters of material and a 10,000-word answer.
LONG_QUERY = "Q3 Summarise this material as a memo.\n" + "The quarterly ledger shows steady costs. " * 150
LONG_ANSWER = "Answer three. " + " ".join(f"w{k % 97}" for k in range(10_000))

# WritingBench rows in the released shape, with the critic's score per criterion and answers.
# A stand-in for WritingBench's prompt.py (same shape; see the file).
OFFICIAL_PROMPT_PY = Path(__file__).parents[1] / "eval" / "data" / "writingbench" / "prompt.py"


def released_criterion(name):
    """A checklist entry as released: name, criteria_description and the five score bands."""
    # As released: name, criteria_description and the five score bands.
    bands = {b: f"{name} band {b}" for b in ("1-2", "3-4", "5-6", "7-8", "9-10")}
    return {"name": name, "criteria_description": f"Checks {name}.", **bands}


# Rows in the released shape (index int, domain1, domain2, lang, query, checklist).
WB_RELEASED_ROWS = [
    {"index": 1, "domain1": "Academic", "domain2": "Paper", "lang": "en", "query": "Q1 {x}", "checklist": [released_criterion("a1"), released_criterion("a2")]},
    {"index": 2, "domain1": "Academic", "domain2": "Report", "lang": "en", "query": "Q2", "checklist": [released_criterion("b1"), released_criterion("b2"), released_criterion("b3")]},
    {"index": 3, "domain1": "Finance", "domain2": "Memo", "lang": "zh", "query": LONG_QUERY, "checklist": [released_criterion("c1")]},
    {"index": 4, "domain1": "Finance", "domain2": "Memo", "lang": "en", "query": "Q4", "checklist": [released_criterion("d1")]},
    {"index": 5, "domain1": "Finance", "domain2": "Memo", "lang": "en", "query": "Q5", "checklist": [released_criterion("e1")]},
]  # fmt: skip
WB_RELEASED_SCORES = {"a1": 8, "a2": 6, "b1": 3, "b2": 5, "b3": 10, "c1": 9, "d1": 2, "e1": 4}
WB_RELEASED_RESPONSES = {
    1: "<think>secret plan</think>\n\nAnswer one.",  # the official cut keeps only "Answer one."
    2: "<think>no blank line after</think>Answer two.",  # no "</think>\n\n": judged whole
    3: LONG_ANSWER,  # judged whole: 10,000 words
    5: "Answer five.",
}  # index 4 has no response: a listed generation failure


def write_jsonl(path, rows):
    """``rows`` as jsonl at ``path`` (folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_requirements(folder):
    """WritingBench's requirement/ folder for WB_RELEASED_ROWS: length (items 1, 2 and an index
    999 the data lacks), style (items 3, 4) and format (empty)."""
    subset = {
        "length": ({1: ["a2"], 2: ["b1", "b3"]}, [999]),  # 999: not an item of this run
        "style": ({3: ["c1"], 4: ["d1"]}, []),
        "format": ({}, []),
    }
    for req, (crit, extra) in subset.items():
        write_jsonl(folder / req / f"{req}_subset.jsonl", [{"index": i} for i in [*crit, *extra]])
        write_jsonl(
            folder / req / f"{req}_subset_C.jsonl",
            [{"index": i, "checklist": [released_criterion(n) for n in names]} for i, names in crit.items()],
        )
    return folder
