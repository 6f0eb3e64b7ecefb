"""Comparative reports over evaluation runs: ``report.html`` (self-contained) and ``report.md``.

Given run directories (LongBench-Write runs and LongWrite-Ruler runs of any models: base, SFT
baseline, RL checkpoints, API models), :func:`build_report` writes

* a leaderboard (S_l, S_q, S̄ overall, per length bucket and per language),
* a log-log scatter of required against produced length per model,
* ruler curves (median produced against required length) and each model's largest met length,
* the mean judge score per dimension,
* failure counts and the failed items with their reasons,
* each run's metadata (model, backend, template, sampling, judge model, judge prompt version/hash),
* which runs of one benchmark are not comparable (other judge, judge prompt, template or data),
* Arena-Write Elo with intervals and the win matrix, WritingBench scores by domain
  (:mod:`eval.report_judged`; a later section, e.g. reward-hacking monitors, plugs in the same way).
* for RL run folders (``metrics/metrics-*.jsonl`` of ``longwrite train``), the training curves
  against the step: reward components, answer/plan length p50/p90, truncation ratio and
  zero-variance group share (:mod:`eval.training`); evaluation and RL run folders mix freely.

The HTML embeds its plots as base64 PNGs (one file to mail around); the Markdown links the same
PNGs, written next to it. What every section uses (the loaded run, a table, number formatting, a
run's metadata line, PNG bytes) is :mod:`eval.report_base`; the arrow is one way: this module ->
:mod:`eval.report_judged` -> :mod:`eval.report_base`.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.report_base import RunData, Table, fmt, meta_line, png_bytes
from eval.ruler import DEFAULT_TOLERANCE, ruler_from_run
from eval.scoring import BUCKETS, DIMENSIONS, OUT_OF_BUCKETS

__all__ = ["RunData", "load_run", "build_report", "JUDGED_BENCHMARKS"]

# Benchmarks whose sections live in eval/report_judged.py (Arena-Write Elo, WritingBench).
JUDGED_BENCHMARKS = ("arena-write", "writingbench")


def load_run(run_dir: str | Path, tolerance: float = DEFAULT_TOLERANCE) -> RunData:
    """Read a run directory; LongBench-Write scores are recomputed from its files (not trusted stale)."""
    from eval.longbench_write import score_run
    from rollout.jsonl import latest_by_key

    path = Path(run_dir)
    if not (path / "run.json").is_file():
        raise FileNotFoundError(
            f"{path} is not a run directory (no run.json; an RL run folder has metrics/metrics-*.jsonl)"
        )
    meta = json.loads((path / "run.json").read_text(encoding="utf-8"))
    preds = list(latest_by_key(path / "predictions.jsonl").values())
    if meta.get("benchmark") in JUDGED_BENCHMARKS:
        from eval.report_judged import load_judged_scores

        return RunData(path, meta, load_judged_scores(path, meta), {"curve": []}, preds)
    scores = (
        score_run(path, write=False)
        if meta.get("benchmark", "longbench-write") == "longbench-write"
        else None
    )
    return RunData(path, meta, scores, ruler_from_run(path, tolerance), preds)


# ---------------------------------------------------------------------------------------------
# numbers and tables
# ---------------------------------------------------------------------------------------------


def _judged(run: RunData, v: Any) -> str:
    """A judge-dependent score; "not judged" for a run evaluated without a judge (never 0 or blank)."""
    if v is None and not run.meta.get("judge"):
        return "not judged"
    return fmt(v)


def _by_group_table(title: str, lbw: Sequence[RunData], key: str, groups: Sequence[str]) -> Table:
    """One row per LongBench-Write run, one column per group of ``scores[key]`` (S̄ (S_l / S_q))."""
    rows = [[r.name, *(_cell(r.scores[key].get(g)) for g in groups)] for r in lbw]
    return Table(title, ["model", *groups], rows, "Each cell: S̄ (S_l / S_q).")


def _cell(group: dict | None) -> str:
    if not group:
        return "–"
    return f"{fmt(group.get('S_bar'))} ({fmt(group.get('S_l'))} / {fmt(group.get('S_q'))})"


def _tables(runs: Sequence[RunData]) -> list[Table]:
    lbw = [r for r in runs if r.scores is not None]
    tables: list[Table] = []
    if lbw:
        tables.append(
            Table(
                "Leaderboard (LongBench-Write)",
                ["model", "items", "S_l", "S_q", "S̄", "failed generation", "failed judge"],
                [
                    [
                        r.label,
                        str(r.scores["overall"]["n"]),
                        fmt(r.scores["overall"]["S_l"]),
                        _judged(r, r.scores["overall"]["S_q"]),
                        _judged(r, r.scores["overall"]["S_bar"]),
                        str(r.scores["failures"]["generation"]),
                        str(r.scores["failures"]["judge"]),
                    ]
                    for r in sorted(
                        lbw, key=lambda r: -(r.scores["overall"]["S_bar"] or r.scores["overall"]["S_l"] or 0)
                    )
                ],
                "S_l: length score, S_q: judge quality score, S̄ = (S_l + S_q) / 2; all 0-100. "
                "Failed items are counted, never scored as 0. ⚠ marks a run not comparable with the "
                "first (see Comparability).",
            )
        )
        buckets = [b[0] for b in BUCKETS] + [OUT_OF_BUCKETS]
        present = [b for b in buckets if any(b in r.scores["by_bucket"] for r in lbw)]
        tables.append(_by_group_table("By required length (words / characters)", lbw, "by_bucket", present))
        langs = sorted({k for r in lbw for k in r.scores["by_language"]})
        tables.append(_by_group_table("By language", lbw, "by_language", langs))
        types = sorted({k for r in lbw for k in r.scores["by_type"]})
        tables.append(
            Table(
                "By type",
                ["type", *(r.name for r in lbw)],
                [[t, *(_cell(r.scores["by_type"].get(t)) for r in lbw)] for t in types],
                "Each cell: S̄ (S_l / S_q); one column per model.",
            )
        )
        tables.append(
            Table(
                "Judge scores per dimension (1-5)",
                ["model", *DIMENSIONS],
                [[r.name, *(fmt(r.scores["dimensions"].get(d), 2) for d in DIMENSIONS)] for r in lbw],
            )
        )
    tables.append(
        Table(
            "LongWrite-Ruler: largest required length met",
            ["model", "run", "tolerance", "largest met length", "points"],
            [
                [
                    r.name,
                    r.benchmark,
                    f"±{r.ruler['tolerance']:.0%}",
                    str(r.ruler["max_met_length"] or "none"),
                    ", ".join(f"{p['required']}→{fmt(p['median'], 0)}" for p in r.ruler["curve"]),
                ]
                for r in runs
            ],
            "Met: the median produced length lies within the tolerance of the required length.",
        )
    )
    fail_rows = []
    for r in runs:
        if r.scores is not None:
            items = r.scores["failures"]["items"]
            fails = [("generation", x) for x in items["generation"]] + [("judge", x) for x in items["judge"]]
        else:
            fails = [
                ("generation", {"id": p["id"], "error": p["error"]}) for p in r.predictions if p.get("error")
            ]
        fail_rows += [[r.name, kind, x["id"], x["error"]] for kind, x in fails]
    tables.append(
        Table(
            f"Failures ({len(fail_rows)})",
            ["model", "stage", "item", "reason"],
            fail_rows,
            "Every item that could not be scored, with the reason." if fail_rows else "No failures.",
        )
    )
    tables.append(Table("Runs", ["model", "metadata"], [[r.name, meta_line(r)] for r in runs]))
    return tables


def _monitor_table(runs: Sequence[RunData]) -> Table:
    """Reward-hacking monitors per model (rewards.monitors over its answers; see eval.scoring)."""
    from eval.scoring import prediction_monitors

    keys = ("distinct_1", "distinct_2", "distinct_3", "compression_ratio", "near_duplicate_share")
    rows = []
    for r in runs:
        quality = {}
        if r.scores is not None:
            quality = {str(i["id"]): i.get("S_q") for i in r.scores.get("items", [])}
        m = prediction_monitors(r.predictions, quality)
        rows.append(
            [
                r.label,
                r.benchmark,
                str(m["answers"]),
                *(fmt(m[k], 3) for k in keys),
                fmt(m["length_quality_corr"], 2),
            ]
        )
    return Table(
        "Reward-hacking monitors",
        [
            "model",
            "run",
            "answers",
            "distinct-1",
            "distinct-2",
            "distinct-3",
            "compression",
            "near-dup share",
            "corr(length, S_q)",
        ],
        rows,
        "Lexical measures of padding (rewards.monitors): distinct-n falls and compression and the "
        "near-duplicate share rise when answers repeat themselves; corr(length, S_q) near 1 means the "
        "judge mostly rewards length. '–' = cannot be computed (e.g. no judge).",
    )


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------


def _plots(runs: Sequence[RunData], tolerance: float) -> dict[str, tuple[str, bytes]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots: dict[str, tuple[str, bytes]] = {}
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]

    # Required vs produced, every answer of every run, log-log.
    fig, ax = plt.subplots(figsize=(6.5, 5))
    lo, hi = 10.0, 100.0
    for k, r in enumerate(runs):
        pts = [
            (p["required"], max(1, p["answer_len"])) for p in r.predictions if p.get("answer_len") is not None
        ]
        if not pts:
            continue
        xs, ys = zip(*pts, strict=True)
        lo, hi = min(lo, *xs, *ys), max(hi, *xs, *ys)
        ax.scatter(xs, ys, s=14, alpha=0.7, color=colors[k % len(colors)], label=f"{r.name} [{r.benchmark}]")
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="produced = required")
    ax.set(xscale="log", yscale="log", xlabel="required length (words / chars)", ylabel="produced length")
    ax.set_title("Required vs produced length")
    ax.legend(fontsize=7)
    plots["scatter"] = ("Required vs produced length (log-log; empty answers drawn at 1)", png_bytes(fig))

    # Ruler curves: median produced per required length, with the tolerance band.
    fig, ax = plt.subplots(figsize=(6.5, 5))
    reqs = sorted({p["required"] for r in runs for p in r.ruler["curve"]}) or [1, 10]
    band_x = [min(reqs), max(reqs)]
    ax.fill_between(
        band_x, [x * (1 - tolerance) for x in band_x], [x * (1 + tolerance) for x in band_x], color="0.9"
    )
    ax.plot(band_x, band_x, "k--", lw=1, label=f"required (±{tolerance:.0%} shaded)")
    for k, r in enumerate(runs):
        pts = [(p["required"], max(1.0, p["median"])) for p in r.ruler["curve"] if p["median"] is not None]
        if pts:
            xs, ys = zip(*pts, strict=True)
            style = "o-" if r.benchmark == "ruler" else "s:"
            ax.plot(xs, ys, style, color=colors[k % len(colors)], label=f"{r.name} [{r.benchmark}]")
    ax.set(xscale="log", yscale="log", xlabel="required length", ylabel="median produced length")
    ax.set_title("LongWrite-Ruler curves")
    ax.legend(fontsize=7)
    plots["ruler"] = ("Median produced length per required length", png_bytes(fig))

    lbw = [r for r in runs if r.scores is not None]
    if lbw:
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / max(1, len(lbw))
        for k, r in enumerate(lbw):
            vals = [r.scores["dimensions"].get(d) or 0 for d in DIMENSIONS]
            ax.bar(
                [i + k * width for i in range(len(DIMENSIONS))],
                vals,
                width,
                label=r.name,
                color=colors[k % len(colors)],
            )
        ax.set_xticks([i + width * (len(lbw) - 1) / 2 for i in range(len(DIMENSIONS))])
        ax.set_xticklabels(DIMENSIONS, rotation=15, fontsize=8)
        ax.set(ylim=(0, 5), ylabel="mean judge score (1-5)")
        ax.set_title("Judge scores per dimension")
        ax.legend(fontsize=7)
        plots["dimensions"] = ("Mean judge score per dimension", png_bytes(fig))
    return plots


# ---------------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 4px;font-size:13px}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.num{text-align:right} .note{color:#666;font-size:12px;margin-bottom:18px}
img{max-width:100%;border:1px solid #ddd;margin:6px 0}
"""


