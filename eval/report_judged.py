"""Report sections for judged benchmarks, and the comparability check across every run.

:func:`eval.report.build_report` calls three functions from here, each over the loaded runs:

* :func:`comparability_tables` - groups each benchmark's runs by what makes scores comparable
  (judge model, judge prompt hash, prompt template, data file hash, evaluator version, and for
  Arena-Write the rating settings); a run outside its benchmark's first group is marked in the
  tables (``RunData.comparability``) and listed with the fields that differ.
* :func:`judged_tables` - Arena-Write: one Bradley-Terry Elo fit over every comparison of the
  comparable runs together (so base, SFT and RL models share one scale), with bootstrap intervals,
  the win/tie/loss matrix and order agreement; WritingBench: score (1-10 and x10) overall and by
  domain; failures and run metadata of both.
* :func:`judged_plots` - the Elo ratings with their intervals.

A further section (e.g. reward-hacking monitors per model) is one more function of this shape.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.judged_run import comparability_fields
from eval.report_base import RunData, Table, fmt, meta_line, png_bytes

__all__ = ["load_judged_scores", "comparable_key", "comparability_tables", "judged_tables", "judged_plots"]


def load_judged_scores(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The scores of an Arena-Write or WritingBench run, recomputed from its files."""
    if meta.get("benchmark") == "arena-write":
        from eval.arena_write import arena_comparisons

        elo = meta.get("elo") or {}
        data = arena_comparisons(path, strong_weight=elo.get("strong_weight", 1.0))
        return {**data, "elo_settings": elo}
    from eval.writingbench import score_writingbench

    return score_writingbench(path, write=False)


def comparable_key(r: RunData) -> dict[str, Any]:
    """What must match for two runs of one benchmark to be compared (field -> value; see
    :func:`eval.judged_run.comparability_fields`)."""
    return comparability_fields(r.meta)


def _groups(runs: Sequence[RunData]) -> list[list[RunData]]:
    groups: list[tuple[dict, list[RunData]]] = []
    for r in runs:
        key = comparable_key(r)
        for k, members in groups:
            if k == key:
                members.append(r)
                break
        else:
            groups.append((key, [r]))
    return [members for _, members in groups]


def comparability_tables(runs: Sequence[RunData]) -> list[Table]:
    """The Comparability table; marks each run outside its benchmark's first group."""
    rows, flagged = [], 0
    for bench in dict.fromkeys(r.benchmark for r in runs):
        groups = _groups([r for r in runs if r.benchmark == bench])
        ref = comparable_key(groups[0][0])
        for g, members in enumerate(groups, 1):
            key = comparable_key(members[0])
            diff = [f"{k}: {key[k]} (not {ref[k]})" for k in key if key[k] != ref.get(k)]
            for r in members:
                if g > 1:
                    r.comparability = f"not comparable (group {g})"
                    flagged += 1
                rows.append([bench, r.name, str(g), "; ".join(diff) if diff else "reference"])
    note = (
        f"{flagged} run(s) used another judge, judge prompt, template, data file or evaluator than "
        "the first run of their benchmark: their scores are NOT comparable with group 1 and are "
        "marked ⚠ in the tables."
        if flagged
        else "Within each benchmark every run used the same judge, judge prompt, template, data and "
        "evaluator."
    )
    return [Table("Comparability", ["benchmark", "run", "group", "differs from group 1 in"], rows, note)]


# ---------------------------------------------------------------------------------------------
# Arena-Write
# ---------------------------------------------------------------------------------------------


def _arena_fit(group: Sequence[RunData]) -> dict[str, Any]:
    """One Elo fit over the comparisons of ``group`` (comparable Arena-Write runs)."""
    from eval.arena_write import elo_summary

    cfg = group[0].scores["elo_settings"]
    comps = [c for r in group for c in r.scores["comparisons"]]
    anchor = cfg.get("anchor") or sorted({b for r in group for b in r.scores["baselines"]})[0]
    return elo_summary(
        comps,
        anchor,
        anchor_rating=cfg.get("anchor_rating", 1000.0),
        prior=cfg.get("prior", 0.0),
        rounds=cfg.get("bootstrap_rounds", 200),
        seed=cfg.get("seed", 0),
    )


