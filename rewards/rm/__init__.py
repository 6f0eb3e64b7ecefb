"""The learned writing RM (Bradley-Terry): preference data (:mod:`.data`), synthetic pairs
(:mod:`.synthetic`), training on transformers' Trainer (:mod:`.train`), pairwise evaluation
(:mod:`.evaluate`), the Ray-job command line (:mod:`.jobs`) and ``longwrite rm`` (:mod:`.cli`).

Nothing heavy is imported here; the RM is scored in training by the ``quality`` reward's
``classifier`` and ``served`` backends (:mod:`rewards.quality`).
"""
