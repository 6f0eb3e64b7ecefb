"""Elo ratings from pairwise comparisons: a Bradley-Terry fit, bootstrap intervals, a win matrix.

A comparison says how model ``a`` fared against model ``b`` on one item: ``score`` 1 (a won),
0.5 (tie) or 0 (a lost), with a ``weight`` (1 normally; a larger weight lets strong verdicts such
as "much better" count more). The Bradley-Terry model puts P(a beats b) = 1 / (1 + 10^((R_b -
R_a) / 400)); :func:`fit_bradley_terry` finds the ratings R that maximise the weighted likelihood
of all comparisons (a tie counts as half a win and half a loss), with one model, the anchor,
held at a stated rating (e.g. baseline = 1000). The fit only depends on the per-pair sums, so the
order comparisons arrive in cannot change it.

The maximum-likelihood ratings are finite only when every model both gained and lost something
against the others (the "beat or tied" graph is strongly connected); otherwise the fit says which
models are unbounded instead of returning a huge number. ``prior`` adds that many virtual ties of
every model with the anchor (a stated regularisation that keeps every rating finite).

:func:`bootstrap` resamples *items* (all comparisons of one item travel together), seeded, and
returns percentile intervals.

:func:`fit_joint` rates every model against every reference (baseline) at once: the references'
own ratings come from their games with each other plus a shift-invariant prior (virtual ties
between every two references), and the scale is placed by the references' mean (or one named
anchor), so choosing another anchor only shifts every rating by the same amount.
:func:`fit_style_controlled` is the same regression with answer style (length, markdown headers,
lists, bold; :mod:`eval.style`) as covariates, after LMSYS's style control for Chatbot Arena;
:func:`bootstrap_ratings` gives either fit item-bootstrap intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Comparison",
    "EloFit",
    "fit_bradley_terry",
    "bootstrap",
    "win_matrix",
    "ELO_SCALE",
    "MEAN_GAUGE",
    "STYLE_FEATURES",
    "fit_joint",
    "fit_style_controlled",
    "bootstrap_ratings",
    "UnratedError",
]

ELO_SCALE = 400.0  # rating points per factor of 10 in the odds
_NAT = ELO_SCALE / math.log(10.0)  # rating points per natural-log unit of odds


@dataclass(frozen=True)
class Comparison:
    """One judged comparison: ``a`` scored ``score`` (1 win, 0.5 tie, 0 loss) against ``b``."""

    item: str
    a: str
    b: str
    score: float
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"a comparison needs two different models, got {self.a!r} twice")
        if self.score not in (0.0, 0.5, 1.0):
            raise ValueError(f"score must be 0, 0.5 or 1, got {self.score!r}")
        if not self.weight > 0:
            raise ValueError(f"weight must be > 0, got {self.weight!r}")


@dataclass
class EloFit:
    """Ratings (Elo points; the anchor at ``anchor_rating``) and how they were obtained.

    ``ratings[m]`` is None for a model in ``unbounded`` (its maximum-likelihood rating is
    +/- infinity: it won, or lost, everything against a part of the field); ``direction[m]`` then
    says "+inf", "-inf", or "undetermined" when no chain of comparisons ties it to the anchor.
    """

    ratings: dict[str, float | None]
    anchor: str
    anchor_rating: float
    n_comparisons: int
    prior: float
    iterations: int
    unbounded: list[str] = field(default_factory=list)
    direction: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary."""
        return {
            "ratings": self.ratings,
            "anchor": self.anchor,
            "anchor_rating": self.anchor_rating,
            "n_comparisons": self.n_comparisons,
            "prior_ties_with_anchor": self.prior,
            "iterations": self.iterations,
            "unbounded": self.unbounded,
            "direction": self.direction,
        }


def _pair_sums(comparisons: Iterable[Comparison]) -> dict[tuple[str, str], list[float]]:
    """(a, b) with a < b -> [total weight, weighted score of a]."""
    sums: dict[tuple[str, str], list[float]] = {}
    for c in comparisons:
        key, s = ((c.a, c.b), c.score) if c.a < c.b else ((c.b, c.a), 1.0 - c.score)
        acc = sums.setdefault(key, [0.0, 0.0])
        acc[0] += c.weight
        acc[1] += c.weight * s
    return sums


