"""The length reward family: the requirement parser (:mod:`.parse`), target ranges, predicted
ranges and the piecewise score (:mod:`.reward`).

The public names of :mod:`rewards.length.reward` are re-exported here, so
``from rewards.length import TargetRange`` keeps working.
"""

from rewards.length.reward import *  # noqa: F403 (its public names, re-exported)
from rewards.length.reward import __all__  # noqa: F401