def _sort_value(fit: dict, m: str) -> float:
    r = fit["ratings"][m]
    if r is not None:
        return r
    return {"+inf": math.inf, "-inf": -math.inf}.get(fit["direction"].get(m), -math.inf)


def _unbounded(direction: str) -> str:
    if direction == "undetermined":
        return "undetermined (no chain of comparisons to the anchor)"
    return f"unbounded ({direction})"


def _interval(ci: dict) -> str:
    """``[lo, hi]``, with how many resamples had this rating unbounded or missing."""
    text = f"[{fmt(ci.get('lo'))}, {fmt(ci.get('hi'))}]"
    extra = [f"{ci[k]}/{ci['rounds']} {k[2:]}" for k in ("n_unbounded", "n_missing") if ci.get(k)]
    return text + (f" ({', '.join(extra)})" if extra else "")


def _check_names(arena: Sequence[RunData]) -> None:
    names = [r.name for r in arena]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(
            f"Arena-Write runs share the name(s) {', '.join(dup)}: their comparisons would merge into "
            "one rating; re-run one with another --name"
        )


def _arena_tables(arena: Sequence[RunData]) -> list[Table]:
    tables: list[Table] = []
    _check_names(arena)
    for g, group in enumerate(_groups(arena), 1):
        summary = _arena_fit(group)
        suffix = "" if g == 1 else f" – group {g}, not comparable with group 1"
        fit = summary["fit"]
        if fit is None:
            tables.append(Table(f"Arena-Write Elo{suffix}", ["note"], [[summary["note"]]]))
            continue
        wm = summary["win_matrix"]
        candidates = {r.name: r for r in group}
        rows = []
        order = sorted(fit["ratings"], key=lambda m: -_sort_value(fit, m))
        for m in order:
            rating = fit["ratings"][m]
            ci = summary["intervals"].get(m, {})
            tot = {k: sum(c[k] for c in wm.get(m, {}).values()) for k in ("win", "tie", "loss")}
            r = candidates.get(m)
            pairs = r.scores["pairs"] if r else []
            dis = sum(p["orders"] == "disagree" for p in pairs)
            rows.append(
                [
                    r.label if r else m,
                    "model" if r else "baseline" + (" (anchor)" if m == fit["anchor"] else ""),
                    fmt(rating) if rating is not None else _unbounded(fit["direction"][m]),
                    _interval(ci),
                    f"{tot['win']}/{tot['tie']}/{tot['loss']}",
                    f"{dis}/{len(pairs)}" if r else "–",
                    str(r.scores["failures"]["judge"]) if r else "–",
                ]
            )
        ci_rounds = next(iter(summary["intervals"].values()))["rounds"]
        tables.append(
            Table(
                f"Arena-Write Elo{suffix}",
                ["model", "role", "Elo", "95% interval", "W/T/L", "orders disagree", "failed judge"],
                rows,
                f"Bradley-Terry fit over {fit['n_comparisons']} judged comparisons (each pair judged in "
                f"both orders; ties count half), {fit['anchor']} anchored at {fmt(fit['anchor_rating'], 0)}; "
                f"intervals: {ci_rounds} bootstrap resamples of items; – : open, because some "
                "resamples left a model unbounded (it won or lost all its comparisons) or missing. "
                "Failed judgements are listed below, never counted as ties.",
            )
        )
        names = order
        tables.append(
            Table(
                f"Arena-Write win/tie/loss matrix{suffix}",
                ["row vs column", *names],
                [
                    [
                        m,
                        *(
                            "–"
                            if o == m or o not in wm.get(m, {})
                            else "{win}/{tie}/{loss}".format(**wm[m][o])
                            for o in names
                        ),
                    ]
                    for m in names
                ],
                "Each cell: wins/ties/losses of the row model against the column model, one per judged order.",
            )
        )
    return tables


# ---------------------------------------------------------------------------------------------
# WritingBench
# ---------------------------------------------------------------------------------------------


