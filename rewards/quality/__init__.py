"""The writing-quality reward (:mod:`.reward`, registered as ``quality``) and its backends.

The ``embedding`` backend (MiniLM, the default CPU proxy) lives in :mod:`.reward` on the batch's
shared embedding pass (:mod:`rewards.embedding`, which the format reward uses too); the other
backends have a module each: :mod:`.classifier` (a Hugging Face sequence-classification RM in
process), :mod:`.served` (an RM behind vLLM's pooling API) and :mod:`.judge` (a generative judge
over an OpenAI-compatible endpoint). They load lazily: ``import rewards.quality`` imports no torch
or sentence-transformers.
"""

from rewards.quality.reward import BACKENDS, embedding_parts, plan_sections

__all__ = ["BACKENDS", "embedding_parts", "plan_sections"]
