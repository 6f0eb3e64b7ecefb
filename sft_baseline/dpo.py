"""DPO on long-output preference pairs with transformers' ``Trainer`` (``longwrite dpo``).

The policy starts from an SFT model (the preset's ``model``; ``tiny-writer`` is
:func:`sft_baseline.writer.tiny_writer_path`, ``tiny`` the random tiny model). Each pair is the
conversation before the answer (:mod:`sft_baseline.dpo_data`), rendered with the model's chat
template, and two full responses. The loss of one pair, with ``logp`` the log-probability of a
response's tokens under the policy and ``ref`` the same under the starting model (computed once
before training, by the same weights), is

    z    = beta * ((logp_chosen - ref_chosen) - (logp_rejected - ref_rejected))
    loss = -log sigmoid(z) + sft_weight * NLL(chosen)

``length_normalize: true`` uses the mean log-probability per response token instead of the sum
(a long answer no longer dominates by its length); ``sft_weight`` > 0 adds the mean per-token
negative log-likelihood of the chosen response (the RPO-style SFT term that keeps the chosen
answer likely); ``beta`` scales the implicit reward ``beta * (logp - ref)``. ``z`` is the
chosen-over-rejected **margin** this module reports (mean over pairs; on held-out pairs at every
evaluation): 0 at the start by construction, rising as the policy learns the preference.

Everything else - FSDP / DDP across processes, bf16, gradient checkpointing, checkpoint and
resume, logging - is the ``Trainer``'s, configured from the preset's ``training`` block
(``TrainingArguments`` fields, checked by name), as :mod:`rewards.rm.train` does.

**Long pairs are never cut quietly.** The token budget is sized from the data: ``max_length``
is the longest pair's prompt + longer response, in the model's own tokens, up to the preset's
ceiling (``max_length``), and the prompt budget likewise up to ``max_prompt_length``. A pair that
must still be cut loses the middle of an over-long prompt (its start and its end, with the
generation prompt, are kept) and the tail of an over-long response; it is counted, logged,
listed in ``OUT/dpo_cuts.jsonl`` (FILE:LINE, id, tokens cut per part) and summed in
``OUT/dpo_train.json``. A cut response keeps no end-of-turn token it did not reach: the model is
never taught to stop where the text did not. No pair is dropped.

A run writes ``OUT/checkpoint-N`` (``resume: auto`` continues from the last) and the final model
in ``OUT/final``: a Hugging Face causal-LM folder with its tokenizer and chat template, which
``longwrite eval``, ``generate`` and ``serve`` load as they are.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "PRESET_DIR",
    "PRESET_KEYS",
    "UNPUBLISHED",
    "list_dpo_presets",
    "compose_dpo_preset",
    "unpublished_keys",
    "check_runnable",
    "resolve_model",
    "Budget",
    "size_budget",
    "encode_pairs",
    "dpo_loss",
    "train_dpo",
    "main",
]

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PRESET_DIR = PROJECT_ROOT / "configs" / "dpo"
PRESET_KEYS = frozenset(
    {
        "description",
        "model",
        "dtype",
        "data",
        "output_dir",
        "template",
        "chat_template",
        "max_length",
        "max_prompt_length",
        "loss",
        "resume",
        "launch",
        "training",
    }
)
_SUB_KEYS = {
    "data": {"train", "val"},
    "loss": {"beta", "length_normalize", "sft_weight"},
    "launch": {"nproc_per_node"},
}
_OWNED = {"output_dir", "remove_unused_columns"}
#: A preset value that starts with this word is a setting the source does not publish: the preset
#: composes (and documents it), but a run refuses it until it is overridden.
UNPUBLISHED = "UNPUBLISHED"


# -- presets ---------------------------------------------------------------------------------------


def list_dpo_presets() -> list[str]:
    """Names of the bundled DPO presets (``configs/dpo/*.yaml``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def compose_dpo_preset(name_or_path: str | os.PathLike, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """A DPO preset plus ``key=value`` overrides (dotted keys, YAML values), checked: an unknown key
    anywhere (top level, ``data``/``loss``/``launch``, a ``training`` key that is not a
    ``TrainingArguments`` field) fails with the valid names; so do impossible budgets."""
    from rewards.rm.train import load_trainer_preset

    path, cfg = load_trainer_preset(
        name_or_path, overrides, kind="DPO", preset_dir=PRESET_DIR, bundled=list_dpo_presets(),
        preset_keys=PRESET_KEYS, sub_keys=_SUB_KEYS, owned=_OWNED, owner="sft_baseline.dpo",
    )  # fmt: skip
    for key in ("model", "output_dir", "max_length", "max_prompt_length", "loss"):
        if cfg.get(key) in (None, ""):
            raise ValueError(f"{path}: missing '{key}'")
    missing = {"beta", "length_normalize", "sft_weight"} - set(cfg["loss"])
    if missing:
        raise ValueError(f"{path}: loss needs {sorted(missing)} (write {UNPUBLISHED} for an unknown)")
    budgets_known = not _unpublished(cfg["max_length"]) and not _unpublished(cfg["max_prompt_length"])
    if budgets_known and not 16 <= int(cfg["max_prompt_length"]) <= int(cfg["max_length"]) - 16:
        raise ValueError(
            f"{path}: need 16 <= max_prompt_length <= max_length - 16 tokens "
            f"(got {cfg['max_prompt_length']} and {cfg['max_length']}): every response keeps room"
        )
    if cfg.get("resume", "auto") not in ("auto", "never"):
        raise ValueError(f"{path}: resume must be 'auto' or 'never'")
    cfg.setdefault("data", {})
    cfg.setdefault("launch", {"nproc_per_node": 1})
    cfg.setdefault("resume", "auto")
    cfg.setdefault("template", "plan_write")
    cfg.setdefault("chat_template", None)
    cfg.setdefault("dtype", "float32")
    cfg["_path"] = str(path)
    cfg["_name"] = path.stem
    return cfg


def _unpublished(value: Any) -> bool:
    return isinstance(value, str) and value.strip().upper().startswith(UNPUBLISHED)


def unpublished_keys(cfg: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose value is an ``UNPUBLISHED ...`` placeholder (a setting the source leaves out)."""
    keys = []
    for k, v in cfg.items():
        if str(k).startswith("_"):
            continue
        if isinstance(v, dict):
            keys += unpublished_keys(v, f"{prefix}{k}.")
        elif _unpublished(v):
            keys.append(f"{prefix}{k}")
    return keys


def check_runnable(cfg: dict[str, Any]) -> None:
    """Refuse a preset that still holds placeholders or lacks training data, before anything runs."""
    keys = unpublished_keys(cfg)
    if keys:
        raise ValueError(
            f"DPO preset {cfg.get('_name')!r} leaves {', '.join(keys)} unpublished (the source does not "
            f"give them); set each with key=value before a run, e.g. {keys[0]}=..."
        )
    if not (cfg.get("data") or {}).get("train"):
        raise ValueError("no training pairs: give --pairs FILE (or data.train=FILE)")


def resolve_model(model: str) -> str:
    """A model folder for ``model``: ``tiny-writer`` (the cached tiny SFT writer), ``tiny`` (the
    random tiny model), or a folder / hub id checked by :func:`rollout.model_ref.check_model`."""
    if model == "tiny-writer":
        from sft_baseline.writer import tiny_writer_path

        return str(tiny_writer_path(seed=0))
    if model == "tiny":
        from rollout.tiny import tiny_model_path

        return str(tiny_model_path(seed=0))
    from rollout.model_ref import check_model

    return check_model(model)


# -- encoding and budgets ----------------------------------------------------------------------------


@dataclass
class Budget:
    """Token budgets of a run: ``max_length`` (prompt + response) and ``max_prompt_length``, each
    the data's need up to the preset's ceiling; ``need_*`` are the data's own maxima."""

    max_length: int
    max_prompt_length: int
    need_length: int
    need_prompt_length: int


def _render(tok: Any, messages: list[dict], response: str | None, chat_template: str | None) -> str:
    kwargs = {"tokenize": False, "chat_template": chat_template} if chat_template else {"tokenize": False}
    if response is None:
        return tok.apply_chat_template(messages, add_generation_prompt=True, **kwargs)
    return tok.apply_chat_template([*messages, {"role": "assistant", "content": response}], **kwargs)


def tokenize_pair(tok: Any, pair: Any, chat_template: str | None = None) -> tuple[list, list, list]:
    """(prompt ids, chosen ids, rejected ids) of a :class:`~sft_baseline.dpo_data.DpoPair`, uncut.

    A response's ids are what the chat template adds after the generation prompt: the text and
    the template's own end of turn (for Qwen ``<|im_end|>``), nothing more. A template whose
    rendering of the full conversation does not start with the rendered prompt cannot be split
    into prompt and response: ``ValueError`` naming the row.
    """
    prompt_text = _render(tok, pair.messages, None, chat_template)
    ids = []
    for response in (pair.chosen, pair.rejected):
        full = _render(tok, pair.messages, response, chat_template)
        if not full.startswith(prompt_text):
            raise ValueError(
                f"{pair.source}: the chat template renders the conversation with the answer so that it "
                "does not start with the rendered prompt; give the preset a chat_template that does"
            )
        ids.append(tok(full[len(prompt_text) :], add_special_tokens=False)["input_ids"])
    prompt_ids = tok(prompt_text, add_special_tokens=False)["input_ids"]
    return prompt_ids, ids[0], ids[1]


def size_budget(lengths: Sequence[tuple[int, int, int]], ceiling: int, prompt_ceiling: int) -> Budget:
    """Budgets from ``(prompt, chosen, rejected)`` token lengths: the longest prompt and the
    longest prompt + response, each capped by its preset ceiling (what is over is cut, counted)."""
    if not lengths:
        raise ValueError("no pairs to size a budget from")
    need_prompt = max(p for p, _, _ in lengths)
    max_prompt = min(need_prompt, prompt_ceiling)
    need = max(min(p, max_prompt) + max(c, r) for p, c, r in lengths)
    return Budget(min(need, ceiling), max_prompt, max(p + max(c, r) for p, c, r in lengths), need_prompt)


def _cut_prompt(ids: list[int], budget: int) -> list[int]:
    """The prompt's start and end (with the generation prompt) kept, its middle cut."""
    if len(ids) <= budget:
        return ids
    head = budget // 2
    return ids[:head] + ids[len(ids) - (budget - head) :]


def encode_pairs(
    tok: Any, pairs: Sequence[Any], budget: Budget, chat_template: str | None = None
) -> tuple[list[dict], list[dict], dict[str, int]]:
    """Rows for training, cut records and counts under ``budget``.

    A row holds ``prompt_ids``, ``chosen_ids``, ``rejected_ids`` (responses cut at the tail to
    ``budget.max_length`` minus the kept prompt), the full lengths, and ``source``. Each cut pair
    gets a record (``source``, ``id``, ``prompt_tokens_cut``, ``chosen_tokens_cut``,
    ``rejected_tokens_cut`` and the full lengths); counts are ``pairs``, ``cut_pairs``,
    ``cut_prompts``, ``cut_chosen``, ``cut_rejected`` and the token sums ``prompt_tokens_cut``,
    ``chosen_tokens_cut``, ``rejected_tokens_cut``.
    """
    rows, cuts = [], []
    counts = dict.fromkeys(
        (
            "pairs",
            "cut_pairs",
            "cut_prompts",
            "cut_chosen",
            "cut_rejected",
            "prompt_tokens_cut",
            "chosen_tokens_cut",
            "rejected_tokens_cut",
        ),
        0,
    )
    for pair in pairs:
        p_ids, c_ids, r_ids = tokenize_pair(tok, pair, chat_template)
        kept_p = _cut_prompt(p_ids, budget.max_prompt_length)
        room = budget.max_length - len(kept_p)
        kept_c, kept_r = c_ids[:room], r_ids[:room]
        cut = {
            "prompt_tokens_cut": len(p_ids) - len(kept_p),
            "chosen_tokens_cut": len(c_ids) - len(kept_c),
            "rejected_tokens_cut": len(r_ids) - len(kept_r),
        }
        counts["pairs"] += 1
        if any(cut.values()):
            counts["cut_pairs"] += 1
            counts["cut_prompts"] += int(cut["prompt_tokens_cut"] > 0)
            counts["cut_chosen"] += int(cut["chosen_tokens_cut"] > 0)
            counts["cut_rejected"] += int(cut["rejected_tokens_cut"] > 0)
            for key, value in cut.items():
                counts[key] += value
            cuts.append(
                {
                    "source": pair.source,
                    "id": pair.id,
                    **cut,
                    "prompt_tokens": len(p_ids),
                    "chosen_tokens": len(c_ids),
                    "rejected_tokens": len(r_ids),
                }
            )
        rows.append(
            {
                "prompt_ids": kept_p,
                "chosen_ids": kept_c,
                "rejected_ids": kept_r,
                "source": pair.source,
            }
        )
    return rows, cuts, counts


class PairCollator:
    """Pads pairs into one batch: the chosen sequences (prompt + chosen) first, then the rejected;
    ``response_mask`` marks the response tokens whose log-probabilities count. Reference
    log-probabilities ride along when the rows carry them (``ref_chosen`` / ``ref_rejected``)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, rows: list[dict]) -> dict:
        """One padded batch (right padding) from ``rows`` of :func:`encode_pairs`."""
        import torch

        seqs = [(r["prompt_ids"], r["chosen_ids"]) for r in rows] + [
            (r["prompt_ids"], r["rejected_ids"]) for r in rows
        ]
        width = max(len(p) + len(a) for p, a in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        resp = torch.zeros((len(seqs), width), dtype=torch.bool)
        for i, (p, a) in enumerate(seqs):
            ids[i, : len(p) + len(a)] = torch.tensor(p + a, dtype=torch.long)
            mask[i, : len(p) + len(a)] = 1
            resp[i, len(p) : len(p) + len(a)] = True
        batch = {"input_ids": ids, "attention_mask": mask, "response_mask": resp}
        if "ref_chosen" in rows[0]:
            batch["ref_logps"] = torch.tensor(
                [r["ref_chosen"] for r in rows] + [r["ref_rejected"] for r in rows], dtype=torch.float64
            )
        return batch


def sequence_logps(model: Any, batch: dict) -> tuple[Any, Any]:
    """(sum of the response tokens' log-probabilities, number of response tokens) per sequence."""
    import torch

    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["input_ids"][:, 1:]
    logp = torch.log_softmax(logits[:, :-1].float(), dim=-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    mask = batch["response_mask"][:, 1:].to(logp.dtype)
    return (logp * mask).sum(-1), mask.sum(-1)


def dpo_loss(
    logp_c, logp_r, ref_c, ref_r, n_c, n_r, *, beta: float, length_normalize: bool, sft_weight: float
) -> tuple[Any, dict[str, Any]]:
    """The DPO loss of a batch from summed response log-probabilities and token counts.

    Returns ``(loss, parts)``: ``parts`` holds per-pair ``margin`` (``z`` above), ``chosen_reward``
    and ``rejected_reward`` (``beta * (logp - ref)``), and the batch's ``dpo`` and ``nll`` terms.
    With ``length_normalize`` every log-probability is divided by its response's token count.
    """
    import torch.nn.functional as F

    if length_normalize:
        logp_c, logp_r, ref_c, ref_r = logp_c / n_c, logp_r / n_r, ref_c / n_c, ref_r / n_r
    chosen_reward = beta * (logp_c - ref_c)
    rejected_reward = beta * (logp_r - ref_r)
    margin = chosen_reward - rejected_reward
    dpo = -F.logsigmoid(margin).mean()
    nll = -(logp_c if length_normalize else logp_c / n_c).mean()
    loss = dpo + sft_weight * nll if sft_weight else dpo
    return loss, {
        "margin": margin,
        "chosen_reward": chosen_reward,
        "rejected_reward": rejected_reward,
        "dpo": dpo,
        "nll": nll,
    }


def reference_logps(
    model: Any, rows: list[dict], pad_id: int, batch_size: int = 4, device: Any = None
) -> None:
    """Add ``ref_chosen`` / ``ref_rejected`` (summed response log-probabilities under ``model``, the
    starting weights) to every row. Under ``torch.distributed`` each rank scores every
    world-size-th row and the results are gathered, so all ranks hold all of them. ``device``
    (the Trainer's, e.g. ``cuda:LOCAL_RANK``) is where the model and batches go for the pass;
    None keeps the model where it is."""
    import torch
    import torch.distributed as dist

    world = dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1
    rank = dist.get_rank() if world > 1 else 0
    mine = list(range(rank, len(rows), world))
    collate = PairCollator(pad_id)
    if device is not None:
        model.to(device)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    found: dict[int, tuple[float, float]] = {}
    with torch.no_grad():
        for start in range(0, len(mine), batch_size):
            idx = mine[start : start + batch_size]
            batch = {k: v.to(device) for k, v in collate([rows[i] for i in idx]).items()}
            sums, _ = sequence_logps(model, batch)
            half = len(idx)
            for k, i in enumerate(idx):
                found[i] = (float(sums[k]), float(sums[half + k]))
    model.train(was_training)
    if world > 1:
        parts: list[Any] = [None] * world
        dist.all_gather_object(parts, found)
        found = {k: v for part in parts for k, v in part.items()}
    for i, row in enumerate(rows):
        row["ref_chosen"], row["ref_rejected"] = found[i]


def _trainer_class():
    import torch
    from transformers import Trainer

    class DpoTrainer(Trainer):
        """``Trainer`` with the DPO loss (:func:`dpo_loss`); evaluation reports the margin and the
        share of pairs whose margin is positive (``accuracy``); training logs the same means."""

        def __init__(self, *args: Any, loss_cfg: dict[str, Any], **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.loss_cfg = {
                "beta": float(loss_cfg["beta"]),
                "length_normalize": bool(loss_cfg["length_normalize"]),
                "sft_weight": float(loss_cfg["sft_weight"]),
            }
            self._sums: dict[str, float] = {}
            self._n = 0

        def _parts(self, model, inputs):
            sums, counts = sequence_logps(model, inputs)
            half = sums.shape[0] // 2
            ref = inputs["ref_logps"].to(sums.dtype)
            return dpo_loss(
                sums[:half],
                sums[half:],
                ref[:half],
                ref[half:],
                counts[:half],
                counts[half:],
                **self.loss_cfg,
            )

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss, parts = self._parts(model, inputs)
            if model.training:
                for key in ("dpo", "nll"):
                    self._sums[key] = self._sums.get(key, 0.0) + float(parts[key].detach())
                self._sums["margin"] = self._sums.get("margin", 0.0) + float(parts["margin"].detach().mean())
                self._n += 1
            return (loss, parts) if return_outputs else loss

        def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
            if self._n and "loss" in logs:
                logs.update({f"train_{k}": v / self._n for k, v in self._sums.items()})
                self._sums, self._n = {}, 0
            super().log(logs, *args, **kwargs)

        def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
            inputs = self._prepare_inputs(inputs)
            with torch.no_grad():
                loss, parts = self._parts(model, inputs)
            if prediction_loss_only:
                return loss.detach(), None, None
            preds = torch.stack([parts["margin"], parts["chosen_reward"], parts["rejected_reward"]], dim=1)
            return loss.detach(), preds.float(), torch.zeros(preds.shape[0], device=preds.device)

    return DpoTrainer


def _compute_metrics(eval_pred) -> dict[str, float]:
    preds = eval_pred.predictions
    margin = preds[:, 0]
    return {
        "margin": float(margin.mean()),
        "accuracy": float((margin > 0).mean()),
        "chosen_reward": float(preds[:, 1].mean()),
        "rejected_reward": float(preds[:, 2].mean()),
    }


def _is_rank_zero() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _last_checkpoint(out: Path) -> str | None:
    steps = [
        (int(p.name.split("-")[1]), p) for p in out.glob("checkpoint-*") if p.name.split("-")[1].isdigit()
    ]
    return str(max(steps)[1]) if steps else None


def _report_cuts(split: str, counts: dict[str, int], budget: Budget) -> None:
    if not counts["cut_pairs"]:
        return
    message = (
        f"{split}: {counts['cut_pairs']}/{counts['pairs']} pair(s) cut to {budget.max_length} tokens "
        f"(the data needs {budget.need_length}; prompts over {budget.max_prompt_length}: "
        f"{counts['cut_prompts']}, {counts['prompt_tokens_cut']} tokens from their middle; chosen "
        f"{counts['cut_chosen']} / rejected {counts['cut_rejected']} responses lost "
        f"{counts['chosen_tokens_cut']} / {counts['rejected_tokens_cut']} tail tokens, with no end "
        "of turn added); listed in dpo_cuts.jsonl"
    )
    log.warning("%s", message)
    if _is_rank_zero():
        print(f"dpo: {message}", file=sys.stderr)


def train_dpo(cfg: dict[str, Any]) -> dict[str, Any]:
    """Train one DPO run from a composed preset (:func:`compose_dpo_preset`); returns the summary
    also written to ``OUT/dpo_train.json``: budgets, cut counts, the margin curve on held-out
    pairs (``val_curve``: epoch, margin, accuracy; the first row is before training), final
    metrics and the ``final_model`` folder."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainingArguments

    from rewards.rm.train import check_fsdp, save_final
    from sft_baseline.dpo_data import read_dpo_pairs

    check_runnable(cfg)
    data = cfg["data"]
    out = Path(cfg["output_dir"]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(str(cfg["model"]))
    template = str(cfg.get("template") or "plan_write")
    chat_template = cfg.get("chat_template") or None

    tok = AutoTokenizer.from_pretrained(model_path)
    if chat_template:
        tok.chat_template = chat_template
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
        log.warning("tokenizer has no pad token; using %r", tok.pad_token)
    train_pairs, train_read = read_dpo_pairs(data["train"], template)
    val_pairs, val_read = read_dpo_pairs(data["val"], template) if data.get("val") else ([], {})

    # Budgets from the data (train and held-out alike), in this tokenizer's tokens.
    lengths = [
        tuple(len(x) for x in tokenize_pair(tok, p, chat_template)) for p in [*train_pairs, *val_pairs]
    ]
    budget = size_budget(lengths, int(cfg["max_length"]), int(cfg["max_prompt_length"]))
    train_rows, train_cuts, train_cut = encode_pairs(tok, train_pairs, budget, chat_template)
    val_rows, val_cuts, val_cut = encode_pairs(tok, val_pairs, budget, chat_template)
    for split, counts in (("train", train_cut), ("val", val_cut)):
        _report_cuts(split, counts, budget)

    training = dict(cfg.get("training") or {})
    training.setdefault("report_to", [])
    if val_rows:
        training.setdefault("eval_strategy", "epoch")
    args = TrainingArguments(output_dir=str(out), remove_unused_columns=False, **training)
    dtype = getattr(torch, str(cfg.get("dtype") or "float32"))
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    # The reference is the starting model: its log-probabilities once, before any update.
    ref_batch = int(training.get("per_device_eval_batch_size", 4))
    reference_logps(model, train_rows, tok.pad_token_id, ref_batch, args.device)
    reference_logps(model, val_rows, tok.pad_token_id, ref_batch, args.device)
    trainer = _trainer_class()(
        model=model,
        args=args,
        train_dataset=train_rows,
        eval_dataset=val_rows or None,
        data_collator=PairCollator(tok.pad_token_id),
        processing_class=tok,
        compute_metrics=_compute_metrics if val_rows else None,
        loss_cfg=cfg["loss"],
    )
    check_fsdp(trainer, training)
    resume = _last_checkpoint(out) if cfg.get("resume", "auto") == "auto" else None
    if resume and trainer.is_world_process_zero():
        print(f"dpo: resuming from {resume}", file=sys.stderr)
    start = trainer.evaluate() if val_rows and not resume else {}
    result = trainer.train(resume_from_checkpoint=resume)
    final = out / "final"
    metrics = trainer.evaluate() if val_rows else {}
    save_final(trainer, tok, final)  # on every rank: a collective under FSDP
    # train() starts a fresh log history: the before-training row is added by hand.
    curve = (
        [{"epoch": 0.0, "margin": start["eval_margin"], "accuracy": start["eval_accuracy"]}] if start else []
    )
    curve += [
        {"epoch": h["epoch"], "margin": h["eval_margin"], "accuracy": h["eval_accuracy"]}
        for h in trainer.state.log_history
        if "eval_margin" in h
    ]
    summary = {
        "preset": cfg.get("_name"),
        "model": model_path,
        "final_model": str(final),
        "template": template,
        "loss": {k: cfg["loss"][k] for k in ("beta", "length_normalize", "sft_weight")},
        "budget": dataclasses.asdict(budget),
        "ceilings": {
            "max_length": int(cfg["max_length"]),
            "max_prompt_length": int(cfg["max_prompt_length"]),
        },
        "read": {"train": train_read, "val": val_read},
        "cuts": {"train": train_cut, "val": val_cut},
        "train_loss": float(result.training_loss),
        "global_step": int(trainer.state.global_step),
        "resumed_from": resume,
        "val_start": {k.removeprefix("eval_"): v for k, v in start.items()},
        "val": {k.removeprefix("eval_"): v for k, v in metrics.items()},
        "val_curve": _dedupe_curve(curve),
        "train_log": [h for h in trainer.state.log_history if "loss" in h],
        "world_size": int(trainer.args.world_size),
        "fsdp": bool(trainer.is_fsdp_enabled),
    }
    if trainer.is_world_process_zero():
        with (out / "dpo_cuts.jsonl").open("w", encoding="utf-8") as f:
            for split, cuts in (("train", train_cuts), ("val", val_cuts)):
                for c in cuts:
                    f.write(json.dumps({"split": split, **c}, ensure_ascii=False) + "\n")
        (out / "dpo_train.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _dedupe_curve(curve: list[dict]) -> list[dict]:
    """One row per epoch (the final ``evaluate`` repeats the last epoch's)."""
    seen, rows = set(), []
    for row in curve:
        key = round(float(row["epoch"]), 6)
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sft_baseline.dpo --preset NAME [key=value ...]``: one training process (what
    torchrun starts on each GPU; ``longwrite dpo`` runs it directly or through torchrun)."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--preset", required=True)
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    summary = train_dpo(compose_dpo_preset(args.preset, args.overrides))
    if _is_rank_zero():
        print(json.dumps({k: summary[k] for k in ("final_model", "budget", "cuts", "val")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