def _count(runs: Sequence[RunData], n_training: int) -> str:
    if not n_training:
        return f"{len(runs)} run(s)."
    return (f"{len(runs)} run(s). " if runs else "") + f"{n_training} RL training run(s)."


def _html(
    runs: Sequence[RunData],
    tables: list[Table],
    plots: dict[str, tuple[str, bytes]],
    n_training: int = 0,
    lead: int = 0,
) -> str:
    """The HTML report: the first ``lead`` tables, then :data:`LEAD_PLOT`, then the rest."""

    def figure(key: str, caption: str, png: bytes) -> str:
        data = base64.b64encode(png).decode("ascii")
        return (
            f"<figure><img id='plot-{key}' alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption class='note'>{html.escape(caption)}</figcaption></figure>"
        )

    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>longwrite evaluation report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Evaluation report</h1><p class='note'>{_count(runs, n_training)}</p>",
    ]
    for k, t in enumerate(tables):
        if k == lead and LEAD_PLOT in plots:
            out.append(figure(LEAD_PLOT, *plots[LEAD_PLOT]))
        out.append(f"<h2>{html.escape(t.title)}</h2><table><thead><tr>")
        out += [f"<th>{html.escape(h)}</th>" for h in t.header]
        out.append("</tr></thead><tbody>")
        for row in t.rows:
            out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
        out.append("</tbody></table>")
        if t.note:
            out.append(f"<p class='note'>{html.escape(t.note)}</p>")
    if lead >= len(tables) and LEAD_PLOT in plots:
        out.append(figure(LEAD_PLOT, *plots[LEAD_PLOT]))
    out.append("<h2>Plots</h2>")
    out += [figure(key, caption, png) for key, (caption, png) in plots.items() if key != LEAD_PLOT]
    out.append("</body></html>")
    return "\n".join(out)


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _markdown(
    runs: Sequence[RunData],
    tables: list[Table],
    plots: dict[str, tuple[str, bytes]],
    n_training: int = 0,
    lead: int = 0,
) -> str:
    """The Markdown report, in the HTML's order (see :func:`_html`)."""
    out = ["# Evaluation report", "", _count(runs, n_training), ""]
    lead_plot = [f"![{plots[LEAD_PLOT][0]}]({LEAD_PLOT}.png)", ""] if LEAD_PLOT in plots else []
    for k, t in enumerate(tables):
        if k == lead:
            out += lead_plot
        out += [f"## {t.title}", "", "| " + " | ".join(map(_md_escape, t.header)) + " |"]
        out.append("|" + "---|" * len(t.header))
        out += ["| " + " | ".join(map(_md_escape, row)) + " |" for row in t.rows]
        out += ["", t.note, ""] if t.note else [""]
    if lead >= len(tables):
        out += lead_plot
    out += ["## Plots", ""]
    out += [f"![{caption}]({key}.png)\n" for key, (caption, _) in plots.items() if key != LEAD_PLOT]
    return "\n".join(out)