def _wb_tables(wb: Sequence[RunData]) -> list[Table]:
    rows = [
        [
            r.label,
            str(r.scores["overall"]["n"]),
            str(r.scores["overall"]["n_scored"]),
            fmt(r.scores["overall"]["score"], 2),
            fmt(r.scores["overall"]["score_x10"]),
            str(r.scores["failures"]["generation"]),
            str(r.scores["failures"]["judge"]),
        ]
        for r in sorted(wb, key=lambda r: -(r.scores["overall"]["score"] or 0))
    ]
    domains = sorted({d for r in wb for d in r.scores["by_domain"]})

    def cell(g: dict | None) -> str:
        return "–" if not g else f"{fmt(g['score_x10'])} (n={g['n_scored']}/{g['n']})"

    return [
        Table(
            "WritingBench (per-query criteria)",
            ["model", "items", "scored", "score (1-10)", "x10", "failed generation", "failed judge"],
            rows,
            "Item score: mean of its criteria (1-10, judged one criterion per call, plan stripped); "
            "run score: mean over scored items. An item with a failed criterion is listed, not scored.",
        ),
        Table(
            "WritingBench by domain (x10)",
            ["model", *domains],
            [[r.label, *(cell(r.scores["by_domain"].get(d)) for d in domains)] for r in wb],
        ),
    ]


def judged_tables(runs: Sequence[RunData]) -> list[Table]:
    """Arena-Write and WritingBench tables, their failures and their runs' metadata."""
    arena = [r for r in runs if r.benchmark == "arena-write"]
    wb = [r for r in runs if r.benchmark == "writingbench"]
    tables = (_arena_tables(arena) if arena else []) + (_wb_tables(wb) if wb else [])
    if not runs:
        return tables
    fails = [
        [r.name, r.benchmark, stage, x["id"], x["error"]]
        for r in runs
        for stage in ("generation", "judge")
        for x in r.scores["failures"]["items"][stage]
    ]
    tables.append(
        Table(
            f"Failures, Arena-Write and WritingBench ({len(fails)})",
            ["model", "benchmark", "stage", "item", "reason"],
            fails,
            "Every pair order or item that could not be judged, with the reason."
            if fails
            else "No failures.",
        )
    )
    tables.append(
        Table(
            "Runs, Arena-Write and WritingBench",
            ["model", "metadata"],
            [
                [
                    r.name,
                    meta_line(r)
                    + (
                        f"; baselines={', '.join(r.meta.get('baselines') or [])}"
                        if r.benchmark == "arena-write"
                        else ""
                    ),
                ]
                for r in runs
            ],
        )
    )
    return tables


def judged_plots(runs: Sequence[RunData]) -> dict[str, tuple[str, bytes]]:
    """The Arena-Write Elo plot (ratings with intervals), when there are Arena-Write runs."""
    arena = [r for r in runs if r.benchmark == "arena-write"]
    if not arena:
        return {}
    _check_names(arena)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = _arena_fit(_groups(arena)[0])
    fit = summary["fit"]
    if fit is None:
        return {}
    finite = sorted((r, m) for m, r in fit["ratings"].items() if r is not None)
    fig, ax = plt.subplots(figsize=(6.5, 0.5 + 0.45 * max(1, len(finite))))
    for y, (rating, m) in enumerate(finite):
        ci = summary["intervals"].get(m, {})
        lo, hi = ci.get("lo"), ci.get("hi")
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [y, y], "-", color="0.5", lw=2)
        ax.plot([rating], [y], "o", color="C0" if m in {r.name for r in arena} else "C1")
    ax.set_yticks(range(len(finite)))
    ax.set_yticklabels([m for _, m in finite], fontsize=8)
    ax.axvline(fit["anchor_rating"], color="k", ls="--", lw=1)
    ax.set_xlabel(f"Elo ({fit['anchor']} = {fit['anchor_rating']:g}); bars: 95% bootstrap interval")
    ax.set_title("Arena-Write ratings (group 1)")
    return {
        "elo": ("Arena-Write Elo with bootstrap intervals (models blue, baselines orange)", png_bytes(fig))
    }
