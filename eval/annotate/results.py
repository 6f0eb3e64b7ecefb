"""What the judgements say: human Elo, win/tie/loss, agreement with the LLM judge and between
annotators, a length-controlled rating, position bias, and preference pairs for training.

* Each non-skip judgement is one :class:`eval.elo.Comparison` (the left run's score under the
  five-level verdict, :func:`eval.pairwise.verdict_score`); the ratings are the project's joint
  Bradley-Terry fit (:func:`eval.elo.fit_joint`, every run a reference, ``prior`` virtual ties
  between every two runs, the runs' mean at 1000) with item-bootstrap intervals
  (:func:`eval.elo.bootstrap_ratings`). The LLM judge's verdicts (:mod:`eval.annotate.judge`)
  are rated the same way, beside them.
* The length-controlled view is :func:`eval.elo.fit_style_controlled` with the answer length
  (words / CJK characters) as its only covariate: the rating a run would have if both answers
  of a pair had the same length, and the Elo points per SD of the length difference.
* Agreement works on three outcomes of the pair, oriented by run name (the alphabetically first
  run won, tied or lost), so the sides shown do not matter. The judge's outcome of a pair is the
  mean of its two orders (an order-inconsistent judge gives a tie). Per annotator: the share of
  their judgements whose outcome equals the judge's, and Cohen's kappa
  (:func:`cohen_kappa`: (p_o - p_e) / (1 - p_e), chance from each side's own outcome shares).
  Between two annotators the same over the pairs both judged (each one's first judgement).
* :func:`export_pairs` writes one preference pair per pair the people preferred one answer of
  (mean score over its judgements; ties, skips and pairs whose judgements cancel are counted,
  not written) in the flat ``{prompt, chosen, rejected}`` shape ``longwrite rm data`` and
  ``longwrite dpo`` read.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.annotate.judge import pair_key, read_judge_run
from eval.annotate.store import SKIP
from eval.elo import Comparison, bootstrap_ratings, fit_joint, fit_style_controlled, win_matrix
from eval.pairwise import verdict_score
from eval.report_base import Table, fmt

__all__ = ["OUTCOMES", "cohen_kappa", "agreement", "human_judgements", "results", "export_pairs", "tables"]

OUTCOMES = ("win", "tie", "loss")


def _outcome(score: float) -> str:
    return "win" if score > 0.5 else "loss" if score < 0.5 else "tie"


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters' labels on the same cases: (p_o - p_e) / (1 - p_e), p_o the
    observed agreement, p_e the agreement expected from each rater's own label shares. None when
    there is no case or p_e is 1 (both always gave one and the same label: kappa is undefined)."""
    if len(first) != len(second):
        raise ValueError(f"kappa needs labels of the same cases, got {len(first)} and {len(second)}")
    n = len(first)
    if n == 0:
        return None
    p_o = sum(a == b for a, b in zip(first, second, strict=True)) / n
    c1, c2 = Counter(first), Counter(second)
    p_e = sum(c1[k] * c2[k] for k in set(c1) | set(c2)) / (n * n)
    if p_e >= 1.0:
        return None
    return (p_o - p_e) / (1.0 - p_e)


def agreement(first: Sequence[str], second: Sequence[str]) -> dict[str, Any]:
    """``{"n", "percent", "kappa"}`` of two label lists over the same cases (None when empty)."""
    n = len(first)
    same = sum(a == b for a, b in zip(first, second, strict=True))
    return {"n": n, "percent": 100.0 * same / n if n else None, "kappa": cohen_kappa(first, second)}


