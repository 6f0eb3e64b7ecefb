"""The writing-quality reward: one interface, three backends (``backend`` option).

* ``embedding`` (default, CPU): MiniLM measures of the answer - relevance to the request,
  coherence between neighbouring paragraphs, coverage of the plan's sections, variety across
  paragraphs - averaged into [0, 1]. **This is a cheap proxy for smoke runs and ablations, not a
  learned judge of writing quality**: it rewards on-topic, connected, non-repetitive text that
  follows its plan, and it cannot tell good prose from fluent mediocre prose.
* ``classifier``: any Hugging Face sequence-classification reward model (a Bradley-Terry RM), see
  :mod:`rewards.quality.classifier`.
* ``judge``: a generative judge over an OpenAI-compatible endpoint, see
  :mod:`rewards.quality.judge`. A judge that fails yields missing (None), never 0.
* ``served``: a reward model served by vLLM's pooling API (``longwrite serve --reward-model``),
  see :mod:`rewards.quality.served`; a failed request yields missing (None), never 0.
"""

from __future__ import annotations

import re

from rewards.base import Batch, ComponentScore, register_reward
from rewards.segment import paragraphs

__all__ = ["embedding_parts", "plan_sections", "BACKENDS"]

BACKENDS = ("embedding", "classifier", "judge", "served")
_PROMPT_CHARS = 2000
_MAX_SECTIONS = 32
_PARTS = ("relevance", "coherence", "coverage", "variety")

_QUALITY_DEFAULTS = {
    "backend": "embedding",
    # classifier backend
    "model": None,
    "max_length": None,
    "squash": "sigmoid",
    "center": 0.0,
    "scale": 1.0,
    "device": None,
    "batch_size": 8,
    # judge backend (also uses "model")
    "base_url": None,
    "api_key_env": "OPENAI_API_KEY",
    "concurrency": 8,
    "timeout": 120.0,
    "max_retries": 3,
    "cache_path": None,
    "backoff_base": 1.0,
    "parse_retries": 1,
    "max_answer_chars": 80000,  # judge.DEFAULT_MAX_ANSWER_CHARS: a 10,000-word answer whole
    # served backend (also uses "model", "base_url", "max_length", "squash", "center", "scale",
    # "batch_size", "concurrency", "timeout", "max_retries", "backoff_base")
    "tokenizer": None,
}

_BULLET = re.compile(r"^\s*(?:[-*+•·]|\d+[.)、]|[一二三四五六七八九十]+[、.]|#+)\s*")


def plan_sections(plan: str, max_sections: int = _MAX_SECTIONS) -> list[str]:
    """The plan's sections: its non-empty lines with bullets/numbering stripped (>= 3 units each)."""
    from rollout.text import count_words

    out = []
    for line in plan.split("\n"):
        line = _BULLET.sub("", line).strip()
        if line and count_words(line) >= 3:
            out.append(line)
    return out[:max_sections]


def _ramp(x: float, lo: float, hi: float) -> float:
    """0 at or below ``lo``, 1 at or above ``hi``, linear between."""
    return float(min(1.0, max(0.0, (x - lo) / (hi - lo))))


def embedding_parts(prompt_vec, para_vecs, section_vecs) -> dict[str, float | None]:
    """The embedding backend's parts, each in [0, 1] or None when it does not apply.

    Inputs are unit-norm MiniLM vectors: the request, the answer's paragraphs (in order), the
    plan's sections. The cosine thresholds below are MiniLM-specific calibration (unrelated text
    scores ~0.0-0.1, on-topic text ~0.4-0.7):

    * relevance: cosine of the request with the mean paragraph vector, 0 at 0.1, 1 at 0.5;
    * coherence: mean cosine of neighbouring paragraphs, 0 at 0.1, 1 at 0.4 (needs 2 paragraphs);
    * coverage: mean over plan sections of their best cosine with a paragraph, 0 at 0.2, 1 at 0.5
      (needs a plan);
    * variety: 1 - (mean over paragraphs of the best cosine with another paragraph), 0 at a mean
      best cosine of 1, 1 at 0.6 or below (needs 2 paragraphs).
    """
    import numpy as np

    parts: dict[str, float | None] = {"relevance": None, "coherence": None, "coverage": None, "variety": None}
    if len(para_vecs) == 0:
        return parts
    centroid = para_vecs.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm > 0:
        parts["relevance"] = _ramp(float(prompt_vec @ centroid) / norm, 0.1, 0.5)
    if len(para_vecs) > 1:
        neighbours = np.einsum("ij,ij->i", para_vecs[:-1], para_vecs[1:])
        parts["coherence"] = _ramp(float(neighbours.mean()), 0.1, 0.4)
        sims = para_vecs @ para_vecs.T
        np.fill_diagonal(sims, -1.0)
        parts["variety"] = _ramp(1.0 - float(sims.max(axis=1).mean()), 0.0, 0.4)
    if len(section_vecs):
        best = (section_vecs @ para_vecs.T).max(axis=1)
        parts["coverage"] = float(np.mean([_ramp(float(b), 0.2, 0.5) for b in best]))
    return parts


