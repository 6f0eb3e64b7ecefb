"""The ``classifier`` quality backend: a Hugging Face sequence-classification reward model.

Any ``AutoModelForSequenceClassification`` checkpoint works (a Bradley-Terry reward model such as
Skywork-Reward or an ArmoRM-style head). It runs batched on the best available device (CUDA if
present, else CPU; the ``device`` option overrides).

Input: the request as a user turn and the answer (plan excluded) as the assistant turn, rendered
with the tokenizer's chat template when it has one, else ``request + "\\n\\n" + answer``.

Inputs longer than the context (``max_length`` option, default the model's
``max_position_embeddings`` capped at 8192 tokens): the model sees the first three quarters of
the budget and the last quarter - the request, the opening of the answer and its ending - with
the middle cut out. The raw score (the logit of a one-label head; for several labels, the logit
of the last label minus the log-sum-exp of the others) maps to [0, 1] by the ``squash`` option:
``sigmoid`` - ``1 / (1 + exp(-(raw - center) / scale))``; ``clip`` - ``0.5 + (raw - center) /
(2 * scale)`` clipped to [0, 1].
"""

from __future__ import annotations

import math
import threading
from typing import Any

from rewards.base import Batch, ComponentScore

__all__ = [
    "load_classifier",
    "build_inputs",
    "build_inputs_info",
    "raw_scores",
    "squash",
    "classifier_scores",
]

_lock = threading.Lock()
_loaded: dict[tuple[str, str], tuple[Any, Any]] = {}
_MAX_CONTEXT = 8192


def _device(option: str | None) -> str:
    if option:
        return option
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_classifier(model: str, device: str | None = None) -> tuple[Any, Any]:
    """(tokenizer, model) for ``model`` (a path or hub id), loaded once per process and device."""
    dev = _device(device)
    with _lock:
        if (model, dev) not in _loaded:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            tok = AutoTokenizer.from_pretrained(model)
            if tok.pad_token is None:
                tok.pad_token = tok.eos_token or tok.unk_token
            dtype = torch.bfloat16 if dev.startswith("cuda") else torch.float32
            net = AutoModelForSequenceClassification.from_pretrained(model, dtype=dtype).to(dev).eval()
            if net.config.pad_token_id is None:
                net.config.pad_token_id = tok.pad_token_id
            _loaded[(model, dev)] = (tok, net)
        return _loaded[(model, dev)]


def _context(net: Any, option: int | None) -> int:
    if option:
        return int(option)
    n = getattr(net.config, "max_position_embeddings", None) or _MAX_CONTEXT
    return int(min(n, _MAX_CONTEXT))


def build_inputs_info(tok: Any, prompt: str, answer: str, max_length: int) -> tuple[list[int], bool]:
    """(token ids, truncated) for one (request, answer) pair, cut to ``max_length`` tokens by the
    head/tail policy; ``truncated`` says whether anything was cut. The RM trainer encodes its
    pairs with this same function, so training and scoring see identical inputs."""
    truncated = False
    # Characters beyond 16 per token of budget can never be seen: cut them before tokenizing.
    limit = 16 * max_length
    if len(answer) > limit:
        answer = answer[: limit // 2] + "\n...\n" + answer[-limit // 2 :]
        truncated = True
    if len(prompt) > limit:
        prompt = prompt[:limit]
        truncated = True
    if getattr(tok, "chat_template", None):
        text = tok.apply_chat_template(
            [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}], tokenize=False
        )
        ids = tok(text, add_special_tokens=False)["input_ids"]
    else:
        ids = tok(prompt + "\n\n" + answer)["input_ids"]
    if len(ids) > max_length:
        tail = max_length // 4
        ids = ids[: max_length - tail] + ids[len(ids) - tail :]
        truncated = True
    return list(ids), truncated


def build_inputs(tok: Any, prompt: str, answer: str, max_length: int) -> list[int]:
    """Token ids for one (request, answer) pair, cut to ``max_length`` by the head/tail policy."""
    return build_inputs_info(tok, prompt, answer, max_length)[0]


def raw_scores(tok: Any, net: Any, inputs: list[list[int]], batch_size: int = 8) -> list[float]:
    """The model's raw reward for each token-id list, batched (sorted by length to limit padding)."""
    import torch

    order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
    out = [0.0] * len(inputs)
    dev = next(net.parameters()).device
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    for start in range(0, len(order), max(1, batch_size)):
        idx = order[start : start + batch_size]
        width = max(max(len(inputs[i]) for i in idx), 1)
        ids = torch.full((len(idx), width), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), width), dtype=torch.long)
        for row, i in enumerate(idx):
            seq = inputs[i] or [pad]
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
        with torch.inference_mode():
            logits = net(input_ids=ids.to(dev), attention_mask=mask.to(dev)).logits.float().cpu()
        for row, i in enumerate(idx):
            lg = logits[row]
            if lg.numel() == 1:
                out[i] = float(lg[0])
            else:
                out[i] = float(lg[-1] - torch.logsumexp(lg[:-1], dim=0))
    return out


def squash(raw: float, kind: str = "sigmoid", center: float = 0.0, scale: float = 1.0) -> float:
    """Map a raw reward-model score to [0, 1] (see the module docstring); a non-finite score is a ValueError."""
    if not math.isfinite(raw):
        raise ValueError(f"non-finite reward-model score {raw!r}")
    if scale <= 0:
        raise ValueError(f"squash scale must be > 0, got {scale}")
    z = (raw - center) / scale
    if kind == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
    if kind == "clip":
        return min(1.0, max(0.0, 0.5 + z / 2.0))
    raise ValueError(f"unknown squash {kind!r}; choose sigmoid or clip")


def classifier_scores(batch: Batch, options: dict) -> list[ComponentScore]:
    """Reward-model quality in [0, 1] for every sample; an empty answer scores 0 without a forward pass."""
    tok, net = load_classifier(str(options["model"]), options["device"])
    max_length = _context(net, options["max_length"])
    todo = [i for i, p in enumerate(batch.parsed) if p.answer.strip()]
    inputs = [build_inputs(tok, batch.samples[i].prompt, batch.parsed[i].answer, max_length) for i in todo]
    raws = raw_scores(tok, net, inputs, int(options["batch_size"])) if inputs else []
    out = [ComponentScore(0.0, ["quality: empty answer"], {"raw": None}) for _ in range(len(batch))]
    for i, raw in zip(todo, raws, strict=True):
        if not math.isfinite(raw):
            out[i] = ComponentScore(
                None, [f"quality: reward model gave a non-finite score {raw!r}"], {"raw": None}
            )
            continue
        value = squash(raw, options["squash"], float(options["center"]), float(options["scale"]))
        out[i] = ComponentScore(value, [], {"raw": raw})
    return out