def human_judgements(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every judgement with its item, annotator, the runs on the left and right (names), order
    number, verdict, reason and reading times (for results; never served to a browser)."""
    rows = conn.execute(
        "SELECT j.id, j.annotator, j.verdict, j.reason, j.reading_seconds, j.visible_seconds, "
        "j.submitted_at, a.order_no, p.item_id, rl.name AS left_run, rr.name AS right_run "
        "FROM judgements j JOIN assignments a ON a.id = j.assignment_id JOIN pairs p ON p.id = a.pair_id "
        "JOIN runs rl ON rl.id = a.left_run JOIN runs rr ON rr.id = a.right_run ORDER BY j.id"
    )
    return [dict(r) for r in rows]


def _comparisons(orders: Sequence[tuple[str, str, str, str]]) -> list[Comparison]:
    return [Comparison(item, a, b, verdict_score(v)[0]) for item, a, b, v in orders]


def _lengths(conn: sqlite3.Connection) -> dict[tuple[str, str], dict[str, float]]:
    """(item, run) -> style features with the length only (the others 0: no spread, dropped)."""
    rows = conn.execute("SELECT a.item_id, r.name, a.words FROM answers a JOIN runs r ON r.id = a.run_id")
    return {(i, n): {"length": float(w), "headers": 0.0, "lists": 0.0, "bold": 0.0} for i, n, w in rows}


def _ratings(
    comps: list[Comparison], runs: list[str], lengths: dict, *, prior: float, rounds: int, seed: int
) -> dict[str, Any]:
    """Joint Elo + intervals, the length-controlled Elo + intervals and the win matrix."""
    if not comps:
        return {"ratings": None, "note": "no judgements with a verdict yet", "n": 0}
    fit = fit_joint(comps, runs, reference_prior=prior)
    lc = fit_style_controlled(comps, runs, lengths, reference_prior=prior)
    lc_note = lc["note"]
    if "length" in lc["dropped"]:
        lc_note = "every pair's two answers have the same length: nothing to control for"
    return {
        "n": len(comps),
        "ratings": fit.ratings,
        "intervals": bootstrap_ratings(
            comps, lambda cs: fit_joint(cs, runs, reference_prior=prior).ratings, rounds=rounds, seed=seed
        ),
        "length_controlled": {
            "ratings": lc["ratings"],
            "elo_per_sd_length": lc["coefficients"].get("length"),
            "intervals": bootstrap_ratings(
                comps,
                lambda cs: fit_style_controlled(cs, runs, lengths, reference_prior=prior)["ratings"],
                rounds=rounds,
                seed=seed,
            ),
            "note": lc_note,
        },
        "win_matrix": win_matrix(comps),
        "note": None,
    }


def _judge_outcomes(orders: Sequence[tuple[str, str, str, str]]) -> dict[tuple[str, str, str], str]:
    """Pair key -> the judge's outcome for the key's first run (mean over the orders judged)."""
    scores: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for item, a, b, v in orders:
        key = pair_key(item, a, b)
        s = verdict_score(v)[0]
        scores[key].append(s if a == key[1] else 1.0 - s)
    return {k: _outcome(statistics.fmean(v)) for k, v in scores.items()}


def _position(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """Per annotator: verdicts for the left / right answer / ties, and how often the two orders
    of one pair (``--both-orders``) gave the same outcome."""
    out: dict[str, dict[str, Any]] = {}
    by_pair: dict[tuple[str, tuple], list[str]] = defaultdict(list)
    for r in rows:
        if r["verdict"] == SKIP:
            continue
        s = verdict_score(r["verdict"])[0]
        o = out.setdefault(r["annotator"], {"left": 0, "tie": 0, "right": 0})
        o["left" if s == 1.0 else "right" if s == 0.0 else "tie"] += 1
        key = pair_key(r["item_id"], r["left_run"], r["right_run"])
        by_pair[(r["annotator"], key)].append(_outcome(s if r["left_run"] == key[1] else 1.0 - s))
    for (annotator, _), labels in by_pair.items():
        if len(labels) >= 2:
            o = out[annotator]
            o["both_orders"] = o.get("both_orders", 0) + 1
            o["consistent"] = o.get("consistent", 0) + int(labels[0] == labels[1])
    return out


def results(
    conn: sqlite3.Connection,
    judge_dirs: Sequence[str | Path] = (),
    *,
    prior: float = 1.0,
    rounds: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Everything ``longwrite annotate results`` shows, as one JSON-ready dict (see the module doc)."""
    runs = sorted(r[0] for r in conn.execute("SELECT name FROM runs"))
    if not runs:
        raise ValueError("the annotation database holds no runs yet")
    rows = human_judgements(conn)
    verdicts = [r for r in rows if r["verdict"] != SKIP]
    lengths = _lengths(conn)
    human_orders = [(r["item_id"], r["left_run"], r["right_run"], r["verdict"]) for r in verdicts]
    per_annotator: dict[str, dict[str, Any]] = {}
    for r in rows:
        a = per_annotator.setdefault(r["annotator"], {"judged": 0, "skipped": 0, "ties": 0, "reading": []})
        a["skipped" if r["verdict"] == SKIP else "judged"] += 1
        a["ties"] += int(r["verdict"] == "A=B")
        a["reading"].append(r["reading_seconds"])
    for a in per_annotator.values():
        a["median_reading_seconds"] = statistics.median(a.pop("reading"))
    out: dict[str, Any] = {
        "runs": runs,
        "pairs": conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0],
        "unavailable": [
            dict(r)
            for r in conn.execute(
                "SELECT u.item_id, r.name AS run, u.reason FROM unavailable u JOIN runs r ON r.id = u.run_id"
            )
        ],
        "annotators": per_annotator,
        "human": _ratings(_comparisons(human_orders), runs, lengths, prior=prior, rounds=rounds, seed=seed),
        "position": _position(rows),
        "judges": [],
        "inter_annotator": [],
    }
    # human outcomes per annotator and pair (first judgement of the pair counts for inter-annotator)
    mine: dict[str, list[tuple[tuple[str, str, str], str]]] = defaultdict(list)
    for r in verdicts:
        key = pair_key(r["item_id"], r["left_run"], r["right_run"])
        s = verdict_score(r["verdict"])[0]
        mine[r["annotator"]].append((key, _outcome(s if r["left_run"] == key[1] else 1.0 - s)))
    names = sorted(mine)
    for i, u in enumerate(names):
        for v in names[i + 1 :]:
            fu, fv = {}, {}
            for k, o in mine[u]:
                fu.setdefault(k, o)
            for k, o in mine[v]:
                fv.setdefault(k, o)
            both = sorted(set(fu) & set(fv))
            out["inter_annotator"].append(
                {"annotators": [u, v], **agreement([fu[k] for k in both], [fv[k] for k in both])}
            )
    for d in judge_dirs:
        jr = read_judge_run(d, conn)
        outcomes = _judge_outcomes(jr["orders"])
        per = {}
        for who in names:
            shared = [(o, outcomes[k]) for k, o in mine[who] if k in outcomes]
            per[who] = agreement([h for h, _ in shared], [j for _, j in shared])
            per[who]["without_judge"] = sum(k not in outcomes for k, _ in mine[who])
        every = [(o, outcomes[k]) for who in names for k, o in mine[who] if k in outcomes]
        out["judges"].append(
            {
                "name": jr["name"],
                "dir": str(Path(d)),
                "judge": jr["judge"],
                "orders_judged": len(jr["orders"]),
                "failures": jr["failures"],
                "elo": _ratings(
                    _comparisons(jr["orders"]), runs, lengths, prior=prior, rounds=rounds, seed=seed
                ),
                "agreement": per,
                "agreement_all": agreement([h for h, _ in every], [j for _, j in every]),
            }
        )
    return out


