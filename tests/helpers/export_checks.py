"""Checks of ``longwrite export`` on a real verl checkpoint, shared by the slow tests that already
train one (tests/rl/test_train_e2e.py: GRPO; tests/sft_baseline/test_sft_tiny.py: SFT), so no
extra verl run is needed for them.

:func:`check_export` exports a run folder through the CLI and checks: the latest step was taken;
the Hugging Face folder is complete (safetensors, config, tokenizer, chat template); every
exported weight equals the trained FSDP shard's own tensor (read with ``torch.load``) cast to
bfloat16, the dtype verl's merger writes, and at least one differs from the starting model (so the
export is the trained model, not a copy of the base); transformers loads it and its chat template
renders; a second call reuses the cache; ``resolve_model`` maps the run folder to the export.
"""

from __future__ import annotations

import json
from pathlib import Path


def check_export(run: Path, expected_step: Path, base_model: Path, capsys=None) -> Path:
    """Export ``run`` with ``longwrite export`` and check the result (see the module docstring);
    returns the export folder."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from longwrite.cli import main
    from rollout.checkpoint import EXPORT_DIRNAME, resolve_model

    # What a killed export leaves: a temporary folder, never hf_export itself; the next export
    # removes it.
    stale = expected_step / f".{EXPORT_DIRNAME}.tmp-99999-killed"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"half")

    assert main(["export", str(run)]) == 0
    out = expected_step / EXPORT_DIRNAME
    assert not stale.exists()
    if capsys is not None:
        printed = capsys.readouterr().out
        assert f"checkpoint: {expected_step}" in printed and str(out) in printed
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert (out / "chat_template.jinja").is_file() or "chat_template" in json.loads(
        (out / "tokenizer_config.json").read_text()
    )
    assert not list(out.parent.glob(f".{EXPORT_DIRNAME}.tmp-*")), "a temporary export folder was left behind"

    # The exported weights are the trained shard's, cast to bf16 by verl's merger.
    model_dir = expected_step / "actor" if (expected_step / "actor").is_dir() else expected_step
    ws = json.loads((model_dir / "fsdp_config.json").read_text())["world_size"]
    assert ws == 1, "this check reads a single-rank checkpoint"
    shard = torch.load(model_dir / "model_world_size_1_rank_0.pt", map_location="cpu", weights_only=False)
    exported = load_file(out / "model.safetensors")
    base = load_file(base_model / "model.safetensors")
    compared, changed = 0, 0
    for key, value in shard.items():
        trained = (value.full_tensor() if hasattr(value, "full_tensor") else value).to(torch.bfloat16)
        if key not in exported:  # tied lm_head: the merger drops the copy of the embedding
            continue
        assert exported[key].dtype == torch.bfloat16
        assert torch.equal(exported[key], trained), f"{key}: exported weight differs from the checkpoint"
        compared += 1
        changed += not torch.equal(exported[key], base[key].to(torch.bfloat16))
    assert compared == len(exported) and compared >= 10, (compared, len(exported))
    assert changed > 0, "every exported weight equals the base model's: not the trained checkpoint"

    # transformers loads it; its chat template renders; it generates.
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out)
    text = tok.apply_chat_template(
        [{"role": "user", "content": "Write a poem."}], tokenize=False, add_generation_prompt=True
    )
    assert "Write a poem." in text
    ids = tok(text, return_tensors="pt").input_ids
    gen = model.generate(ids, max_new_tokens=4, do_sample=False)
    assert gen.shape[1] > ids.shape[1]

    # Cached: a second export (and resolve_model on the run folder) reuses it untouched.
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    assert main(["export", str(run)]) == 0
    assert resolve_model(str(run)) == str(out)
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp
    return out
