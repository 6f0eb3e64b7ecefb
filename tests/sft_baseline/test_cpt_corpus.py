"""CPT corpus: bad rows named FILE:LINE, shards with a manifest, reuse, resume after an interruption,
and a changed source tokenised again."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from sft_baseline.cpt_corpus import Bad, ShardReader, iter_documents, load_manifest, tokenize_source
from sft_baseline.cpt_synthetic import book


@pytest.fixture(scope="module")
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


class Counting:
    """The real tokenizer, counting the documents it encodes; raises once ``fail_after`` calls ran
    (an interrupted tokenisation)."""

    def __init__(self, tok, fail_after: int | None = None):
        self.tok, self.fail_after, self.calls, self.docs = tok, fail_after, 0, 0
        self.eos_token_id, self.name_or_path = tok.eos_token_id, tok.name_or_path

    def __len__(self):
        return len(self.tok)

    def __call__(self, texts, **kw):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("interrupted")
        self.calls += 1
        self.docs += len(texts)
        return self.tok(texts, **kw)


def test_bad_rows_are_named_file_line_and_never_become_documents(tmp_path, tokenizer):
    src = tmp_path / "c.jsonl"
    lines = [json.dumps({"text": "first good"}).encode(), b"", b"{bad json", json.dumps({"x": 1}).encode(),
             json.dumps({"text": "  "}).encode(), b'{"text": "\xff\xfe"}', json.dumps({"text": "second good"}).encode()]  # fmt: skip
    src.write_bytes(b"\n".join(lines) + b"\n")
    m = tokenize_source(src, tmp_path / "tok", tokenizer)
    assert m["documents"] == 2 and m["rows"] == 7
    assert [r.split(": ", 1)[0] for r in m["bad_rows"]] == [f"{src}:{n}" for n in (2, 3, 4, 5, 6)]
    assert "not UTF-8" in m["bad_rows"][-1] and "not JSON" in m["bad_rows"][1]
    assert sum(s["rows"] for s in m["shards"]) == 7
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "a.txt").write_text("a whole book in one file", encoding="utf-8")
    (folder / "b.txt").write_text("\n\n", encoding="utf-8")
    (folder / "c.txt").write_bytes(b"\xc3\x28 broken")
    bad = Bad()
    docs = list(iter_documents(folder, bad))
    assert docs == ["a whole book in one file"]
    assert [r.split(": ", 1)[0] for r in bad.rows] == [f"{folder / 'b.txt'}:1", f"{folder / 'c.txt'}:1"]
    import pandas as pd

    pq = tmp_path / "p.parquet"
    pd.DataFrame({"text": ["one", None, "", "two"]}).to_parquet(pq)
    m = tokenize_source(pq, tmp_path / "tokp", tokenizer)
    assert m["documents"] == 2 and [r.split(": ", 1)[0] for r in m["bad_rows"]] == [f"{pq}:2", f"{pq}:3"]
    from sft_baseline.cpt_data import plan_packs

    only_bad = tmp_path / "bad.jsonl"
    only_bad.write_text("\n{}\n", encoding="utf-8")
    tokenize_source(only_bad, tmp_path / "tokb", tokenizer)
    with pytest.raises(ValueError, match="has no tokens"):
        plan_packs([ShardReader(tmp_path / "tokb")], [1.0], 64)


def _corpus(path, n=20, seed=0):
    rng = random.Random(seed)
    path.write_text("".join(json.dumps({"text": book(rng, 120)}) + "\n" for _ in range(n)), encoding="utf-8")
    return path


def _all_tokens(folder):
    r = ShardReader(folder)
    return [np.asarray(r.tokens(s, d)).tolist() for s, d, _ in r.document_lengths()]


def test_shards_reuse_and_resume_without_repeating_finished_shards(tmp_path, tokenizer):
    src = _corpus(tmp_path / "books.jsonl")
    kw = {"shard_tokens": 400, "batch_docs": 1}
    fresh = tokenize_source(src, tmp_path / "fresh", tokenizer, **kw)
    assert len(fresh["shards"]) >= 4 and fresh["documents"] == 20
    assert fresh["files"][0]["sha256"] and fresh["files"][0]["size"] == src.stat().st_size
    assert all(t[-1] == tokenizer.eos_token_id for t in _all_tokens(tmp_path / "fresh"))

    # interrupted after 9 documents: the shards finished by then stay, the manifest is incomplete
    broken = Counting(tokenizer, fail_after=9)
    with pytest.raises(KeyboardInterrupt):
        tokenize_source(src, tmp_path / "run", broken, **kw)
    partial = load_manifest(tmp_path / "run")
    done_docs = sum(s["documents"] for s in partial["shards"])
    assert not partial["complete"] and 0 < done_docs <= 9
    # resumed: only the documents after the finished shards are tokenised
    again = Counting(tokenizer)
    resumed = tokenize_source(src, tmp_path / "run", again, **kw)
    assert again.docs == 20 - done_docs
    assert resumed["complete"] and resumed["tokens"] == fresh["tokens"]
    assert [s["tokens"] for s in resumed["shards"]] == [s["tokens"] for s in fresh["shards"]]
    assert _all_tokens(tmp_path / "run") == _all_tokens(tmp_path / "fresh")

    # a rerun reuses the complete folder: not one document tokenised
    idle = Counting(tokenizer, fail_after=0)
    assert tokenize_source(src, tmp_path / "run", idle, **kw)["tokens"] == fresh["tokens"]

    # a changed source is tokenised again, and the manifest says why
    with src.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"text": "one more document"}) + "\n")
    changed = tokenize_source(src, tmp_path / "run", tokenizer, **kw)
    assert changed["documents"] == 21 and "source files changed" in changed["rebuilt_because"]
