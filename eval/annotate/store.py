"""The annotation database (SQLite, WAL): runs, items, answers, pairs, tokens, assignments, judgements.

One file holds one annotation: the runs compared (their names are stored here and never sent to a
browser), the items and answers, every unordered pair (item, run, run) whose two answers exist,
the annotators' tokens (SHA-256 only; the token itself is shown once, when created), what each
annotator was shown (an *assignment*: the pair, which run sat on the left, the order number 1 or
2, when first shown) and what they said (a *judgement*: the five-level verdict of the left answer
against the right one, or ``skip``, an optional reason, when it was shown and submitted, the
seconds between and the seconds the page was visible).

Every write is one transaction committed before the web app answers (``synchronous=FULL``), so a
killed server loses no judgement it acknowledged; WAL lets ``longwrite annotate results`` read
while annotators write. ``UNIQUE (annotator, pair, order)`` is the at-most-once rule.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import itertools
import json
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from eval.annotate.runs import RunSet

__all__ = [
    "VERDICTS",
    "SKIP",
    "open_db",
    "store_runs",
    "run_names",
    "create_token",
    "has_tokens",
    "token_annotator",
    "check_name",
    "now",
]

#: The five-level verdict of the left answer (A) against the right one (B), as the pairwise judge's.
VERDICTS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
SKIP = "skip"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, path TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY, prompt TEXT NOT NULL, type TEXT NOT NULL, language TEXT NOT NULL,
    required INTEGER);
CREATE TABLE IF NOT EXISTS answers (
    item_id TEXT NOT NULL REFERENCES items(id), run_id INTEGER NOT NULL REFERENCES runs(id),
    text TEXT NOT NULL, plan TEXT NOT NULL, words INTEGER NOT NULL,
    PRIMARY KEY (item_id, run_id));
CREATE TABLE IF NOT EXISTS unavailable (
    item_id TEXT NOT NULL, run_id INTEGER NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (item_id, run_id));
CREATE TABLE IF NOT EXISTS pairs (
    id INTEGER PRIMARY KEY, item_id TEXT NOT NULL REFERENCES items(id),
    run_a INTEGER NOT NULL REFERENCES runs(id), run_b INTEGER NOT NULL REFERENCES runs(id),
    UNIQUE (item_id, run_a, run_b), CHECK (run_a < run_b));
CREATE TABLE IF NOT EXISTS tokens (
    annotator TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (
    id INTEGER PRIMARY KEY, annotator TEXT NOT NULL, pair_id INTEGER NOT NULL REFERENCES pairs(id),
    order_no INTEGER NOT NULL CHECK (order_no IN (1, 2)),
    left_run INTEGER NOT NULL REFERENCES runs(id), right_run INTEGER NOT NULL REFERENCES runs(id),
    shown_at TEXT NOT NULL,
    UNIQUE (annotator, pair_id, order_no));
CREATE TABLE IF NOT EXISTS judgements (
    id INTEGER PRIMARY KEY, assignment_id INTEGER NOT NULL UNIQUE REFERENCES assignments(id),
    annotator TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
    shown_at TEXT NOT NULL, submitted_at TEXT NOT NULL,
    reading_seconds REAL NOT NULL, visible_seconds REAL);
"""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


def now() -> str:
    """The current UTC time, ISO 8601 with microseconds (timestamps of assignments and judgements)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")


def check_name(name: str) -> str:
    """``name`` if it is a valid annotator name (1-40 letters, digits, ``_ . -``), else ValueError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"annotator name {name!r} must be 1-40 letters, digits, '_', '.' or '-' (starting with a letter or digit)"
        )
    return name