def _prompt_text(batch: Batch, i: int) -> str:
    return batch.samples[i].prompt[:_PROMPT_CHARS].strip() or "."


def _paras(batch: Batch, i: int) -> list[str]:
    key = ("paragraphs", i)
    if key not in batch.cache:
        batch.cache[key] = paragraphs(batch.parsed[i].answer)
    return batch.cache[key]


def _quality_texts(batch: Batch, options: dict):
    if options["backend"] != "embedding":
        return []
    texts: list[str] = []
    for i, parsed in enumerate(batch.parsed):
        paras = _paras(batch, i)
        if not paras:
            continue
        texts.append(_prompt_text(batch, i))
        texts.extend(paras)
        texts.extend(plan_sections(parsed.think))
    return texts


def _embedding_backend(batch: Batch, options: dict) -> list[ComponentScore]:
    out = []
    for i, parsed in enumerate(batch.parsed):
        paras = _paras(batch, i)
        if not paras:
            parts: dict = {**dict.fromkeys(_PARTS), "embedded_chars": 0, "cut_chars": 0}
            out.append(ComponentScore(0.0, ["quality: empty answer"], parts))
            continue
        prompt = _prompt_text(batch, i)
        sections = plan_sections(parsed.think)
        prompt_vec = batch.embeddings([prompt])[0]
        parts = embedding_parts(prompt_vec, batch.embeddings(paras), batch.embeddings(sections))
        available = [v for v in parts.values() if v is not None]
        value = sum(available) / len(available) if available else 0.0
        reasons = [f"quality: low {name} ({v:.2f})" for name, v in parts.items() if v is not None and v < 0.5]
        # The cut: what the encoder did not read of the request (clipped to _PROMPT_CHARS first),
        # the paragraphs and the plan's sections (MiniLM reads 256 word pieces of each text).
        full_prompt = len(batch.samples[i].prompt.strip())
        texts = [prompt, *paras, *sections]
        cut = batch.unread_chars(texts) + max(0, full_prompt - len(prompt))
        total = full_prompt + sum(len(t) for t in texts[1:])
        if cut:
            reasons.append(
                f"quality: the encoder did not read {cut} of {total} characters (MiniLM reads the "
                "first 256 word pieces of the request and of each paragraph and plan section)"
            )
        out.append(ComponentScore(value, reasons, {**parts, "embedded_chars": total, "cut_chars": cut}))
    return out


def _check_options(options: dict) -> None:
    backend = options["backend"]
    if backend not in BACKENDS:
        raise ValueError(f"unknown quality backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend == "classifier" and not options["model"]:
        raise ValueError("quality backend 'classifier' needs option 'model' (a path or HF model id)")
    if options["squash"] not in ("sigmoid", "clip"):
        raise ValueError(f"unknown squash {options['squash']!r}; choose sigmoid or clip")
    if float(options["scale"]) <= 0:
        raise ValueError("quality option 'scale' must be > 0")
    if backend == "judge" and not (options["base_url"] and options["model"]):
        raise ValueError("quality backend 'judge' needs options 'base_url' and 'model'")
    # A served backend's settings may still hold their "REQUIRED: ..." placeholders here (the GPU
    # presets ship them): rl.presets.check_reward_config refuses them before a run starts, and
    # scoring itself refuses them (quality_served.check_served_options).
    if backend == "served" and not (options["base_url"] and options["model"]):
        raise ValueError("quality backend 'served' needs options 'base_url' and 'model'")


@register_reward(
    "quality", batched=True, texts=_quality_texts, defaults=_QUALITY_DEFAULTS, check=_check_options
)
def _quality_component(batch: Batch, options: dict) -> list[ComponentScore]:
    """Writing quality in [0, 1] by the configured backend (embedding / classifier / judge / served)."""
    backend = options["backend"]
    if backend == "embedding":
        return _embedding_backend(batch, options)
    if backend == "classifier":
        from rewards.quality.classifier import classifier_scores

        return classifier_scores(batch, options)
    if backend == "judge":
        from rewards.quality.judge import judge_scores

        return judge_scores(batch, options)
    if backend == "served":
        from rewards.quality.served import served_scores

        return served_scores(batch, options)
    raise ValueError(f"unknown quality backend {backend!r}; choose one of {', '.join(BACKENDS)}")