def export_pairs(conn: sqlite3.Connection, path: str | Path) -> dict[str, int]:
    """Write the people's preferences as flat ``{prompt, chosen, rejected}`` jsonl rows (plus
    ``id``, ``kind: "human"``, the runs, annotators and judgement count); returns the counts:
    ``exported`` pairs, ``skips``, ``tie_judgements`` and ``tied_pairs`` (not written)."""
    rows = human_judgements(conn)
    texts = {
        (i, n): t
        for i, n, t in conn.execute(
            "SELECT a.item_id, r.name, a.text FROM answers a JOIN runs r ON r.id = a.run_id"
        )
    }
    prompts = dict(conn.execute("SELECT id, prompt FROM items"))
    scores: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    who: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    counts = Counter(exported=0, skips=0, tie_judgements=0, tied_pairs=0)
    for r in rows:
        if r["verdict"] == SKIP:
            counts["skips"] += 1
            continue
        counts["tie_judgements"] += int(r["verdict"] == "A=B")
        key = pair_key(r["item_id"], r["left_run"], r["right_run"])
        s = verdict_score(r["verdict"])[0]
        scores[key].append(s if r["left_run"] == key[1] else 1.0 - s)
        who[key].add(r["annotator"])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with Path(path).open("w", encoding="utf-8") as fh:
        for key in sorted(scores):
            item, x, y = key
            mean = statistics.fmean(scores[key])
            if mean == 0.5:
                counts["tied_pairs"] += 1
                continue
            win, lose = (x, y) if mean > 0.5 else (y, x)
            row = {
                "id": f"human::{item}::{win}::{lose}",
                "prompt": prompts[item],
                "chosen": texts[(item, win)],
                "rejected": texts[(item, lose)],
                "kind": "human",
                "chosen_run": win,
                "rejected_run": lose,
                "annotators": sorted(who[key]),
                "judgements": len(scores[key]),
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            counts["exported"] += 1
    return dict(counts)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.0f}%"