def open_db(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (creating when ``create``) the annotation database at ``path`` in WAL mode with
    ``synchronous=FULL``; ``ValueError`` when it must exist and does not, or is another file."""
    p = Path(path)
    if not create and not p.is_file():
        raise ValueError(f"annotation database not found: {p}")
    p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(p), timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.executescript(_SCHEMA)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ValueError(f"{p} is not an annotation database ({exc})") from exc
    version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    if version is None:
        conn.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
    elif version[0] != SCHEMA_VERSION:
        raise ValueError(f"{p} has annotation schema {version[0]}, this code reads {SCHEMA_VERSION}")
    return conn


def run_names(conn: sqlite3.Connection) -> dict[int, str]:
    """Run id -> name of the runs stored (for results and the CLI; never for the browser)."""
    return {r["id"]: r["name"] for r in conn.execute("SELECT id, name FROM runs ORDER BY id")}


def _fingerprint(runs: RunSet) -> str:
    """SHA-256 over the runs' names, items and answers: the identity of an annotation."""
    h = hashlib.sha256()
    for item in runs.items:
        h.update(json.dumps([item.id, item.prompt]).encode())
    for (item_id, name), a in sorted(runs.answers.items()):
        h.update(json.dumps([item_id, name, a.text]).encode())
    return h.hexdigest()


def store_runs(conn: sqlite3.Connection, runs: RunSet) -> dict[str, int]:
    """Store ``runs`` in an empty database, or check that the stored ones are the same (names,
    items, answers); ``ValueError`` naming the difference otherwise. Returns name -> run id."""
    fp = _fingerprint(runs)
    stored = conn.execute("SELECT value FROM meta WHERE key='runs_sha256'").fetchone()
    if stored is not None:
        names = sorted(run_names(conn).values())
        if names != sorted(runs.names):
            raise ValueError(
                f"this database annotates runs {', '.join(names)}; got {', '.join(sorted(runs.names))}: "
                "use another --db"
            )
        if stored[0] != fp:
            raise ValueError(
                "this database annotates runs of these names whose items or answers differ from these "
                "folders' (the runs changed since): use another --db"
            )
        return {v: k for k, v in run_names(conn).items()}
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        ids = {}
        for name in runs.names:
            cur = conn.execute("INSERT INTO runs (name, path) VALUES (?, ?)", (name, str(runs.paths[name])))
            ids[name] = int(cur.lastrowid)
        for it in runs.items:
            conn.execute(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                (it.id, it.prompt, it.type, it.language, it.required),
            )
        for (item_id, name), a in runs.answers.items():
            conn.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?)", (item_id, ids[name], a.text, a.plan, a.words)
            )
        for item_id, name, reason in runs.unavailable:
            conn.execute("INSERT INTO unavailable VALUES (?, ?, ?)", (item_id, ids[name], reason))
        for it in runs.items:
            for x, y in itertools.combinations(sorted(ids[n] for n in runs.names), 2):
                nx = next(n for n, i in ids.items() if i == x)
                ny = next(n for n, i in ids.items() if i == y)
                if (it.id, nx) in runs.answers and (it.id, ny) in runs.answers:
                    conn.execute("INSERT INTO pairs (item_id, run_a, run_b) VALUES (?, ?, ?)", (it.id, x, y))
        conn.execute("INSERT INTO meta VALUES ('runs_sha256', ?)", (fp,))
    return ids


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: sqlite3.Connection, annotator: str) -> str:
    """A new random token for ``annotator`` (stored as its SHA-256; returned once, never stored in
    clear); ``ValueError`` if the annotator already has one."""
    check_name(annotator)
    token = secrets.token_urlsafe(24)
    try:
        with conn:
            conn.execute("INSERT INTO tokens VALUES (?, ?, ?)", (annotator, _token_hash(token), now()))
    except sqlite3.IntegrityError as exc:
        raise ValueError(f"annotator {annotator!r} already has a token") from exc
    return token


def has_tokens(conn: sqlite3.Connection) -> bool:
    """Whether any token exists (then every request must carry one)."""
    return conn.execute("SELECT 1 FROM tokens LIMIT 1").fetchone() is not None


def token_annotator(conn: sqlite3.Connection, token: str | None) -> str | None:
    """The annotator ``token`` belongs to, or None. Every stored hash is compared in constant
    time (``hmac.compare_digest``), with no early exit, so timing tells nothing about near misses."""
    if not token:
        return None
    presented = _token_hash(token)
    found = None
    for row in conn.execute("SELECT annotator, token_sha256 FROM tokens"):
        if hmac.compare_digest(presented, row["token_sha256"]):
            found = row["annotator"]
    return found


def counts(conn: sqlite3.Connection) -> dict[str, Any]:
    """How big the annotation is: runs, items, pairs, unavailable answers, judgements."""
    one = lambda q: conn.execute(q).fetchone()[0]  # noqa: E731
    return {
        "runs": one("SELECT COUNT(*) FROM runs"),
        "items": one("SELECT COUNT(*) FROM items"),
        "pairs": one("SELECT COUNT(*) FROM pairs"),
        "unavailable": one("SELECT COUNT(*) FROM unavailable"),
        "judgements": one("SELECT COUNT(*) FROM judgements"),
    }
