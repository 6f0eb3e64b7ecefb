"""Which pair an annotator reads next, and recording what they said.

* Each annotator walks every pair in an order of their own (a seeded hash of seed, annotator and
  pair: random-looking, reproducible, different per annotator), so annotators overlap and
  inter-annotator agreement can be measured.
* Which run sits on the left is drawn the same way per (annotator, pair); the second order
  (``both_orders``, for position-bias checks) puts the runs on the other sides, and comes only
  after at least :data:`SECOND_ORDER_GAP` other judgements (or when nothing else is left), so the
  reader does not see the same pair twice in a row.
* A pair shown and not yet judged is shown again (a reload, a second tab) rather than a new one;
  ``UNIQUE (annotator, pair, order)`` keeps "each pair at most once per order" under concurrency.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from eval.annotate.store import SKIP, VERDICTS, now

__all__ = ["SECOND_ORDER_GAP", "next_assignment", "submit", "progress", "JudgementError"]

#: Judgements an annotator makes between the two orders of one pair.
SECOND_ORDER_GAP = 2


class JudgementError(ValueError):
    """A submission that cannot be stored; ``status`` is the HTTP status the app answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _rank(seed: int, annotator: str, pair_id: int, salt: str = "order") -> str:
    return hashlib.sha256(f"{seed}:{salt}:{annotator}:{pair_id}".encode()).hexdigest()


def _open(conn: sqlite3.Connection, annotator: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT a.* FROM assignments a LEFT JOIN judgements j ON j.assignment_id = a.id "
        "WHERE a.annotator = ? AND j.id IS NULL ORDER BY a.id LIMIT 1",
        (annotator,),
    ).fetchone()


def _pick(conn: sqlite3.Connection, annotator: str, both_orders: bool, seed: int) -> tuple[int, int] | None:
    """(pair id, order number) of the annotator's next unseen slot, or None when all are done."""
    first = [
        r[0]
        for r in conn.execute(
            "SELECT p.id FROM pairs p WHERE NOT EXISTS (SELECT 1 FROM assignments a "
            "WHERE a.annotator = ? AND a.pair_id = p.id AND a.order_no = 1)",
            (annotator,),
        )
    ]
    second: list[int] = []
    if both_orders:
        # first orders judged at least SECOND_ORDER_GAP judgements ago, second order not yet shown
        recent = {
            r[0]
            for r in conn.execute(
                "SELECT a.pair_id FROM judgements j JOIN assignments a ON a.id = j.assignment_id "
                "WHERE j.annotator = ? ORDER BY j.id DESC LIMIT ?",
                (annotator, SECOND_ORDER_GAP),
            )
        }
        rows = conn.execute(
            "SELECT a.pair_id FROM assignments a JOIN judgements j ON j.assignment_id = a.id "
            "WHERE a.annotator = ? AND a.order_no = 1 AND NOT EXISTS (SELECT 1 FROM assignments b "
            "WHERE b.annotator = a.annotator AND b.pair_id = a.pair_id AND b.order_no = 2)",
            (annotator,),
        )
        pending = [r[0] for r in rows]
        second = [p for p in pending if p not in recent] or ([] if first else pending)
    if second:
        return min(second, key=lambda p: _rank(seed, annotator, p)), 2
    if first:
        return min(first, key=lambda p: _rank(seed, annotator, p)), 1
    return None


def next_assignment(
    conn: sqlite3.Connection, annotator: str, *, both_orders: bool = False, seed: int = 0
) -> dict[str, Any] | None:
    """The annotator's open assignment, or a new one; None when they have judged every pair
    (in both orders with ``both_orders``). Returns the assignment row as a dict (run ids
    included: for the server, never for the browser)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = _open(conn, annotator)
        if row is None:
            picked = _pick(conn, annotator, both_orders, seed)
            if picked is None:
                conn.execute("COMMIT")
                return None
            pair_id, order_no = picked
            a, b = conn.execute("SELECT run_a, run_b FROM pairs WHERE id = ?", (pair_id,)).fetchone()
            a_left = int(_rank(seed, annotator, pair_id, "side"), 16) % 2 == 0
            if order_no == 2:
                a_left = not a_left
            left, right = (a, b) if a_left else (b, a)
            cur = conn.execute(
                "INSERT INTO assignments (annotator, pair_id, order_no, left_run, right_run, shown_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (annotator, pair_id, order_no, left, right, now()),
            )
            row = conn.execute("SELECT * FROM assignments WHERE id = ?", (cur.lastrowid,)).fetchone()
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return dict(row)


def submit(
    conn: sqlite3.Connection,
    annotator: str,
    assignment_id: int,
    verdict: str,
    reason: str = "",
    visible_seconds: float | None = None,
) -> dict[str, Any]:
    """Store the annotator's verdict (one of :data:`eval.annotate.store.VERDICTS`, or ``skip``)
    on their assignment, committed before returning; :class:`JudgementError` for an unknown
    verdict (400), an assignment that is not theirs (404) or one already judged (409)."""
    if verdict not in (*VERDICTS, SKIP):
        raise JudgementError(f"verdict must be one of {', '.join(VERDICTS)} or {SKIP}, got {verdict!r}")
    if not isinstance(reason, str) or len(reason) > 10_000:
        raise JudgementError("reason must be a string of at most 10,000 characters")
    if visible_seconds is not None and not (
        isinstance(visible_seconds, (int, float)) and visible_seconds >= 0
    ):
        raise JudgementError(f"visible_seconds must be a number >= 0, got {visible_seconds!r}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT * FROM assignments WHERE id = ? AND annotator = ?", (assignment_id, annotator)
        ).fetchone()
        if row is None:
            raise JudgementError(f"no assignment {assignment_id} of yours", 404)
        if conn.execute("SELECT 1 FROM judgements WHERE assignment_id = ?", (assignment_id,)).fetchone():
            raise JudgementError(f"assignment {assignment_id} is already judged", 409)
        submitted = now()
        import datetime as _dt

        seconds = (
            _dt.datetime.fromisoformat(submitted) - _dt.datetime.fromisoformat(row["shown_at"])
        ).total_seconds()
        conn.execute(
            "INSERT INTO judgements (assignment_id, annotator, verdict, reason, shown_at, submitted_at, "
            "reading_seconds, visible_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assignment_id,
                annotator,
                verdict,
                reason.strip(),
                row["shown_at"],
                submitted,
                seconds,
                visible_seconds,
            ),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"assignment": assignment_id, "verdict": verdict, "reading_seconds": seconds}


def progress(conn: sqlite3.Connection, annotator: str, *, both_orders: bool = False) -> dict[str, int]:
    """The annotator's own counts: judged (skips included), skipped, and the total they can judge."""
    n_pairs = conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0]
    done, skipped = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(verdict = ?), 0) FROM judgements WHERE annotator = ?",
        (SKIP, annotator),
    ).fetchone()
    return {"done": int(done), "skipped": int(skipped), "total": n_pairs * (2 if both_orders else 1)}