def _reach(models: Sequence[str], edges: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def fit_bradley_terry(
    comparisons: Sequence[Comparison],
    anchor: str,
    *,
    anchor_rating: float = 1000.0,
    prior: float = 0.0,
    models: Sequence[str] | None = None,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> EloFit:
    """Maximum-likelihood Bradley-Terry ratings in Elo points, ``anchor`` fixed at ``anchor_rating``.

    Newton's method on the log-odds strengths (the log-likelihood is concave). ``prior`` > 0 adds
    ``prior`` virtual ties of every other model with the anchor. Models that appear in no
    comparison (from ``models``) are an error, as is an anchor that appears in none. Models whose
    maximum-likelihood rating is infinite are reported in ``unbounded`` (rating None).
    """
    import numpy as np

    comps = list(comparisons)
    names = sorted({c.a for c in comps} | {c.b for c in comps} | set(models or ()))
    if anchor not in names:
        raise ValueError(f"anchor {anchor!r} is not among the compared models ({', '.join(names) or 'none'})")
    seen = {c.a for c in comps} | {c.b for c in comps}
    absent = [m for m in names if m not in seen]
    if absent:
        raise ValueError(f"no comparisons for model(s) {', '.join(absent)}")
    if prior < 0:
        raise ValueError(f"prior must be >= 0, got {prior}")
    virtual = [Comparison("<prior>", m, anchor, 0.5, prior) for m in names if m != anchor] if prior else []
    sums = _pair_sums(comps + virtual)

    # Which models have a finite rating: the anchor's strongly connected component of the graph
    # with an edge i -> j when i gained something against j (a win or a tie).
    gained: dict[str, set[str]] = {}
    for (i, j), (w, s) in sums.items():
        if s > 0:
            gained.setdefault(i, set()).add(j)
        if w - s > 0:
            gained.setdefault(j, set()).add(i)
    lost_to = {m: {i for i, js in gained.items() if m in js} for m in names}
    down = _reach(names, gained, anchor)  # models the anchor (transitively) gained against
    up = _reach(names, lost_to, anchor)  # models that (transitively) gained against the anchor
    finite = [m for m in names if m in down and m in up]
    unbounded = [m for m in names if m not in finite]
    # +inf: gained against the anchor's side without ever losing to it; -inf: the reverse;
    # "undetermined": tied to the anchor by no chain either way (e.g. it only beat models that
    # lost everything), so the data say nothing about its rating relative to the anchor.
    direction = {m: ("+inf" if m in up else "-inf" if m in down else "undetermined") for m in unbounded}

    free = [m for m in finite if m != anchor]
    index = {m: k for k, m in enumerate(free)}
    theta = np.zeros(len(free))
    pairs = [(i, j, w, s) for (i, j), (w, s) in sums.items() if i in finite and j in finite]
    iterations = 0
    while free and iterations < max_iter:
        iterations += 1
        grad = np.zeros(len(free))
        hess = np.zeros((len(free), len(free)))
        for i, j, w, s in pairs:
            ti = theta[index[i]] if i in index else 0.0
            tj = theta[index[j]] if j in index else 0.0
            p = 1.0 / (1.0 + math.exp(tj - ti))
            g, h = s - w * p, w * p * (1.0 - p)
            if i in index:
                grad[index[i]] += g
                hess[index[i], index[i]] -= h
            if j in index:
                grad[index[j]] -= g
                hess[index[j], index[j]] -= h
            if i in index and j in index:
                hess[index[i], index[j]] += h
                hess[index[j], index[i]] += h
        step = np.linalg.solve(hess, -grad)
        theta = theta + step
        if float(np.max(np.abs(step))) < tol:
            break
    ratings: dict[str, float | None] = {m: None for m in names}
    ratings[anchor] = float(anchor_rating)
    for m in free:
        ratings[m] = float(anchor_rating + _NAT * theta[index[m]])
    return EloFit(
        ratings=ratings,
        anchor=anchor,
        anchor_rating=float(anchor_rating),
        n_comparisons=len(comps),
        prior=prior,
        iterations=iterations,
        unbounded=unbounded,
        direction=direction,
    )


def bootstrap(
    comparisons: Sequence[Comparison],
    anchor: str,
    *,
    rounds: int = 200,
    seed: int = 0,
    level: float = 0.95,
    anchor_rating: float = 1000.0,
    prior: float = 0.0,
) -> dict[str, dict[str, Any]]:
    """Percentile intervals of each model's rating over ``rounds`` item resamples (seeded).

    Items are drawn with replacement; every comparison of a drawn item is kept (so the two orders
    of a pair stay together). A resample in which a model's rating is unbounded counts as +/-inf
    for it (so its interval may be open: ``lo`` / ``hi`` None; an undetermined rating opens both
    ends) and is counted in ``n_unbounded``.
    A resample that leaves out the anchor or a model entirely is counted in ``n_missing`` for
    that model. Returns model -> {lo, hi, n_unbounded, n_missing, rounds, level}.
    """
    import numpy as np

    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    by_item: dict[str, list[Comparison]] = {}
    for c in comparisons:
        by_item.setdefault(c.item, []).append(c)
    items = sorted(by_item)
    names = sorted({c.a for c in comparisons} | {c.b for c in comparisons})
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {m: [] for m in names}
    n_unb = dict.fromkeys(names, 0)
    n_missing = dict.fromkeys(names, 0)
    for _ in range(rounds):
        picked = [c for k in rng.integers(0, len(items), size=len(items)) for c in by_item[items[k]]]
        present = {c.a for c in picked} | {c.b for c in picked}
        if anchor not in present:
            for m in names:
                n_missing[m] += 1
            continue
        fit = fit_bradley_terry(picked, anchor, anchor_rating=anchor_rating, prior=prior)
        for m in names:
            if m not in present:
                n_missing[m] += 1
            elif fit.ratings.get(m) is None:
                n_unb[m] += 1
                d = fit.direction[m]
                draws[m].append(math.inf if d == "+inf" else -math.inf if d == "-inf" else math.nan)
            else:
                draws[m].append(fit.ratings[m])
    alpha = (1.0 - level) / 2.0
    out: dict[str, dict[str, Any]] = {}
    for m in names:
        vals = np.array(draws[m], dtype=float)
        lo = hi = None
        if len(vals):
            lo_v = float(np.quantile(vals, alpha, method="lower"))
            hi_v = float(np.quantile(vals, 1.0 - alpha, method="higher"))
            lo = lo_v if math.isfinite(lo_v) else None
            hi = hi_v if math.isfinite(hi_v) else None
        out[m] = {
            "lo": lo,
            "hi": hi,
            "n_unbounded": n_unb[m],
            "n_missing": n_missing[m],
            "rounds": rounds,
            "level": level,
        }
    return out


def win_matrix(comparisons: Iterable[Comparison]) -> dict[str, dict[str, dict[str, int]]]:
    """Raw counts: ``m[a][b]`` = {"win", "tie", "loss"} of ``a`` against ``b`` over every comparison
    (each judged order counts once; weights are ignored here)."""
    m: dict[str, dict[str, dict[str, int]]] = {}
    for c in comparisons:
        for x, y, s in ((c.a, c.b, c.score), (c.b, c.a, 1.0 - c.score)):
            cell = m.setdefault(x, {}).setdefault(y, {"win": 0, "tie": 0, "loss": 0})
            cell["win" if s == 1.0 else "tie" if s == 0.5 else "loss"] += 1
    return m


# ---------------------------------------------------------------------------------------------
# Joint fits: every model against every reference (baseline) at once, gauge-free
# ---------------------------------------------------------------------------------------------

MEAN_GAUGE = "mean of the baselines"


class UnratedError(ValueError):
    """The comparisons cannot put the scale's gauge anywhere (e.g. a bootstrap resample in which
    a baseline has no comparison and there is no prior, or the anchor is unbounded)."""


def _reference_ties(references: Sequence[str], weight: float) -> list[Comparison]:
    """``weight`` virtual ties between every pair of references (a shift-invariant prior)."""
    refs = sorted(set(references))
    return (
        [Comparison("<prior>", a, b, 0.5, weight) for i, a in enumerate(refs) for b in refs[i + 1 :]]
        if weight
        else []
    )


def _gauge_shift(
    ratings: Mapping[str, float | None], references: Sequence[str], anchor: str | None, at: float
) -> float:
    """How much to add to every rating so the anchor (or the references' mean) sits at ``at``."""
    if anchor is not None:
        value = ratings.get(anchor)
        if value is None:
            raise UnratedError(f"the anchor {anchor!r} has no finite rating")
        return at - value
    vals = [ratings[r] for r in references]
    if any(v is None for v in vals):
        raise UnratedError("a baseline's rating is unbounded: the mean gauge needs a reference prior > 0")
    return at - sum(vals) / len(vals)  # type: ignore[arg-type]


def fit_joint(
    comparisons: Sequence[Comparison],
    references: Sequence[str],
    *,
    anchor: str | None = None,
    anchor_rating: float = 1000.0,
    reference_prior: float = 1.0,
) -> EloFit:
    """Bradley-Terry ratings of every model and reference (baseline) from all ``comparisons`` at
    once, on a scale that does not depend on which baseline is the anchor beyond a shift.

    The references' own ratings come from their games with each other when ``comparisons`` hold
    any, plus ``reference_prior`` virtual ties between every pair of references (the documented
    prior: the baselines are taken as equally strong until games say otherwise; it also keeps
    every baseline finite). The likelihood and the prior only see rating differences, so the
    gauge is free: the references' mean sits at ``anchor_rating`` (default, ``anchor`` None), or
    the ``anchor`` reference does. Models that won or lost everything are ``unbounded`` (None).
    """
    refs = sorted(set(references))
    if not refs:
        raise ValueError("a joint fit needs at least one reference (baseline)")
    if anchor is not None and anchor not in refs:
        raise ValueError(f"anchor {anchor!r} is not a baseline ({', '.join(refs)})")
    if reference_prior < 0:
        raise ValueError(f"reference_prior must be >= 0, got {reference_prior}")
    comps = list(comparisons)
    names = sorted({c.a for c in comps} | {c.b for c in comps} | set(refs))
    seen = {c.a for c in comps} | {c.b for c in comps}
    if (not reference_prior or len(refs) == 1) and not set(refs) <= seen:
        raise UnratedError(f"baseline(s) {', '.join(r for r in refs if r not in seen)} have no comparison")
    fit = fit_bradley_terry(comps + _reference_ties(refs, reference_prior), refs[0], models=names)
    shift = _gauge_shift(fit.ratings, refs, anchor, anchor_rating)
    fit.ratings = {m: None if r is None else r + shift for m, r in fit.ratings.items()}
    fit.anchor = anchor if anchor is not None else MEAN_GAUGE
    fit.anchor_rating = float(anchor_rating)
    fit.n_comparisons = len(comps)
    fit.prior = reference_prior
    return fit


STYLE_FEATURES = ("length", "headers", "lists", "bold")


def fit_style_controlled(
    comparisons: Sequence[Comparison],
    references: Sequence[str],
    features: Mapping[tuple[str, str], Mapping[str, float]],
    *,
    anchor: str | None = None,
    anchor_rating: float = 1000.0,
    reference_prior: float = 1.0,
    tol: float = 1e-9,
    max_iter: int = 100,
) -> dict[str, Any]:
    """Ratings with answer style held fixed, after LMSYS's style control for Chatbot Arena: the
    Bradley-Terry logistic regression of :func:`fit_joint` with one more term per style feature.

    ``features[(item, model)]`` gives each answer's :data:`STYLE_FEATURES` (length in words / CJK
    characters, markdown headers, list items, bold spans). A comparison's covariate for a feature
    is the normalised difference ``(f_a - f_b) / (f_a + f_b)`` (0 when both are 0), standardised
    over the comparisons (mean 0, SD 1); a feature with no spread is dropped and listed in
    ``dropped``. Returns ``{"ratings", "anchor", "anchor_rating", "coefficients" (Elo points per
    SD of each feature), "dropped", "n_comparisons", "converged", "note"}``; when Newton's method
    does not converge (a model or a feature separates wins from losses) the ratings are None and
    ``note`` says so.
    """
    import numpy as np

    refs = sorted(set(references))
    comps = list(comparisons)
    names = sorted({c.a for c in comps} | {c.b for c in comps} | set(refs))
    free = [m for m in names if m != refs[0]]
    col = {m: k for k, m in enumerate(free)}
    raw = np.zeros((len(comps), len(STYLE_FEATURES)))
    for i, c in enumerate(comps):
        fa, fb = features[(c.item, c.a)], features[(c.item, c.b)]
        for j, f in enumerate(STYLE_FEATURES):
            total = float(fa[f]) + float(fb[f])
            raw[i, j] = 0.0 if total == 0 else (float(fa[f]) - float(fb[f])) / total
    sd = raw.std(axis=0) if len(comps) else np.zeros(len(STYLE_FEATURES))
    kept = [j for j in range(len(STYLE_FEATURES)) if sd[j] > 1e-12]
    dropped = [STYLE_FEATURES[j] for j in range(len(STYLE_FEATURES)) if j not in kept]
    x = (raw[:, kept] - raw[:, kept].mean(axis=0)) / sd[kept] if kept else np.zeros((len(comps), 0))
    rows = comps + _reference_ties(refs, reference_prior)
    design = np.zeros((len(rows), len(free) + len(kept)))
    w = np.array([c.weight for c in rows])
    s = np.array([c.weight * c.score for c in rows])
    for i, c in enumerate(rows):
        if c.a in col:
            design[i, col[c.a]] += 1.0
        if c.b in col:
            design[i, col[c.b]] -= 1.0
        if i < len(comps):
            design[i, len(free) :] = x[i]
    params = np.zeros(design.shape[1])
    converged = False
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(design @ params)))
        grad = design.T @ (s - w * p)
        hess = -(design.T * (w * p * (1.0 - p))) @ design
        try:
            step = np.linalg.solve(hess, -grad)
        except np.linalg.LinAlgError:
            break
        params = params + step
        if float(np.max(np.abs(params), initial=0.0)) > 30.0:  # odds beyond e^30: separation
            break
        if float(np.max(np.abs(step), initial=0.0)) < tol:
            converged = True
            break
    out: dict[str, Any] = {
        "anchor": anchor if anchor is not None else MEAN_GAUGE,
        "anchor_rating": float(anchor_rating),
        "dropped": dropped,
        "n_comparisons": len(comps),
        "converged": converged,
        "features": list(STYLE_FEATURES),
    }
    if not converged:
        note = "the style-controlled fit did not converge (a model or a style feature separates wins from losses)"
        return {**out, "ratings": dict.fromkeys(names), "coefficients": {}, "note": note}
    theta = {refs[0]: 0.0, **{m: _NAT * float(params[col[m]]) for m in free}}
    shift = _gauge_shift(theta, refs, anchor, anchor_rating)
    coef = {STYLE_FEATURES[j]: _NAT * float(params[len(free) + k]) for k, j in enumerate(kept)}
    return {**out, "ratings": {m: theta[m] + shift for m in names}, "coefficients": coef, "note": None}


