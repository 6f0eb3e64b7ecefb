"""Judge-backed pairwise rewards: ``pairwise`` against the prompt's reference answer
(:mod:`.reference`), ``group_pairwise`` against a peer of the same group (:mod:`.group`), and the
reference curriculum shared by every reward process of a job (:mod:`.curriculum`).

The public names of :mod:`rewards.pairwise.reference` are re-exported here.
"""

from rewards.pairwise.reference import *  # noqa: F403 (its public names, re-exported)
from rewards.pairwise.reference import __all__  # noqa: F401