def _elo_cell(block: dict[str, Any], run: str, key: str = "ratings") -> str:
    src = block if key == "ratings" else block["length_controlled"]
    r = src["ratings"].get(run) if src.get("ratings") else None
    iv = src["intervals"].get(run, {}) if src.get("intervals") else {}
    if r is None:
        return "–"
    return f"{r:.0f} [{fmt(iv.get('lo'), 0)}, {fmt(iv.get('hi'), 0)}]"


def tables(res: dict[str, Any]) -> list[Table]:
    """The result as report tables: Elo (human, length-controlled, each judge), win/tie/loss,
    agreement with each judge per annotator, agreement between annotators, position bias."""
    runs, human = res["runs"], res["human"]
    header = ["run", "human Elo [95% CI]", "human, length-controlled"]
    for j in res["judges"]:
        header += [f"{j['name']} Elo", f"{j['name']}, length-controlled"]
    rows = []
    for run in runs:
        row = [run]
        for block in [human] + [j["elo"] for j in res["judges"]]:
            row += (
                [_elo_cell(block, run), _elo_cell(block, run, "length_controlled")]
                if block.get("ratings")
                else ["–", "–"]
            )
        rows.append(row)
    n_judged = sum(a["judged"] for a in res["annotators"].values())
    n_skipped = sum(a["skipped"] for a in res["annotators"].values())
    lc = human.get("length_controlled") or {}
    note = (
        f"{n_judged} human verdict(s) from {len(res['annotators'])} annotator(s) on {res['pairs']} pair(s), "
        f"{n_skipped} skipped; joint Bradley-Terry fit, runs' mean = 1000, item-bootstrap 95% intervals. "
        f"Length-controlled: answer length as covariate"
        + (f" ({fmt(lc.get('elo_per_sd_length'), 0)} Elo per SD of length difference)" if lc else "")
        + (f"; {lc['note']}" if lc.get("note") else "")
        + (f"; {human['note']}" if human.get("note") else "")
        + (
            f"; {len(res['unavailable'])} answer(s) could not be shown (failed or empty)"
            if res["unavailable"]
            else ""
        )
    )
    out = [Table("Human evaluation: Elo", header, rows, note)]
    wtl = []
    for label, block in [("people", human)] + [(j["name"], j["elo"]) for j in res["judges"]]:
        for a, row in sorted((block.get("win_matrix") or {}).items()):
            for b, c in sorted(row.items()):
                if a < b:
                    wtl.append([label, f"{a} vs {b}", str(c["win"]), str(c["tie"]), str(c["loss"])])
    out.append(
        Table(
            "Human evaluation: win / tie / loss",
            ["by", "pair", "win", "tie", "loss"],
            wtl,
            "counted from the first run's side; each judged order counts once",
        )
    )
    agree = []
    for j in res["judges"]:
        for who, a in sorted(j["agreement"].items()):
            agree.append(
                [j["name"], who, str(a["n"]), _pct(a["percent"]), fmt(a["kappa"], 2), str(a["without_judge"])]
            )
        a = j["agreement_all"]
        agree.append([j["name"], "all annotators", str(a["n"]), _pct(a["percent"]), fmt(a["kappa"], 2), ""])
    if agree:
        out.append(
            Table(
                "Human evaluation: agreement with the LLM judge",
                ["judge", "annotator", "verdicts", "agree", "Cohen's kappa", "no judge verdict"],
                agree,
                "outcomes win/tie/loss of the pair; the judge's outcome is the mean of its two orders",
            )
        )
    inter = [
        [f"{x['annotators'][0]} & {x['annotators'][1]}", str(x["n"]), _pct(x["percent"]), fmt(x["kappa"], 2)]
        for x in res["inter_annotator"]
    ]
    if inter:
        out.append(
            Table(
                "Human evaluation: agreement between annotators",
                ["annotators", "pairs both judged", "agree", "Cohen's kappa"],
                inter,
                "each annotator's first verdict on a pair; outcomes win/tie/loss",
            )
        )
    pos = [
        [
            who,
            str(p["left"]),
            str(p["tie"]),
            str(p["right"]),
            str(p.get("both_orders", 0)),
            str(p.get("consistent", 0)),
        ]
        for who, p in sorted(res["position"].items())
    ]
    if pos:
        out.append(
            Table(
                "Human evaluation: position",
                [
                    "annotator",
                    "left better",
                    "tie",
                    "right better",
                    "pairs in both orders",
                    "same outcome both orders",
                ],
                pos,
                "both orders are shown only with `longwrite annotate --both-orders`",
            )
        )
    return out
