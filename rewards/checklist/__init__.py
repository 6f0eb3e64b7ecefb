"""The checklist reward family: per-request criteria scored by a judge (:mod:`.reward`, registered as
``checklist``), the criteria type, prompt and parser it shares with WritingBench (:mod:`.criteria`),
and the generation of each request's criteria for ``longwrite prepare-rl --checklists``
(:mod:`.generate`). Nothing heavy is imported here.
"""