def rm_eval_table(result: dict[str, Any], title: str = "Reward model: pairwise accuracy") -> Table:
    """The report section of one ``longwrite rm eval`` result (its json): one row per scorer
    (the RM, the embedding baseline), accuracy overall / by length direction / by length ratio."""
    from rewards.rm.evaluate import RATIO_BUCKETS

    def cell(e: dict) -> str:
        return f"{e['accuracy']:.3f} ({e['n']})" if e["accuracy"] is not None else f"- ({e['n']})"

    header = ["scorer", "overall", "chosen longer", "chosen shorter", "same length"]
    header += [f"ratio {label}" for label, _, _ in RATIO_BUCKETS]
    rows = []
    for name, s in result["scorers"].items():
        row = [name] + [cell(s[k]) for k in ("overall", "chosen_longer", "chosen_shorter", "same_length")]
        rows.append(row + [cell(s["ratio"][label]) for label, _, _ in RATIO_BUCKETS])
    note = (
        f"{result['pairs']} held-out pairs from {result['data']}; cells: accuracy (pairs); ratio = chosen "
        "length / rejected length (words or CJK characters). A length-loving scorer wins on 'chosen "
        "longer' and loses on 'chosen shorter'."
    )
    return Table(title, header, rows, note)


def build_report(
    run_dirs: Sequence[str | Path],
    out_dir: str | Path,
    tolerance: float = DEFAULT_TOLERANCE,
    rm_evals: Sequence[str | Path] = (),
    annotations: str | Path | None = None,
    annotation_judges: Sequence[str | Path] = (),
) -> dict[str, Path]:
    """Write ``report.html``, ``report.md`` and the plot PNGs for ``run_dirs`` into ``out_dir``;
    ``rm_evals`` (``longwrite rm eval --out`` json files) add a reward-model section each;
    ``annotations`` (a ``longwrite annotate`` database) adds the human evaluation (human Elo
    beside each ``annotation_judges`` folder's LLM-judge Elo, agreement; :mod:`eval.annotate.results`).

    ``run_dirs`` may mix evaluation run directories and RL run folders (training curves).
    Returns the written paths by name ('html', 'md', and one per plot).
    """
    from eval.training import is_training_run, load_training_run

    if not run_dirs:
        raise ValueError("no run directories given")
    from eval.report_judged import comparability_tables, judged_plots, judged_tables

    runs = [load_run(d, tolerance) for d in run_dirs if not is_training_run(d)]
    trainings = [load_training_run(d) for d in run_dirs if is_training_run(d)]
    classic = [r for r in runs if r.benchmark not in JUDGED_BENCHMARKS]
    judged = [r for r in runs if r.benchmark in JUDGED_BENCHMARKS]
    tables = comparability_tables(runs) if runs else []  # first: it also marks runs not comparable
    tables += _tables(classic) if classic else []
    tables += [_monitor_table(classic)] if classic else []
    tables += judged_tables(judged)
    plots = _plots(classic, tolerance) if classic else {}
    plots.update(judged_plots(judged))
    tables += [rm_eval_table(json.loads(Path(p).read_text())) for p in rm_evals]
    if annotations is not None:
        from eval.annotate.results import results as human_results
        from eval.annotate.results import tables as human_tables
        from eval.annotate.store import open_db

        tables += human_tables(human_results(open_db(annotations, create=False), annotation_judges))
    elif annotation_judges:
        raise ValueError("an annotation judge folder needs the annotation database (--annotations DB)")
    _add_training(trainings, tables, plots)
    # The opening is what a reader came for: the leaderboards, then one chart of the models side by
    # side; the comparability and metadata tables follow (computed first, as they mark the runs).
    tables = [t for t in tables if _leads(t)] + [t for t in tables if not _leads(t)]
    lead = sum(map(_leads, tables))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for key, (_, png) in plots.items():
        paths[key] = out / f"{key}.png"
        paths[key].write_bytes(png)
    paths["html"] = out / "report.html"
    paths["html"].write_text(_html(runs, tables, plots, len(trainings), lead), encoding="utf-8")
    paths["md"] = out / "report.md"
    paths["md"].write_text(_markdown(runs, tables, plots, len(trainings), lead), encoding="utf-8")
    return paths


