"""rl.prepare / `longwrite prepare-rl`: validation with file:line errors, targets, split, parquet, verl."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from longwrite.cli import main as longwrite_main
from rl.prepare import (
    parquet_schema,
    prepare_rl_data,
    read_prompts,
    resolve_targets,
    split_train_val,
    verl_overrides,
)
from rollout.format import BASE_CHAT_TEMPLATE, base_prompt, chat_messages

ROWS = [
    {"id": "a", "prompt": "Write a 1,000-word essay about bridges.", "type": "essay"},
    {"id": "b", "prompt": "写一篇800字左右的散文，题目是《雨后的操场》。"},
    {"id": "c", "prompt": "Write a poem about a quiet harbour.", "target": {"lower": 120, "upper": 200}},
    {"id": "d", "prompt": "Write a short speech thanking volunteers."},
    {"id": 5, "prompt": "写一篇介绍本地早餐文化的文章。", "type": "essay"},
    {"id": "f", "prompt": "Describe a mountain village at dawn, about 600 words."},
]


def write_jsonl(path: Path, rows: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_prompts_valid_rows(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [ROWS[0], "", ROWS[1], ROWS[4]])
    rows = read_prompts(path)
    assert [r.id for r in rows] == ["a", "b", "5"]
    assert [r.line for r in rows] == [1, 3, 4]  # the blank line is skipped but still counted
    assert [r.language for r in rows] == ["en", "zh", "zh"]
    assert rows[0].type == "essay" and rows[1].type is None


@pytest.mark.parametrize(
    "bad, message",
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"id": "x"}', "'prompt' must be a non-empty string"),
        ('{"id": "x", "prompt": "   "}', "'prompt' must be a non-empty string"),
        ('{"id": "x", "prompt": "Write.", "lenght": 5}', "unknown key(s) ['lenght']"),
        ('{"id": "a", "prompt": "Write again."}', "duplicate id 'a' (first on line 1)"),
        ('{"id": ["x"], "prompt": "Write."}', "'id' must be a non-empty string"),
        ('{"id": "x", "prompt": "Write.", "type": 3}', "'type' must be a string"),
        ('{"id": "x", "prompt": "Write.", "language": "fr"}', "'language' must be one of"),
        ('{"id": "x", "prompt": "Write.", "target": 500}', "'target' must be an object"),
        ('{"id": "x", "prompt": "Write.", "target": {"lower": 500}}', "'target.upper' must be"),
        (
            '{"id": "x", "prompt": "Write.", "target": {"lower": 0, "upper": 300}}',
            "'target.lower' is 0 (0..300): an empty answer would get the full length reward",
        ),
        ('{"id": "x", "prompt": "Write.", "target": {"lower": 9, "upper": 3}}', "lower <= upper"),
        ('{"id": "x", "prompt": "Write.", "target": {"lower": 1.5, "upper": 3}}', "'target.lower' must be"),
        (
            '{"id": "x", "prompt": "Write.", "target": {"lower": 1, "upper": 3, "unit": "pages"}}',
            "'target.unit'",
        ),
        (
            '{"id": "x", "prompt": "Write.", "target": {"lower": 1, "upper": 3, "min": 1}}',
            "unknown key(s) ['min']",
        ),
    ],
)
def test_bad_row_names_file_and_line(tmp_path, bad, message):
    path = write_jsonl(tmp_path / "p.jsonl", [ROWS[0], "", bad, ROWS[1]])
    with pytest.raises(ValueError) as err:
        read_prompts(path)
    assert str(err.value).startswith(f"{path}:3: ")
    assert message in str(err.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="prompts file not found"):
        read_prompts(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n")
    with pytest.raises(ValueError, match="no requests found"):
        read_prompts(tmp_path / "empty.jsonl")


def test_default_id_is_a_stable_hash(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [{"prompt": "Write a haiku."}, {"prompt": "Write a limerick."}])
    first = [r.id for r in read_prompts(path)]
    assert first == [r.id for r in read_prompts(path)]
    assert len(set(first)) == 2 and all(i.startswith("p-") for i in first)


def test_targets_explicit_row_explicit_text_and_fallback(tmp_path):
    rows = read_prompts(write_jsonl(tmp_path / "p.jsonl", ROWS))
    targets = resolve_targets(rows)
    by_id = dict(zip([r.id for r in rows], targets, strict=True))
    # a stated length: LongWriter-Zero's rule for "N words" is [0.9N, 1.1N]
    assert by_id["a"] == {"lower": 900, "upper": 1100, "unit": "words", "source": "explicit"}
    assert by_id["b"] == {"lower": 720, "upper": 880, "unit": "chars", "source": "explicit"}
    # the row's own range wins, in the language's unit
    assert by_id["c"] == {"lower": 120, "upper": 200, "unit": "words", "source": "explicit"}
    # no length anywhere: the deterministic fallback, in the request's unit
    assert by_id["d"]["source"] == "fallback" and by_id["d"]["unit"] == "words"
    assert by_id["5"]["source"] == "fallback" and by_id["5"]["unit"] == "chars"
    assert 0 < by_id["d"]["lower"] < by_id["d"]["upper"]


def test_split_is_deterministic_order_free_and_sized():
    ids = [f"id-{i}" for i in range(200)]
    splits = split_train_val(ids, 0.1, seed=3)
    assert splits.count("val") == 20
    assert splits == split_train_val(ids, 0.1, seed=3)
    # shuffling the input moves no id across the split
    rev = split_train_val(ids[::-1], 0.1, seed=3)
    assert dict(zip(ids[::-1], rev, strict=True)) == dict(zip(ids, splits, strict=True))
    # another seed, another split
    assert split_train_val(ids, 0.1, seed=4) != splits
    # tiny sets: at least one val row when asked, never all
    assert split_train_val(["x", "y"], 0.01).count("val") == 1
    assert split_train_val(["x", "y", "z"], 0.0).count("val") == 0
    assert split_train_val(["x"], 0.5) == ["train"]
    with pytest.raises(ValueError, match="val_fraction"):
        split_train_val(ids, 1.0)


def test_prepare_writes_verl_parquet(tmp_path):
    prompts = write_jsonl(tmp_path / "p.jsonl", ROWS)
    data = prepare_rl_data(prompts, tmp_path / "out", val_fraction=0.34, seed=0)
    assert (data.n_train, data.n_val) == (4, 2)
    assert data.paths == (tmp_path / "out" / "train.parquet", tmp_path / "out" / "val.parquet")
    train, val = pq.read_table(data.train), pq.read_table(data.val)
    assert train.schema.equals(parquet_schema()) and val.schema.equals(parquet_schema())
    rows = train.to_pylist() + val.to_pylist()
    assert sorted(r["extra_info"]["id"] for r in rows) == ["5", "a", "b", "c", "d", "f"]
    for r in rows:
        info = r["extra_info"]
        src = next(x for x in ROWS if str(x["id"]) == info["id"])
        assert r["data_source"] == "longwriter_rl"
        assert r["prompt"] == chat_messages(src["prompt"], "plan_write", info["language"])
        assert r["prompt"][0]["role"] == "system" and r["prompt"][1]["content"] == src["prompt"]
        assert info["request"] == src["prompt"]
        assert json.loads(r["reward_model"]["ground_truth"]) == info["target"]
        assert r["reward_model"]["style"] == "rule"
        assert info["split"] in ("train", "val")
    assert {r["extra_info"]["split"] for r in val.to_pylist()} == {"val"}
    manifest = json.loads(data.manifest.read_text())
    assert manifest["n_train"] == 4 and manifest["target_sources"] == {"explicit": 4, "fallback": 2}
    assert manifest["verl_overrides"] == {
        "data.train_files": str(data.train),
        "data.val_files": str(data.val),
    }
    assert data.chat_template is None
    # re-running gives byte-identical parquet (deterministic)
    again = prepare_rl_data(prompts, tmp_path / "out2", val_fraction=0.34, seed=0)
    assert pq.read_table(again.train).equals(train)


def test_bad_input_writes_nothing(tmp_path):
    prompts = write_jsonl(tmp_path / "p.jsonl", [ROWS[0], '{"prompt": 1}'])
    with pytest.raises(ValueError, match=r"p\.jsonl:2: "):
        prepare_rl_data(prompts, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="go together"):
        prepare_rl_data(prompts, tmp_path / "out", length_endpoint="http://127.0.0.1:1/v1")
    with pytest.raises(ValueError, match="unknown style"):
        prepare_rl_data(prompts, tmp_path / "out", style="raw")


def test_base_style_ships_the_template_and_renders_the_raw_frame(tmp_path, tiny_model):
    """Through verl's own RLHFDataset and the tokenizer, as the trainer will load them."""
    from omegaconf import OmegaConf
    from transformers import AutoTokenizer
    from verl.utils.dataset.rl_dataset import RLHFDataset

    prompts = write_jsonl(tmp_path / "p.jsonl", ROWS)
    data = prepare_rl_data(prompts, tmp_path / "out", style="base", val_fraction=0.2)
    assert data.chat_template.read_text() == BASE_CHAT_TEMPLATE
    overrides = json.loads(data.manifest.read_text())["verl_overrides"]
    assert overrides == verl_overrides(data, "base")
    assert overrides["actor_rollout_ref.model.custom_chat_template"] == BASE_CHAT_TEMPLATE

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model))
    kwargs = {"chat_template": overrides["data.apply_chat_template_kwargs.chat_template"]}
    config = OmegaConf.create(
        {
            "max_prompt_length": 4096,
            "filter_overlong_prompts": True,
            "filter_overlong_prompts_workers": 1,
            "apply_chat_template_kwargs": kwargs,
            "cache_dir": str(tmp_path / "cache"),
        }
    )
    dataset = RLHFDataset(str(data.train), tokenizer, config)
    assert len(dataset) == data.n_train  # nothing dropped by verl's prompt filter
    for i in range(len(dataset)):
        item = dataset[i]
        request = item["extra_info"]["request"]
        text = tokenizer.apply_chat_template(
            item["raw_prompt"], tokenize=False, add_generation_prompt=True, **kwargs
        )
        assert text == base_prompt(request, "plan_write", item["extra_info"]["language"])
        assert item["extra_info"]["target"]["source"] in ("explicit", "fallback")
        assert item["reward_model"]["ground_truth"]
        evidence = item["extra_info"]["target_evidence"]  # the #16 columns survive verl's loader
        assert evidence["rule"] or evidence["reason"]


