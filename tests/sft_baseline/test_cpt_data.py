"""CPT data: no loss across a document boundary under verl's own collator and SFT loss, long
documents split (never dropped), mixing by tokens, and verl loading our dataset class."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from sft_baseline.cpt_corpus import ShardReader, tokenize_source
from sft_baseline.cpt_data import CPTDataset, pack_arrays, plan_packs, read_plan, write_plan
from sft_baseline.cpt_synthetic import book, reasoning_trace


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def _jsonl(path, texts):
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return path


def _source(tmp_path, tokenizer, name, texts, **kw):
    src = _jsonl(tmp_path / f"{name}.jsonl", texts)
    tokenize_source(src, tmp_path / f"tok-{name}", tokenizer, **kw)
    return ShardReader(tmp_path / f"tok-{name}")


def _flat_transition_kinds(packs):
    """For the flattened micro-batch of ``packs`` (verl concatenates them), whether the prediction
    at flat position t (of token t+1, cyclically: verl rolls) stays inside one segment."""
    seg_ids = []
    n = 0
    for pack in packs:
        for s in pack:
            seg_ids += [n] * s.length
            n += 1
    seg = np.array(seg_ids)
    return seg == np.roll(seg, -1)


def test_no_loss_across_a_document_boundary_in_verls_loss(tmp_path, tokenizer):
    """Short documents packed several to a pack; verl's collator and ``sft_loss`` on log-probs that
    are -1 for a prediction inside a document and -1000 for one across a boundary: the loss counts
    every in-document prediction and no cross-document one."""
    from verl.utils import tensordict_utils as tu
    from verl.utils.dataset.dataset_utils import DatasetPadMode, SFTTensorCollator
    from verl.workers.utils.losses import sft_loss

    rng = random.Random(0)
    texts = [reasoning_trace(rng, rng.randint(0, 2)) for _ in range(16)]  # 100-200 tokens each
    reader = _source(tmp_path, tokenizer, "short", texts)
    packs, summary = plan_packs([reader], [1.0], seq_len=320, seed=3)
    multi = [p for p in packs if len(p) >= 2][:3]
    assert len(multi) == 3, "the tiny pack needs several documents in a pack"
    items = []
    for pack in multi:
        ids, pos, mask = pack_arrays(pack, [reader])
        items.append({"input_ids": torch.from_numpy(ids), "position_ids": torch.from_numpy(pos),
                      "loss_mask": torch.from_numpy(mask)})  # fmt: skip
    batch = SFTTensorCollator(DatasetPadMode.NO_PADDING)(items)
    inside = _flat_transition_kinds(multi)
    log_probs = torch.where(torch.from_numpy(inside), -1.0, -1000.0).double()
    nested = torch.nested.nested_tensor_from_jagged(log_probs, offsets=batch["loss_mask"].offsets())
    # the TensorDict verl's trainer builds: loss mask as tensor, the rest as non-tensor data
    data = tu.get_tensordict(
        {"loss_mask": batch["loss_mask"]},
        {"dp_size": 1, "batch_num_tokens": 1, "pad_mode": DatasetPadMode.NO_PADDING},
    )
    loss, _ = sft_loss(None, {"log_probs": nested}, data)
    assert loss.item() == pytest.approx(float(inside.sum())), (
        "a cross-document prediction is in the loss"
        if loss.item() > inside.sum()
        else "an in-document one is not"
    )
    # and the masks themselves: 0 exactly at each segment's first token
    for pack, item in zip(multi, items, strict=True):
        starts = np.cumsum([0] + [s.length for s in pack[:-1]])
        assert set(np.flatnonzero(item["loss_mask"].numpy() == 0)) == set(starts)
        assert (item["position_ids"].numpy()[starts] == 0).all()


def test_long_documents_are_split_into_masked_chunks_never_dropped(tmp_path, tokenizer):
    rng = random.Random(1)
    long_doc = book(rng, 10_000)  # a 10,000-word document: far over the pack length
    texts = [long_doc, book(rng, 300), book(rng, 2000)]
    reader = _source(tmp_path, tokenizer, "long", texts)
    lengths = [n for _, _, n in reader.document_lengths()]
    seq_len = 512
    packs, summary = plan_packs([reader], [1.0], seq_len=seq_len, seed=0)
    (src,) = summary["sources"]
    assert src["documents_split"] == sum(n > seq_len for n in lengths) >= 2
    assert src["chunks"] == sum(-(-n // seq_len) for n in lengths)
    assert summary["tokens"] == sum(lengths) == sum(s.length for p in packs for s in p)  # nothing dropped
    assert all(sum(s.length for s in p) <= seq_len for p in packs)
    # every chunk's tokens, reassembled in order, are the document's tokens
    chunks = sorted((s for p in packs for s in p if s.doc == 0), key=lambda s: s.start)
    whole = np.concatenate([reader.tokens(0, 0, s.start, s.end) for s in chunks])
    assert np.array_equal(whole, reader.tokens(0, 0))
    assert whole[-1] == tokenizer.eos_token_id
    for p in packs:  # each chunk's first token masked, the rest scored
        _, pos, mask = pack_arrays(p, [reader])
        assert (mask == (pos != 0)).all()
    assert summary["loss_tokens"] == summary["tokens"] - summary["segments"]


def test_mixing_by_tokens_records_the_realised_mix_and_repeats(tmp_path, tokenizer):
    rng = random.Random(2)
    books = _source(tmp_path, tokenizer, "books", [book(rng, 400) for _ in range(30)])
    traces = _source(tmp_path, tokenizer, "traces", [book(rng, 100) for _ in range(10)])
    packs, s = plan_packs([books, traces], [9.0, 1.0], seq_len=1024, seed=0)
    b, t = s["sources"]
    assert b["passes"] == 1 and b["tokens"] == b["available_tokens"]  # the constraining source: once
    assert t["share_realised"] == pytest.approx(0.1, abs=0.02)
    assert b["share_realised"] + t["share_realised"] == pytest.approx(1.0)
    # a budget above what a source holds: it repeats, and says so
    _, s2 = plan_packs([books, traces], [1.0, 1.0], seq_len=1024, tokens=4 * b["available_tokens"], seed=0)
    assert s2["sources"][1]["passes"] > 1 and s2["sources"][0]["passes"] > 1
    assert s2["sources"][1]["share_realised"] == pytest.approx(0.5, abs=0.02)
    with pytest.raises(ValueError, match="weight must be a positive number"):
        plan_packs([books, traces], [1.0, 0.0], seq_len=1024)


def test_verl_loads_the_dataset_class_through_custom_cls(tmp_path, tokenizer):
    """verl's own ``create_sft_dataset`` with the composed tiny-cpu CPT config."""
    from verl.trainer.sft_trainer import create_sft_dataset

    from sft_baseline.cpt import build_cpt_plan

    rng = random.Random(3)
    reader = _source(tmp_path, tokenizer, "b", [book(rng, 700) for _ in range(6)])
    packs, summary = plan_packs([reader], [1.0], seq_len=1024, seed=0)
    packs_file = write_plan(packs, summary, tmp_path / "data")
    plan = build_cpt_plan(
        "tiny-cpu", tmp_path / "out", [str(tmp_path / "b.jsonl")], [f"data.train_files={packs_file}"]
    )
    cfg = plan.cfg
    cfg.data.train_files = str(packs_file)
    ds = create_sft_dataset(cfg.data.train_files, cfg.data, tokenizer, None)
    assert type(ds).__name__ == "CPTDataset" and len(ds) == len(packs)
    item = ds[0]
    assert item["input_ids"].dtype == torch.long and item["input_ids"].shape == item["loss_mask"].shape
    assert (
        item["loss_mask"][0] == 0
        and item["loss_mask"][1:].sum() == item["input_ids"].numel() - (item["position_ids"] == 0).sum()
    )
    back, _ = read_plan(packs_file)
    assert back == packs
    cfg.data.max_length = 512
    with pytest.raises(ValueError, match="data.max_length=512"):
        CPTDataset(str(packs_file), tokenizer, cfg.data)
    cfg.data.max_length = 1024
    cfg.data.pad_mode = "right"
    with pytest.raises(ValueError, match="no_padding"):
        CPTDataset(str(packs_file), tokenizer, cfg.data)