def _leads(table: Table) -> bool:
    """Whether a table opens the report: a leaderboard (LongBench-Write, Arena-Write Elo, WritingBench)."""
    return table.title.startswith(LEAD_TABLES)


#: Titles of the tables that open the report, in the order the sections produce them.
LEAD_TABLES = ("Leaderboard", "Arena-Write Elo", "WritingBench (per-query", "Human evaluation: Elo")


#: The chart shown right after the leaderboards: every model's required vs produced length.
LEAD_PLOT = "scatter"


def _add_training(trainings: Sequence[Any], tables: list[Table], plots: dict[str, tuple[str, bytes]]) -> None:
    """Append each RL run's curve table and 2x2 curve plot (see :mod:`eval.training`)."""
    from eval.training import curve_columns, curve_rows, notes, plot_training_run

    for k, run in enumerate(trainings, 1):
        header = ["step", *(label for _, label in curve_columns(run))]
        tables.append(Table(f"Training curves: {run.name}", header, curve_rows(run), notes(run)))
        plots[f"training-{k}"] = (
            f"Training curves of {run.name}: reward components, answer/plan length p50/p90, truncated "
            "share, zero-variance groups, against the step",
            plot_training_run(run),
        )


def leaderboard_rows(runs: Sequence[RunData]) -> list[list[str]]:
    """The leaderboard table's rows (for the CLI's closing summary)."""
    classic = [r for r in runs if r.benchmark not in JUDGED_BENCHMARKS]
    if not classic:
        return []
    return next((t.rows for t in _tables(classic) if t.title.startswith("Leaderboard")), [])
