"""rl.prompt_budget through rl.prepare / `longwrite prepare-rl`: prompts of several thousand
characters counted with the tiny policy's tokenizer against a small limit, refused or dropped and
recorded, and counted exactly as verl's own over-long filter counts them."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from longwrite.cli import main as longwrite_main
from rl.prepare import prepare_rl_data
from rl.prompt_budget import OverlongPromptsError, PromptBudget, budget_from_preset, count_prompt_tokens
from rollout.format import chat_messages

MATERIAL = "The river bends past the old mill, where the water slows and the town begins. "


def rows() -> list[dict]:
    """Six requests from about 100 to about 6,000 characters (pasted material makes them long)."""
    out = []
    for k, n in enumerate((1, 10, 25, 40, 60, 80)):
        prompt = f"Write a 2,000-word story set in this town.\n\nMaterial:\n{MATERIAL * n}"
        out.append({"id": f"r{k}", "prompt": prompt})
    out.append(
        {"id": "zh", "prompt": "写一篇2000字的散文，写小镇的河。" + "河水在磨坊旁转弯，小镇从这里开始。" * 60}
    )
    return out


def write(path: Path, items: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in items) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def counts(tiny_model):
    return count_prompt_tokens(
        [chat_messages(r["prompt"], "plan_write", "zh" if r["id"] == "zh" else "en") for r in rows()],
        str(tiny_model),
    )


def test_prompts_over_the_budget_are_refused_with_file_line_and_tokens(tmp_path, tiny_model, counts):
    assert max(len(r["prompt"]) for r in rows()) > 6000
    limit = sorted(counts)[3]  # the three longest prompts are over it
    prompts = write(tmp_path / "p.jsonl", rows())
    with pytest.raises(OverlongPromptsError) as exc:
        prepare_rl_data(prompts, tmp_path / "out", prompt_budget=PromptBudget(str(tiny_model), limit, "test"))
    over = [r["id"] for r, n in zip(rows(), counts, strict=True) if n > limit]
    assert len(over) == 3 and [o["id"] for o in exc.value.overlong] == over
    for o in exc.value.overlong:
        line = [r["id"] for r in rows()].index(o["id"]) + 1
        assert f"{prompts}:{line}: id {o['id']!r}: {counts[line - 1]} tokens" in str(exc.value)
    assert not (tmp_path / "out" / "train.parquet").exists()  # nothing written


def test_drop_records_every_dropped_prompt_in_the_manifest(tmp_path, tiny_model, counts):
    limit = sorted(counts)[3]
    prompts = write(tmp_path / "p.jsonl", rows())
    data = prepare_rl_data(
        prompts,
        tmp_path / "out",
        val_fraction=0.0,
        prompt_budget=PromptBudget(str(tiny_model), limit, "test"),
        overlong="drop",
    )
    kept = [r["extra_info"]["id"] for r in pq.read_table(data.train).to_pylist()]
    assert kept == [r["id"] for r, n in zip(rows(), counts, strict=True) if n <= limit] and data.n_train == 4
    entry = json.loads(data.manifest.read_text())["prompt_tokens"]
    assert entry["max_prompt_length"] == limit and entry["checked"] == 7 and entry["kept"] == 4
    assert entry["longest_kept"] == limit
    assert [(d["id"], d["tokens"], d["line"]) for d in entry["dropped"]] == [
        (r["id"], n, k + 1) for k, (r, n) in enumerate(zip(rows(), counts, strict=True)) if n > limit
    ]


def test_counts_match_verls_own_overlong_filter(tmp_path, tiny_model, counts):
    """verl's RLHFDataset, given our parquet and the same limit, keeps exactly the prompts we keep:
    the count is verl's (chat template, generation prompt, system + user messages)."""
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    data = prepare_rl_data(write(tmp_path / "p.jsonl", rows()), tmp_path / "out", val_fraction=0.0)
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    for limit in (counts[2], counts[2] - 1):  # at a prompt's exact length, and one token under
        config = OmegaConf.create(
            {
                "max_prompt_length": limit,
                "filter_overlong_prompts": True,
                "filter_overlong_prompts_workers": 1,
                "prompt_key": "prompt",
                "cache_dir": str(tmp_path / "cache"),
            }
        )
        ds = RLHFDataset([str(data.train)], tok, config)
        verl_kept = sorted(row["extra_info"]["id"] for row in ds.dataframe)
        ours = sorted(r["id"] for r, n in zip(rows(), counts, strict=True) if n <= limit)
        assert verl_kept == ours


def test_base_style_counts_the_base_frame(tmp_path, tiny_model):
    from rollout.format import BASE_CHAT_TEMPLATE

    msgs = [chat_messages(rows()[3]["prompt"], "plan_write", "en")]
    chat = count_prompt_tokens(msgs, str(tiny_model))[0]
    base = count_prompt_tokens(msgs, str(tiny_model), BASE_CHAT_TEMPLATE)[0]
    assert chat != base
    data = prepare_rl_data(
        write(tmp_path / "p.jsonl", rows()[3:4]),
        tmp_path / "out",
        val_fraction=0.0,
        style="base",
        prompt_budget=PromptBudget(str(tiny_model), 100_000, "test"),
    )
    entry = json.loads(data.manifest.read_text())["prompt_tokens"]
    assert entry["longest_kept"] == base and entry["chat_template"].startswith("base frame")


def test_cli_refuses_or_drops_and_prints_the_counts(tmp_path, tiny_model, counts, capsys):
    prompts = write(tmp_path / "p.jsonl", rows())
    limit = sorted(counts)[3]
    argv = ["prepare-rl", "--prompts", str(prompts), "--out", str(tmp_path / "out"), "--val-fraction", "0"]
    argv += ["--preset", "tiny-cpu", "--max-prompt-length", str(limit)]
    assert longwrite_main(argv) == 2
    err = capsys.readouterr().err
    assert "3 prompt(s) exceed max_prompt_length" in err and f"{prompts}:6: id 'r5'" in err
    assert longwrite_main([*argv, "--overlong", "drop"]) == 0
    out = capsys.readouterr().out
    assert f"7 prompts checked against max_prompt_length {limit}" in out and "dropped 3" in out
    assert f"dropped {prompts}:6 id 'r5' (train): {counts[5]} tokens" in out
    # the preset's own limit (tiny-cpu: 512 tokens) and model (the tiny model) by default
    budget = budget_from_preset("tiny-cpu")
    assert budget.max_prompt_length == 512 and Path(budget.tokenizer) == tiny_model
