"""CPT presets compose against verl's SFT tree; unpublished settings are refused until given;
`longwrite cpt --dry-run` and `longwrite submit --cpt --dry-run` compose and write nothing."""

from __future__ import annotations

import pytest

from longwrite.cli import main
from sft_baseline.cpt import build_cpt_plan, list_cpt_presets, parse_data_arg

BIG = "qwen2.5-32b-longwriter-zero"
BIG_GIVEN = [
    "optim.lr=1e-5",
    "data.max_length=32768",
    "data.max_token_len_per_gpu=32768",
    "data.train_batch_size=64",
]


def test_both_presets_ship_and_compose(tmp_path):
    assert {"tiny-cpu", BIG} <= set(list_cpt_presets())
    plan = build_cpt_plan("tiny-cpu", tmp_path / "o", ["a.jsonl", "b.jsonl:0.1"])
    assert (
        plan.cfg.data.custom_cls.path == "pkg://sft_baseline.cpt_data"
        and plan.cfg.data.custom_cls.name == "CPTDataset"
    )
    assert plan.cfg.data.pad_mode == "no_padding" and plan.cfg.data.train_files == str(plan.packs_file)
    assert plan.run_dir == (tmp_path / "o" / "run").resolve()
    assert [s["weight"] for s in plan.cpt["sources"]] == [1.0, 0.1]
    big = build_cpt_plan(BIG, tmp_path / "b", ["/d/books:0.99", "/d/traces.jsonl:0.01"], BIG_GIVEN)
    assert big.cfg.model.path == "Qwen/Qwen2.5-32B" and big.cpt["tokens"] == 30_000_000_000
    assert big.cfg.data.max_length == 32768 and big.cfg.optim.lr == 1e-5
    assert not (tmp_path / "o").exists() and not (tmp_path / "b").exists()  # composing writes nothing


def test_the_32b_preset_refuses_each_unknown_until_given(tmp_path):
    with pytest.raises(ValueError) as err:
        build_cpt_plan(BIG, tmp_path / "b")
    msg = str(err.value)
    for key in ("optim.lr", "data.max_length", "data.train_batch_size", "data.max_token_len_per_gpu",
                "cpt.sources[0].path", "cpt.sources[1].weight"):  # fmt: skip
        assert f"\n{key}: " in msg, key
    with pytest.raises(ValueError) as err:
        build_cpt_plan(BIG, tmp_path / "b", ["/d/books"], BIG_GIVEN[1:])  # sources given, lr not
    assert err.value.args[0].splitlines()[1:] == [
        "optim.lr: UNKNOWN: not published for LongWriter-Zero's CPT; give optim.lr=..."
    ]


def test_overrides_split_between_cpt_and_verl(tmp_path):
    plan = build_cpt_plan(
        "tiny-cpu", tmp_path, ["a.jsonl"], ["cpt.tokens=5000", "cpt.seed=3", "optim.lr=2e-3"]
    )
    assert plan.cpt["tokens"] == 5000 and plan.cpt["seed"] == 3 and plan.cfg.optim.lr == 2e-3
    with pytest.raises(ValueError, match="cpt keys are"):
        build_cpt_plan("tiny-cpu", tmp_path, ["a.jsonl"], ["cpt.tokenz=5"])
    with pytest.raises(ValueError, match="unknown verl SFT config key 'optim.lrr'"):
        build_cpt_plan("tiny-cpu", tmp_path, ["a.jsonl"], ["optim.lrr=1"])
    with pytest.raises(ValueError, match="no CPT sources"):
        build_cpt_plan("tiny-cpu", tmp_path)
    with pytest.raises(ValueError, match="max_token_len_per_gpu"):
        build_cpt_plan("tiny-cpu", tmp_path, ["a.jsonl"], ["data.max_length=4096"])


def test_data_arguments():
    assert parse_data_arg("/d/books.jsonl") == {"path": "/d/books.jsonl", "weight": 1.0}
    assert parse_data_arg("/d/traces.jsonl:0.05") == {"path": "/d/traces.jsonl", "weight": 0.05}
    assert parse_data_arg("C:dir") == {"path": "C:dir", "weight": 1.0}  # not a number: part of the path
    with pytest.raises(ValueError, match="positive"):
        parse_data_arg("/d/x.jsonl:0")


def test_cpt_dry_run_prints_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["cpt", "--preset", "tiny-cpu", "--data", "a.jsonl", "--data", "b.jsonl:0.1", "--out", str(out),
                 "--dry-run", "optim.lr=5e-3"]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert "CPTDataset" in text and "lr: 0.005" in text and "sft_baseline.verl_sft" in text
    assert not out.exists()
    assert main(["cpt", "--preset", BIG, "--out", str(out), "--dry-run"]) == 2
    assert "optim.lr: UNKNOWN" in capsys.readouterr().err


def test_submit_cpt_dry_run_composes_the_job(tmp_path, capsys):
    rc = main(["submit", "--cpt", "--preset", BIG, "--cpt-data", "/data/books:0.99", "--cpt-data",
               "/data/traces.jsonl:0.01", "--output-dir", "/ckpt/cpt", "--dry-run", *BIG_GIVEN])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "entrypoint_num_gpus=8" in out
    assert f"-m longwrite.cli cpt --preset {BIG} --out /ckpt/cpt --data /data/books:0.99" in out
    assert "optim.lr=1e-5" in out
    assert not (tmp_path / "ckpt").exists()
    assert main(["submit", "--cpt", "--preset", BIG, "--output-dir", "/ckpt/cpt", "--dry-run"]) == 2
    assert "data.max_length: UNKNOWN" in capsys.readouterr().err
