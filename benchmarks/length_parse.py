"""Length-parser accuracy on labelled requests: right / wrong range / miss / spurious, per pattern.

Run: ``PYTHONPATH=. .venv/bin/python -m benchmarks length_parse`` (seconds). Reads
``tests/rewards/length/data/long_requests.jsonl`` (requests of real length, several thousand
characters of pasted material each), the blind held-out set ``long_requests_blind.jsonl`` (48
requests written later with new material kinds and phrasings, frozen before any parser change;
reported as its own table, by counts only) and, as the baseline in the same run, the short
hand-written set ``length_requests.jsonl``. Each row's outcome:

* ``right`` - the parsed range and unit equal the hand label;
* ``wrong`` - a range was parsed and it differs from the label (the worst outcome: a wrong target
  trains the policy toward the wrong length; no range falls back to the predicted path);
* ``miss`` - the label has a range, the parser found none;
* ``spurious`` - the label is "none" (the whole response's length is not stated), the parser
  found a range.

The tables go to ``benchmarks/RESULTS.md`` ("Length parser on long requests").
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "rewards" / "length" / "data"
OUTCOMES = ("right", "wrong", "miss", "spurious")


def load(name: str) -> list[dict]:
    """The rows of one labelled jsonl file in tests/rewards/length/data/."""
    return [
        json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def outcome(row: dict) -> tuple[str, tuple[int, int, str] | None]:
    """(right | wrong | miss | spurious, the parsed (lower, upper, unit) or None) for one row."""
    from rewards.length.parse import find_length

    found = find_length(row["prompt"])
    got = None if found.lower is None else (found.lower, found.upper, found.unit)
    exp = row["expected"]
    want = None if exp == "none" else (exp["lower"], exp["upper"], exp["unit"])
    if got == want:
        return "right", got
    if got is None:
        return "miss", got
    if want is None:
        return "spurious", got
    return "wrong", got


def table(rows: list[dict], key: str) -> tuple[str, Counter]:
    """A markdown table of outcomes grouped by ``row[key]`` (and a total line); the total counts."""
    by: dict[str, Counter] = defaultdict(Counter)
    total: Counter = Counter()
    for row in rows:
        o, _ = outcome(row)
        by[row.get(key, "-")][o] += 1
        total[o] += 1
    lines = [f"| {key} | rows | " + " | ".join(OUTCOMES) + " |", "|---" * (2 + len(OUTCOMES)) + "|"]
    for name in sorted(by):
        c = by[name]
        lines.append(f"| {name} | {sum(c.values())} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |")
    lines.append(f"| **all** | {sum(total.values())} | " + " | ".join(str(total[o]) for o in OUTCOMES) + " |")
    return "\n".join(lines), total


def main() -> None:
    """Print the outcome tables for the long set (design, held-out), the blind set (per pattern)
    and the short set."""
    long_rows = load("long_requests.jsonl")
    blind_rows = load("long_requests_blind.jsonl")
    short_rows = load("length_requests.jsonl")
    lengths = [len(r["prompt"]) for r in long_rows]
    print(f"long set: {len(long_rows)} rows, median {statistics.median(lengths):.0f} characters")
    t0 = time.perf_counter()
    for split in ("design", "held-out"):
        part = [r for r in long_rows if r["split"] == split]
        text, _ = table(part, "pattern")
        print(f"\n### long set, {split} ({len(part)} rows)\n\n{text}")
    secs = time.perf_counter() - t0
    blind_len = [len(r["prompt"]) for r in blind_rows]
    text, _ = table(blind_rows, "pattern")
    print(
        f"\n### blind set ({len(blind_rows)} rows, median {statistics.median(blind_len):.0f} characters)\n\n{text}"
    )
    text, _ = table(short_rows, "style")
    print(f"\n### baseline: the short hand-written set ({len(short_rows)} rows)\n\n{text}")
    print(f"\nparse time on the long set: {secs:.2f} s for {len(long_rows)} requests")
    # Row by row for the design split only: the held-out rows are judged by their counts, so
    # that tuning never looks at them one by one.
    for row in long_rows:
        if row["split"] == "design" and outcome(row)[0] != "right":
            print(f"  {row['id']}: {' '.join(map(str, outcome(row)))}", file=sys.stderr)


if __name__ == "__main__":
    main()
