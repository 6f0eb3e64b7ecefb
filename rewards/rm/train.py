"""Bradley-Terry reward-model training with transformers' ``Trainer`` (``longwrite rm train``).

The model is any Hugging Face ``AutoModelForSequenceClassification`` with one output (a fresh
score head on a base or instruct checkpoint). Each pair is scored on both sides in one forward
pass and trained with the Bradley-Terry loss

    loss = mean(-log sigmoid(r_chosen - r_rejected - margin)) + center_coeff * mean((r_chosen + r_rejected)^2)

(``margin`` >= 0 asks for a gap; the small ``center_coeff`` penalty keeps rewards centred on 0,
so the raw logit stays on one scale across runs). Everything else - FSDP / DeepSpeed, bf16,
gradient checkpointing, checkpoint and resume, logging - is the ``Trainer``'s, configured from
the preset's ``training`` block (``TrainingArguments`` fields, checked by name).

**Long inputs are never dropped.** Each side is encoded exactly as the ``classifier`` quality
backend encodes it at scoring time (:func:`rewards.quality.classifier.build_inputs_info`): the
request and the answer in the chat template, and beyond ``max_length`` tokens the start of the
request (up to a quarter of the budget), the opening of the answer and its ending, the middle cut
out. Truncated sides and the tokens cut from requests and answers are counted, logged and
written to ``OUT/rm_train.json``.

A run writes ``OUT/checkpoint-N`` (Trainer checkpoints; ``resume: auto`` continues from the last)
and the final model in ``OUT/final``: a Hugging Face folder (one-label
``...ForSequenceClassification`` + tokenizer) that the ``classifier`` quality backend and vLLM's
pooling runner load as they are. Saving is right for any world size: every process calls
``Trainer.save_model`` (under FSDP gathering the full state dict is a collective; the main
process writes), then all wait at a barrier and the main process writes the tokenizer and
``rm_train.json``. An FSDP preset must keep ``state_dict_type: FULL_STATE_DICT`` (a sharded
final folder is not loadable by the backends), and a preset that asks for FSDP where accelerate
does not enable it (a CPU run: accelerate 1.15 shards only on accelerators) fails instead of
silently training unsharded.

Presets live in ``configs/rm/NAME.yaml``: ``description``, ``model`` (path, hub id, or ``tiny``
for :func:`rollout.tiny.tiny_model_path`), ``data: {train, val}`` (``longwrite rm data``
output), ``output_dir``, ``max_length`` (tokens), ``loss: {margin, center_coeff}``,
``resume`` (``auto`` | ``never``), ``launch: {nproc_per_node}`` (torchrun processes, one per
GPU) and ``training`` (``TrainingArguments`` keyword arguments).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "PRESET_DIR",
    "PRESET_KEYS",
    "list_rm_presets",
    "compose_rm_preset",
    "bradley_terry_loss",
    "pairwise_accuracy",
    "encode_pairs",
    "check_fsdp",
    "save_final",
    "train_rm",
    "main",
]

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PRESET_DIR = PROJECT_ROOT / "configs" / "rm"
PRESET_KEYS = frozenset(
    {"description", "model", "data", "output_dir", "max_length", "loss", "resume", "launch", "training"}
)
_SUB_KEYS = {
    "data": {"train", "val"},
    "loss": {"margin", "center_coeff"},
    "launch": {"nproc_per_node"},
}
# TrainingArguments values this module sets itself (a preset must not).
_OWNED = {"output_dir", "remove_unused_columns"}


# -- presets ---------------------------------------------------------------------------------------


def list_rm_presets() -> list[str]:
    """Names of the bundled RM presets (``configs/rm/*.yaml``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def _set_dotted(cfg: dict, key: str, value: Any) -> None:
    node = cfg
    parts = key.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


def _parse_value(text: str) -> Any:
    """A YAML value; numbers YAML 1.1 leaves as strings (``1e-4``) become floats."""
    import yaml

    if text == "":
        return ""
    value = yaml.safe_load(text)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def load_trainer_preset(
    name_or_path: str | os.PathLike,
    overrides: Sequence[str],
    *,
    kind: str,
    preset_dir: Path,
    bundled: Sequence[str],
    preset_keys: set[str] | frozenset[str],
    sub_keys: dict[str, set[str] | frozenset[str]],
    owned: set[str] | frozenset[str],
    owner: str,
) -> tuple[Path, dict[str, Any]]:
    """(the preset's file, its mapping with ``key=value`` overrides applied), key-checked, for the
    presets of trainers built on transformers' ``Trainer`` (the RM's, DPO's).

    ``name_or_path`` is a bundled name (``bundled``, files in ``preset_dir``) or a YAML file. Any
    unknown key fails with the valid names: top level (``preset_keys``), a section's
    (``sub_keys``), a ``training`` key that is not a ``TrainingArguments`` field, or one the
    trainer sets itself (``owned``, named after ``owner``). ``kind`` names the preset in messages.
    """
    import yaml
    from transformers import TrainingArguments

    path = Path(name_or_path)
    if str(name_or_path) in bundled:
        path = preset_dir / f"{name_or_path}.yaml"
    if not path.is_file():
        raise FileNotFoundError(
            f"{kind} preset {str(name_or_path)!r} not found; bundled presets: {', '.join(bundled)}"
        )
    cfg = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(cfg, dict):
        raise ValueError(f"{path}: a{'n' if kind[0] in 'AEIOUR' else ''} {kind} preset is a mapping")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"override {item!r} is not key=value")
        _set_dotted(cfg, key.strip(), _parse_value(value))
    unknown = set(cfg) - set(preset_keys)
    if unknown:
        raise ValueError(
            f"{path}: unknown {kind} preset keys {sorted(unknown)}; valid: {sorted(preset_keys)}"
        )
    for section, valid in sub_keys.items():
        bad = set(cfg.get(section) or {}) - set(valid)
        if bad:
            raise ValueError(f"{path}: unknown {section} keys {sorted(bad)}; valid: {sorted(valid)}")
    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    training = cfg.get("training") or {}
    bad = set(training) - fields
    if bad:
        raise ValueError(f"{path}: unknown training keys {sorted(bad)} (not TrainingArguments fields)")
    mine = set(training) & set(owned)
    if mine:
        raise ValueError(f"{path}: training keys {sorted(mine)} are set by {owner} itself")
    return path, cfg


def compose_rm_preset(name_or_path: str | os.PathLike, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """A preset plus ``key=value`` overrides (dotted keys, YAML values), checked: an unknown key
    anywhere - top level, ``data``/``loss``/``launch``, or a ``training`` key that is not a
    ``TrainingArguments`` field - fails with the valid names."""
    path, cfg = load_trainer_preset(
        name_or_path, overrides, kind="RM", preset_dir=PRESET_DIR, bundled=list_rm_presets(),
        preset_keys=PRESET_KEYS, sub_keys=_SUB_KEYS, owned=_OWNED, owner="rewards.rm.train",
    )  # fmt: skip
    for key in ("model", "output_dir", "max_length"):
        if cfg.get(key) in (None, ""):
            raise ValueError(f"{path}: missing '{key}'")
    if int(cfg["max_length"]) < 16:
        raise ValueError(f"{path}: max_length must be >= 16 tokens, got {cfg['max_length']}")
    if cfg.get("resume", "auto") not in ("auto", "never"):
        raise ValueError(f"{path}: resume must be 'auto' or 'never'")
    cfg.setdefault("loss", {})
    cfg["loss"] = {"margin": 0.0, "center_coeff": 0.0, **cfg["loss"]}
    cfg.setdefault("launch", {"nproc_per_node": 1})
    cfg.setdefault("resume", "auto")
    cfg["_path"] = str(path)
    cfg["_name"] = path.stem
    return cfg


# -- loss and accuracy -------------------------------------------------------------------------------


def bradley_terry_loss(r_chosen, r_rejected, margin: float = 0.0, center_coeff: float = 0.0):
    """Mean Bradley-Terry loss of reward tensors (raw logits) for the chosen and rejected sides:
    ``-log sigmoid(r_c - r_r - margin)`` plus ``center_coeff * (r_c + r_r)^2``, averaged over pairs."""
    import torch.nn.functional as F

    loss = -F.logsigmoid(r_chosen - r_rejected - margin)
    if center_coeff:
        loss = loss + center_coeff * (r_chosen + r_rejected) ** 2
    return loss.mean()


def pairwise_accuracy(r_chosen: Sequence[float], r_rejected: Sequence[float]) -> float:
    """Share of pairs whose chosen side scores higher; a tie counts one half (a coin flip)."""
    if len(r_chosen) != len(r_rejected):
        raise ValueError("r_chosen and r_rejected differ in length")
    if not len(r_chosen):
        raise ValueError("no pairs to score")
    won = sum(1.0 if c > r else 0.5 if c == r else 0.0 for c, r in zip(r_chosen, r_rejected, strict=True))
    return won / len(r_chosen)


# -- data ------------------------------------------------------------------------------------------


def encode_pairs(tok: Any, pairs: Sequence[Any], max_length: int) -> tuple[list[dict], dict[str, int]]:
    """Token ids for both sides of every pair (the scorer's own encoding,
    :func:`rewards.quality.classifier.build_inputs_info`) and what was cut: counts ``pairs``,
    ``truncated_chosen``, ``truncated_rejected``, ``truncated_pairs``, ``request_cut_sides``
    (sides whose request lost tokens) and token sums ``request_tokens_cut`` /
    ``answer_tokens_cut`` over both sides of every pair."""
    from rewards.quality.classifier import build_inputs_info

    rows = []
    counts = dict.fromkeys(
        (
            "pairs",
            "truncated_chosen",
            "truncated_rejected",
            "truncated_pairs",
            "request_cut_sides",
            "request_tokens_cut",
            "answer_tokens_cut",
        ),
        0,
    )
    for p in pairs:
        c = build_inputs_info(tok, p.prompt, p.chosen, max_length)
        r = build_inputs_info(tok, p.prompt, p.rejected, max_length)
        rows.append({"chosen_ids": c.ids, "rejected_ids": r.ids})
        counts["pairs"] += 1
        counts["truncated_chosen"] += int(c.truncated)
        counts["truncated_rejected"] += int(r.truncated)
        counts["truncated_pairs"] += int(c.truncated or r.truncated)
        counts["request_cut_sides"] += int(c.request_cut > 0) + int(r.request_cut > 0)
        counts["request_tokens_cut"] += c.request_cut + r.request_cut
        counts["answer_tokens_cut"] += c.answer_cut + r.answer_cut
    return rows, counts


class _PairCollator:
    """Pads a list of pairs into one batch: the chosen sides first, then the rejected ones."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, rows: list[dict]) -> dict:
        import torch

        seqs = [r["chosen_ids"] for r in rows] + [r["rejected_ids"] for r in rows]
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        return {"input_ids": ids, "attention_mask": mask}


def _trainer_class():
    import torch
    from transformers import Trainer

    class BradleyTerryTrainer(Trainer):
        """``Trainer`` with the Bradley-Terry pair loss; evaluation reports pairwise accuracy."""

        def __init__(self, *args: Any, margin: float = 0.0, center_coeff: float = 0.0, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.bt_margin = float(margin)
            self.bt_center = float(center_coeff)

        def _rewards(self, model, inputs):
            logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
            rewards = logits[:, 0].float()
            half = rewards.shape[0] // 2
            return rewards[:half], rewards[half:]

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            rc, rr = self._rewards(model, inputs)
            loss = bradley_terry_loss(rc, rr, self.bt_margin, self.bt_center)
            return (loss, {"r_chosen": rc, "r_rejected": rr}) if return_outputs else loss

        def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None):
            inputs = self._prepare_inputs(inputs)
            with torch.no_grad():
                rc, rr = self._rewards(model, inputs)
                loss = bradley_terry_loss(rc, rr, self.bt_margin, self.bt_center)
            if prediction_loss_only:
                return loss.detach(), None, None
            return loss.detach(), torch.stack([rc, rr], dim=1), torch.zeros(rc.shape[0], device=rc.device)

    return BradleyTerryTrainer


def _is_rank_zero() -> bool:
    """Whether this is the main process (``RANK`` 0 or not launched by torchrun)."""
    return int(os.environ.get("RANK", "0")) == 0


def check_fsdp(trainer: Any, training: dict[str, Any]) -> None:
    """Fail when the preset asks for FSDP but the Trainer did not enable it (accelerate shards
    only on accelerators; on CPU it would silently run plain DDP), or when FSDP would save a
    sharded state dict (``OUT/final`` must be a loadable Hugging Face folder)."""
    if not training.get("fsdp"):
        return
    if not trainer.is_fsdp_enabled:
        raise RuntimeError(
            f"the preset sets training.fsdp={training['fsdp']!r} but the Trainer runs without FSDP "
            f"(distributed type {trainer.accelerator.distributed_type}; accelerate enables FSDP only on "
            "GPUs/accelerators). Drop training.fsdp for a CPU run."
        )
    kind = str(trainer.accelerator.state.fsdp_plugin.state_dict_type)
    if "FULL_STATE_DICT" not in kind:
        raise RuntimeError(
            f"FSDP state_dict_type is {kind}; OUT/final needs FULL_STATE_DICT to be a loadable model folder"
        )


def save_final(trainer: Any, tok: Any, final: Path) -> None:
    """Write the final model to ``final`` from a run of any world size. Every process must call
    this: ``Trainer.save_model`` gathers the full state dict under FSDP (a collective) and writes
    on the main process only; after a barrier the main process writes the tokenizer."""
    trainer.save_model(str(final))
    trainer.accelerator.wait_for_everyone()
    if trainer.is_world_process_zero():
        tok.save_pretrained(str(final))
    trainer.accelerator.wait_for_everyone()


def _compute_metrics(eval_pred) -> dict[str, float]:
    preds = eval_pred.predictions
    return {"accuracy": pairwise_accuracy(list(preds[:, 0]), list(preds[:, 1]))}


def _resolve_model(model: str) -> str:
    if model == "tiny":
        from rollout.tiny import tiny_model_path

        return str(tiny_model_path(seed=0))
    return str(model)


def _last_checkpoint(out: Path) -> str | None:
    steps = [
        (int(p.name.split("-")[1]), p) for p in out.glob("checkpoint-*") if p.name.split("-")[1].isdigit()
    ]
    return str(max(steps)[1]) if steps else None


def train_rm(cfg: dict[str, Any]) -> dict[str, Any]:
    """Train one RM from a composed preset (:func:`compose_rm_preset`); returns the run summary
    (also written to ``OUT/rm_train.json``): truncation counts, final validation loss/accuracy,
    the final model folder."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainingArguments

    from rewards.rm.data import read_prepared

    data = cfg.get("data") or {}
    if not data.get("train"):
        raise ValueError("the RM preset needs data.train (a train.jsonl from `longwrite rm data`)")
    out = Path(cfg["output_dir"]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    model_path = _resolve_model(str(cfg["model"]))
    max_length = int(cfg["max_length"])

    tok = AutoTokenizer.from_pretrained(model_path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token or tok.unk_token
        log.warning("tokenizer has no pad token; using %r", tok.pad_token)
    train_pairs = read_prepared(data["train"])
    val_pairs = read_prepared(data["val"]) if data.get("val") else []
    train_rows, train_cut = encode_pairs(tok, train_pairs, max_length)
    val_rows, val_cut = encode_pairs(tok, val_pairs, max_length)
    for split, cut in (("train", train_cut), ("val", val_cut)):
        if cut["truncated_pairs"]:
            message = (
                f"{split}: {cut['truncated_pairs']}/{cut['pairs']} pair(s) truncated to {max_length} "
                f"tokens (request start + answer head and tail kept; chosen {cut['truncated_chosen']}, "
                f"rejected {cut['truncated_rejected']}; tokens cut: request {cut['request_tokens_cut']} "
                f"on {cut['request_cut_sides']} side(s), answer {cut['answer_tokens_cut']})"
            )
            log.warning("%s", message)
            if _is_rank_zero():
                print(f"rm train: {message}", file=sys.stderr)

    training = dict(cfg.get("training") or {})
    training.setdefault("report_to", [])
    if val_rows:
        training.setdefault("eval_strategy", "epoch")
    args = TrainingArguments(output_dir=str(out), remove_unused_columns=False, **training)
    model = AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=1)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id
    trainer = _trainer_class()(
        model=model,
        args=args,
        train_dataset=train_rows,
        eval_dataset=val_rows or None,
        data_collator=_PairCollator(tok.pad_token_id),
        processing_class=tok,
        compute_metrics=_compute_metrics if val_rows else None,
        margin=float(cfg["loss"]["margin"]),
        center_coeff=float(cfg["loss"]["center_coeff"]),
    )
    check_fsdp(trainer, training)
    resume = _last_checkpoint(out) if cfg.get("resume", "auto") == "auto" else None
    if resume and trainer.is_world_process_zero():
        print(f"rm train: resuming from {resume}", file=sys.stderr)
    result = trainer.train(resume_from_checkpoint=resume)
    final = out / "final"
    metrics = trainer.evaluate() if val_rows else {}
    save_final(trainer, tok, final)  # on every rank: a collective under FSDP
    summary = {
        "preset": cfg.get("_name"),
        "model": model_path,
        "final_model": str(final),
        "max_length": max_length,
        "loss": cfg["loss"],
        "truncation": {"train": train_cut, "val": val_cut},
        "train_loss": float(result.training_loss),
        "global_step": int(trainer.state.global_step),
        "resumed_from": resume,
        "val": {k.removeprefix("eval_"): v for k, v in metrics.items()},
        "torch_threads": torch.get_num_threads(),
        "world_size": int(trainer.args.world_size),
        "fsdp": bool(trainer.is_fsdp_enabled),
    }
    if trainer.is_world_process_zero():
        (out / "rm_train.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rewards.rm.train --preset NAME [key=value ...]``: one training process (what
    torchrun starts on each GPU; ``longwrite rm train`` runs it directly or through torchrun)."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--preset", required=True)
    p.add_argument("overrides", nargs="*")
    args = p.parse_args(argv)
    summary = train_rm(compose_rm_preset(args.preset, args.overrides))
    if _is_rank_zero():
        print(json.dumps({k: summary[k] for k in ("final_model", "truncation", "val")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
