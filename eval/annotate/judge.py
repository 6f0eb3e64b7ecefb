"""The LLM pairwise judge on exactly the pairs people read, for agreement and a judge Elo beside theirs.

``longwrite annotate judge --db FILE --out DIR --judge-endpoint URL --judge-model M`` asks the
project's pairwise judge (:mod:`eval.pairwise`: the Arena-Write prompt and five-level verdict,
:func:`eval.judged_run.judge_missing`'s bounded retries and resume) about every pair of the
database, in both orders, on the same answer texts the app shows (plans stripped). The folder
holds ``run.json`` (``benchmark: annotate-judge``, the judge, the database's runs and their
fingerprint), ``judgments.jsonl`` and ``judge_cache.jsonl``; a rerun judges only what is missing or
failed. A failed judgement is counted and listed, never scored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eval.judge import JudgePrompt
from eval.judged_run import JUDGMENTS_FILE, RUN_FILE, JudgeCall, judgments_for, write_json

__all__ = ["BENCHMARK", "judge_db", "read_judge_run", "pair_key"]

BENCHMARK = "annotate-judge"


def pair_key(item: str, x: str, y: str) -> tuple[str, str, str]:
    """The orientation-free key of a pair: (item, the two run names sorted)."""
    a, b = sorted((x, y))
    return item, a, b


def _fingerprint(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key='runs_sha256'").fetchone()
    if row is None:
        raise ValueError(
            "the annotation database holds no runs yet: start `longwrite annotate RUN_A RUN_B --db FILE` first"
        )
    return str(row[0])


def _calls(conn: sqlite3.Connection, prompt: JudgePrompt) -> Iterator[JudgeCall]:
    rows = conn.execute(
        "SELECT p.item_id, i.prompt, ra.name AS na, rb.name AS nb, aa.text AS ta, ab.text AS tb "
        "FROM pairs p JOIN items i ON i.id = p.item_id JOIN runs ra ON ra.id = p.run_a "
        "JOIN runs rb ON rb.id = p.run_b "
        "JOIN answers aa ON aa.item_id = p.item_id AND aa.run_id = p.run_a "
        "JOIN answers ab ON ab.item_id = p.item_id AND ab.run_id = p.run_b ORDER BY p.id"
    )
    for r in rows:
        for a, b, ta, tb in ((r["na"], r["nb"], r["ta"], r["tb"]), (r["nb"], r["na"], r["tb"], r["ta"])):
            yield JudgeCall(
                f"{r['item_id']}::{a}::{b}",
                prompt.fill(request=r["prompt"], answer_a=ta, answer_b=tb),
                {"item": r["item_id"], "a": a, "b": b},
            )


def judge_db(
    conn: sqlite3.Connection,
    db_path: str | Path,
    out_dir: str | Path,
    client: Any,
    prompt: JudgePrompt,
    *,
    attempts: int = 3,
    params: dict | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Judge every pair of the database in both orders into ``out_dir``; returns counts
    (``calls``, ``judged``, ``failed``) and the failed ids with their errors."""
    from eval.annotate.store import run_names
    from eval.arena_write import JUDGING
    from eval.judged_run import judge_missing

    out = Path(out_dir)
    fp = _fingerprint(conn)
    meta = {
        "benchmark": BENCHMARK,
        "name": f"LLM judge {client.model}",
        "db": str(Path(db_path).resolve()),
        "runs": sorted(run_names(conn).values()),
        "runs_sha256": fp,
        "judge": {
            "model": client.model,
            "endpoint": client.base_url,
            "prompt_version": prompt.version,
            "prompt_hash": prompt.hash,
            "max_attempts": attempts,
            "params": params or {},
        },
    }
    if (out / RUN_FILE).is_file():
        old = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
        if old.get("runs_sha256") != fp or old.get("judge", {}).get("model") != client.model:
            raise ValueError(
                f"{out} holds another annotation's or another judge's verdicts; use another --out"
            )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / RUN_FILE, meta)
    calls = list(_calls(conn, prompt))
    done = judge_missing(
        out / JUDGMENTS_FILE,
        client,
        prompt,
        calls,
        JUDGING,
        max_attempts=attempts,
        params=params,
        progress=progress,
    )
    failed = [
        {"id": c.id, "error": (done.get(c.id) or {}).get("error") or "not judged"}
        for c in calls
        if (done.get(c.id) or {}).get("verdict") is None
    ]
    return {
        "calls": len(calls),
        "judged": len(calls) - len(failed),
        "failed": len(failed),
        "failures": failed,
    }


def read_judge_run(out_dir: str | Path, conn: sqlite3.Connection) -> dict[str, Any]:
    """The judge's verdicts of a ``longwrite annotate judge`` folder made on this database:
    ``{"name", "judge", "orders": [(item, a, b, verdict)], "failures": [...]}``; ``ValueError``
    for a folder that is none, or was made on another database's runs."""
    path = Path(out_dir)
    run_file = path / RUN_FILE
    if not run_file.is_file():
        raise ValueError(f"{path} is not a `longwrite annotate judge` folder (no run.json)")
    meta = json.loads(run_file.read_text(encoding="utf-8"))
    if meta.get("benchmark") != BENCHMARK:
        raise ValueError(
            f"{path} is a {meta.get('benchmark')!r} run, not a `longwrite annotate judge` folder "
            "(the judge must read the same pairs: run `longwrite annotate judge --db FILE --out DIR`)"
        )
    if meta.get("runs_sha256") != _fingerprint(conn):
        raise ValueError(f"{path} judged another annotation's runs ({', '.join(meta.get('runs', []))})")
    j = meta["judge"]
    judged = judgments_for(path / JUDGMENTS_FILE, j["model"], j["prompt_hash"])
    orders, failures = [], []
    for call_id, rec in sorted(judged.items()):
        if rec.get("verdict") is None:
            failures.append({"id": call_id, "error": rec.get("error")})
        else:
            orders.append((rec["item"], rec["a"], rec["b"], rec["verdict"]))
    return {"name": meta["name"], "judge": j, "orders": orders, "failures": failures}
