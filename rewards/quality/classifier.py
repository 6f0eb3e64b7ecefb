"""The ``classifier`` quality backend: a Hugging Face sequence-classification reward model.

Any ``AutoModelForSequenceClassification`` checkpoint works (a Bradley-Terry reward model such as
Skywork-Reward or an ArmoRM-style head). It runs batched on the best available device (CUDA if
present, else CPU; the ``device`` option overrides).

Input: the request as a user turn and the answer (plan excluded) as the assistant turn, rendered
with the tokenizer's chat template when it has one, else ``request + "\\n\\n" + answer``.

Inputs longer than the context (``max_length`` option, default the model's
``max_position_embeddings`` capped at 8192 tokens) keep the template, the start of the request
(up to a quarter of the budget), the opening of the answer and its ending, the middle cut out
(:func:`build_inputs_info`); what was cut is in each sample's details (``truncated``,
``request_tokens_cut``, ``answer_tokens_cut``). The raw score (the logit of a one-label head; for several labels, the logit
of the last label minus the log-sum-exp of the others) maps to [0, 1] by the ``squash`` option:
``sigmoid`` - ``1 / (1 + exp(-(raw - center) / scale))``; ``clip`` - ``0.5 + (raw - center) /
(2 * scale)`` clipped to [0, 1].
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from rewards.base import Batch, ComponentScore

__all__ = [
    "load_classifier",
    "build_inputs",
    "EncodedInput",
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


@dataclass(frozen=True)
class EncodedInput:
    """One (request, answer) pair as the reward model reads it, and what was cut to fit.

    ``ids``: the token ids. ``request_tokens`` / ``answer_tokens``: the request's and the
    answer's full length in tokens (0 when the whole input fit and was not split).
    ``request_cut`` / ``answer_cut``: tokens dropped from the request (its end) and from the
    answer (its middle)."""

    ids: list[int]
    request_tokens: int = 0
    answer_tokens: int = 0
    request_cut: int = 0
    answer_cut: int = 0

    @property
    def truncated(self) -> bool:
        """Whether anything was cut."""
        return bool(self.request_cut or self.answer_cut)

    def details(self) -> dict[str, Any]:
        """The cut as reward details (``truncated``, ``request_tokens_cut``, ``answer_tokens_cut``),
        so a trainer can log the share of truncated samples and how much they lost."""
        return {
            "truncated": self.truncated,
            "request_tokens_cut": self.request_cut,
            "answer_tokens_cut": self.answer_cut,
        }


_P_MARK, _A_MARK = "\x00LWREQUEST\x00", "\x00LWANSWER\x00"


def _template_pieces(tok: Any) -> tuple[list[int], list[int], list[int]]:
    """Token ids of the chat template around the request and the answer: (before the request,
    between request and answer, after the answer); without a chat template, the tokenizer's
    special tokens around ``request + "\\n\\n" + answer``."""
    if getattr(tok, "chat_template", None):
        text = tok.apply_chat_template(
            [{"role": "user", "content": _P_MARK}, {"role": "assistant", "content": _A_MARK}], tokenize=False
        )
        head, rest = text.split(_P_MARK)
        mid, tail = rest.split(_A_MARK)
        enc = [tok(x, add_special_tokens=False)["input_ids"] if x else [] for x in (head, mid, tail)]
        return enc[0], enc[1], enc[2]
    plain = tok("x", add_special_tokens=False)["input_ids"]
    full = tok("x")["input_ids"]
    at = next(i for i in range(len(full) - len(plain) + 1) if full[i : i + len(plain)] == plain)
    return list(full[:at]), tok("\n\n", add_special_tokens=False)["input_ids"], list(full[at + len(plain) :])


def _full_ids(tok: Any, prompt: str, answer: str) -> list[int]:
    if getattr(tok, "chat_template", None):
        text = tok.apply_chat_template(
            [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}], tokenize=False
        )
        return list(tok(text, add_special_tokens=False)["input_ids"])
    return list(tok(prompt + "\n\n" + answer)["input_ids"])


def build_inputs_info(tok: Any, prompt: str, answer: str, max_length: int) -> EncodedInput:
    """Token ids for one (request, answer) pair within ``max_length`` tokens, and what was cut.

    The input is the chat template with the request as the user turn and the answer as the
    assistant turn. When it does not fit, the template's own tokens are always kept and the
    rest of the budget is shared: the request keeps its start, up to a quarter of the budget
    (more when the answer is short); the answer keeps its first three quarters of what is left
    and its last quarter (its opening and its ending; the middle is cut). A long request
    therefore never pushes the answer out of view. The RM trainer, ``rm eval`` and both
    quality backends encode with this one function, so training and scoring see identical
    inputs. A ``max_length`` too small to hold the template plus one request and one answer
    token is a ValueError (a configuration error, never a silent cut)."""
    ids = _full_ids(tok, prompt, answer)
    if len(ids) <= max_length:
        return EncodedInput(ids)
    head, mid, tail = _template_pieces(tok)
    req = tok(prompt, add_special_tokens=False)["input_ids"]
    ans = tok(answer, add_special_tokens=False)["input_ids"]
    room = max_length - len(head) - len(mid) - len(tail)
    if room < 2:
        raise ValueError(
            f"max_length {max_length} tokens cannot hold the chat template ({max_length - room} tokens) "
            "plus the request and the answer; raise max_length"
        )
    keep_req = min(len(req), max(room - len(ans), room // 4), room - 1)
    keep_ans = room - keep_req
    if len(ans) <= keep_ans:
        kept_ans = list(ans)
    else:
        end = keep_ans // 4
        kept_ans = list(ans[: keep_ans - end]) + (list(ans[len(ans) - end :]) if end else [])
    out = [*head, *req[:keep_req], *mid, *kept_ans, *tail]
    return EncodedInput(out, len(req), len(ans), len(req) - keep_req, len(ans) - len(kept_ans))


def build_inputs(tok: Any, prompt: str, answer: str, max_length: int) -> list[int]:
    """Token ids for one (request, answer) pair within ``max_length`` tokens
    (:func:`build_inputs_info`'s policy, without the record of what was cut)."""
    return build_inputs_info(tok, prompt, answer, max_length).ids


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
    encoded = [
        build_inputs_info(tok, batch.samples[i].prompt, batch.parsed[i].answer, max_length) for i in todo
    ]
    raws = raw_scores(tok, net, [e.ids for e in encoded], int(options["batch_size"])) if encoded else []
    out = [ComponentScore(0.0, ["quality: empty answer"], {"raw": None}) for _ in range(len(batch))]
    for i, raw, enc in zip(todo, raws, encoded, strict=True):
        if not math.isfinite(raw):
            out[i] = ComponentScore(
                None,
                [f"quality: reward model gave a non-finite score {raw!r}"],
                {"raw": None, **enc.details()},
            )
            continue
        value = squash(raw, options["squash"], float(options["center"]), float(options["scale"]))
        out[i] = ComponentScore(value, [], {"raw": raw, **enc.details()})
    return out