def test_cli_prepare_rl(tmp_path, capsys):
    prompts = write_jsonl(tmp_path / "p.jsonl", ROWS)
    out = tmp_path / "out"
    argv = ["prepare-rl", "--prompts", str(prompts), "--out", str(out), "--val-fraction", "0.2"]
    assert longwrite_main(argv) == 2  # no --preset: the prompts' token budget is unknown
    assert "--preset NAME is required" in capsys.readouterr().err
    rc = longwrite_main([*argv, "--preset", "tiny-cpu"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "train:" in printed and "explicit 4" in printed and "fallback 2" in printed
    assert pq.read_table(out / "train.parquet").num_rows + pq.read_table(out / "val.parquet").num_rows == 6
    # a bad row: exit status 2 and one line naming the file and line
    bad = write_jsonl(tmp_path / "bad.jsonl", [ROWS[0], '{"id": "z"}'])
    rc = longwrite_main(
        ["prepare-rl", "--prompts", str(bad), "--out", str(tmp_path / "o2"), "--preset", "tiny-cpu"]
    )
    assert rc == 2
    assert f"{bad}:2: 'prompt' must be a non-empty string" in capsys.readouterr().err


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exc:
        longwrite_main(["prepare-rl", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in (
        "--prompts",
        "--out",
        "--val-fraction",
        "--style",
        "--template",
        "--length-endpoint",
        "--seed",
    ):
        assert flag in text


def test_predicted_ranges_from_an_endpoint_are_cached(tmp_path, fake_openai, capsys):
    """`--length-endpoint`: a real OpenAI-compatible HTTP server on 127.0.0.1 predicts ranges for
    requests without a stated length; a second run reuses the cache and asks nothing."""

    def responder(body, attempt):
        request = body["messages"][-1]["content"]
        if "volunteers" in request:
            return '{"lower": 300, "upper": 500}'
        if "早餐" in request:
            return "I think about 1000 to 1600 characters"  # no JSON: the fallback applies
        return '{"lower": 700, "upper": 900}'

    server = fake_openai(responder)
    prompts = write_jsonl(tmp_path / "p.jsonl", ROWS)
    out = tmp_path / "out"
    argv = ["prepare-rl", "--prompts", str(prompts), "--out", str(out), "--preset", "tiny-cpu"]
    argv += ["--length-endpoint", server.url, "--length-model", server.model]
    assert longwrite_main(argv) == 0
    rows = pq.read_table(out / "train.parquet").to_pylist() + pq.read_table(out / "val.parquet").to_pylist()
    target = {r["extra_info"]["id"]: r["extra_info"]["target"] for r in rows}
    assert target["d"] == {"lower": 300, "upper": 500, "unit": "words", "source": "predicted"}
    assert target["5"]["source"] == "fallback" and target["5"]["unit"] == "chars"
    assert target["a"]["source"] == "explicit" and target["c"]["source"] == "explicit"
    asked = len(server.snapshot())
    assert asked == 2  # only the two requests without any stated or given length
    assert "predicted 1" in capsys.readouterr().out

    assert longwrite_main(argv) == 0
    assert len(server.snapshot()) == asked + 1  # the cached answer is reused; the invalid one is asked again
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["length_endpoint"] == server.url
    assert manifest["target_sources"] == {"explicit": 4, "fallback": 1, "predicted": 1}


# ---- issue #16: target evidence, --explain-lengths, cross-checks ---------------------------------

EVIDENCE_ROWS = [
    {
        "id": "total",
        "prompt": "Write a guide in 3 sections, about 1,000 words per section, totaling 3,000 words.",
    },
    {
        "id": "pasted",
        "prompt": "Write a 2,000-word discussion.\n\nReference material:\nSample Length: 100 mm\nLoad: 48 kN",
    },
    {"id": "slogan", "prompt": "Write slogans for a bakery, each within 15 words."},
    {"id": "given", "prompt": "Write a poem about rain.", "target": {"lower": 100, "upper": 200}},
]


def test_parquet_records_target_evidence(tmp_path):
    prompts = write_jsonl(tmp_path / "p.jsonl", EVIDENCE_ROWS)
    data = prepare_rl_data(prompts, tmp_path / "out", val_fraction=0.0)
    table = pq.read_table(data.train)
    assert table.schema.equals(parquet_schema())
    info = {r["extra_info"]["id"]: r["extra_info"] for r in table.to_pylist()}
    total = info["total"]
    assert total["target"] == {"lower": 2700, "upper": 3300, "unit": "words", "source": "explicit"}
    ev = total["target_evidence"]
    assert ev["text"] == "3,000 words" and ev["rule"].startswith("total")
    assert EVIDENCE_ROWS[0]["prompt"][ev["span_start"] : ev["span_end"]] == "3,000 words"
    assert [r["text"] for r in ev["rejected"]] == ["1,000 words"]
    pasted = info["pasted"]
    assert (pasted["target"]["lower"], pasted["target"]["upper"]) == (1800, 2200)
    assert pasted["target_evidence"]["material"]  # the pasted block is listed as skipped
    slogan = info["slogan"]
    assert slogan["target"]["source"] == "fallback"
    assert "title/slogan" in slogan["target_evidence"]["reason"]
    assert info["given"]["target_evidence"]["rule"].startswith("given in the data row")
    assert all(i["target_check"] is None for i in info.values())  # no endpoint, no check
    manifest = json.loads(data.manifest.read_text())
    assert manifest["target_reasons"] == {
        "only a title/slogan/element has a stated length: the whole length is unknown": 1
    }
    assert manifest["length_cross_check"] is None


def test_explain_lengths_prints_targets_sources_and_evidence(tmp_path, capsys):
    prompts = write_jsonl(tmp_path / "p.jsonl", EVIDENCE_ROWS)
    assert longwrite_main(["prepare-rl", "--prompts", str(prompts), "--explain-lengths"]) == 0
    out = capsys.readouterr().out
    assert "total  [2700, 3300] words, explicit" in out
    assert "from: '3,000 words'" in out
    assert "rejected: '1,000 words'" in out and "per-part" in out
    assert "pasted material skipped: 1 block(s)" in out
    assert "slogan  [" in out and ", fallback" in out and "title/slogan" in out
    assert "4 requests: explicit 3, fallback 1" in out
    assert not list(tmp_path.glob("**/*.parquet"))  # an audit writes no data


def test_explicit_ranges_are_cross_checked_against_the_endpoint(tmp_path, fake_openai, capsys):
    """With an endpoint, each explicit range is compared with the endpoint's prediction for the
    same request; a range that does not overlap is listed (audit) and recorded (prepare)."""

    def responder(body, attempt):
        request = body["messages"][-1]["content"]
        if "totaling" in request:
            return '{"lower": 2500, "upper": 3500}'  # overlaps [2700, 3300]
        if "discussion" in request:
            return '{"lower": 100, "upper": 200}'  # far from [1800, 2200]: a disagreement
        return '{"lower": 100, "upper": 300}'

    server = fake_openai(responder)
    prompts = write_jsonl(tmp_path / "p.jsonl", EVIDENCE_ROWS)
    argv = ["prepare-rl", "--prompts", str(prompts), "--length-endpoint", server.url]
    argv += ["--length-model", server.model]
    assert longwrite_main([*argv, "--explain-lengths"]) == 0
    out = capsys.readouterr().out
    assert "endpoint predicts [2500, 3500] words: agrees" in out
    assert "endpoint predicts [100, 200] words: DISAGREES" in out
    assert "explicit ranges that disagree with the endpoint: 1" in out
    assert f"pasted ({prompts}:2)" in out

    assert (
        longwrite_main(
            [*argv, "--out", str(tmp_path / "out"), "--cross-check-lengths", "--preset", "tiny-cpu"]
        )
        == 0
    )
    assert "1 disagree: pasted" in capsys.readouterr().out
    table = pq.read_table(tmp_path / "out" / "train.parquet").to_pylist()
    table += pq.read_table(tmp_path / "out" / "val.parquet").to_pylist()
    check = {r["extra_info"]["id"]: r["extra_info"]["target_check"] for r in table}
    assert check["pasted"]["agrees"] is False and check["pasted"]["predicted_upper"] == 200
    assert check["total"]["agrees"] is True
    assert check["slogan"] is None  # a predicted range is not cross-checked
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["length_cross_check"]["disagree_ids"] == ["pasted"]
    assert manifest["length_cross_check"]["checked"] == 3


def test_cross_check_needs_an_endpoint(tmp_path):
    prompts = write_jsonl(tmp_path / "p.jsonl", EVIDENCE_ROWS)
    with pytest.raises(ValueError, match="cross-checking lengths needs"):
        prepare_rl_data(prompts, tmp_path / "out", cross_check_lengths=True)
