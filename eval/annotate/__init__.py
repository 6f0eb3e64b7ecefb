"""Human evaluation: a blind side-by-side reading app for long answers (``longwrite annotate``).

Modules, one job each: :mod:`eval.annotate.runs` reads the evaluation runs to compare,
:mod:`eval.annotate.store` keeps items, answers, assignments, judgements and tokens in SQLite (WAL),
:mod:`eval.annotate.assign` picks each annotator's next pair, :mod:`eval.annotate.app` is the
aiohttp web app, :mod:`eval.annotate.judge` runs the LLM pairwise judge on the same pairs,
:mod:`eval.annotate.results` turns judgements into Elo, agreement and preference pairs, and
:mod:`eval.annotate.cli` is ``longwrite annotate``.
"""