def bootstrap_ratings(
    comparisons: Sequence[Comparison],
    fit: Callable[[list[Comparison]], Mapping[str, float | None]],
    *,
    rounds: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """Percentile intervals of the ratings ``fit(resample)`` returns over ``rounds`` item
    resamples (seeded; all comparisons of a drawn item travel together). A resample in which a
    model's rating is None (unbounded, or a fit that did not converge) is counted in
    ``n_unbounded`` for it and opens its interval on both ends; a resample ``fit`` cannot rate
    (:class:`UnratedError`) is counted in every model's ``n_missing``. Returns model -> {lo, hi,
    n_unbounded, n_missing, rounds, level}.
    """
    import numpy as np

    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    by_item: dict[str, list[Comparison]] = {}
    for c in comparisons:
        by_item.setdefault(c.item, []).append(c)
    items = sorted(by_item)
    rng = np.random.default_rng(seed)
    names = sorted({c.a for c in comparisons} | {c.b for c in comparisons})
    draws: dict[str, list[float]] = {m: [] for m in names}
    for _ in range(rounds):
        picked = [c for k in rng.integers(0, len(items), size=len(items)) for c in by_item[items[k]]]
        try:
            ratings = fit(picked)
        except UnratedError:  # this resample cannot place the scale: counted in n_missing
            continue
        for m, r in ratings.items():
            draws.setdefault(m, []).append(math.nan if r is None else float(r))
    alpha = (1.0 - level) / 2.0
    out: dict[str, dict[str, Any]] = {}
    for m, vals in draws.items():
        arr = np.array(vals, dtype=float)
        finite = len(arr) > 0 and not np.isnan(arr).any()
        out[m] = {
            "lo": float(np.quantile(arr, alpha, method="lower")) if finite else None,
            "hi": float(np.quantile(arr, 1.0 - alpha, method="higher")) if finite else None,
            "n_unbounded": int(np.isnan(arr).sum()),
            "n_missing": rounds - len(arr),  # resamples that could not rate it (or lacked it)
            "rounds": rounds,
            "level": level,
        }
    return out
