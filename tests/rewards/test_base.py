import json
import subprocess
import sys
import textwrap

import pytest

import rewards.embedding
from rewards import RewardBreakdown, RewardConfig, RewardSample, get_reward, list_rewards, score_batch
from rewards.base import ComponentScore, RewardError, clean_text, register_reward


def test_import_rewards_is_light(repo_root):
    code = (
        "import sys, rewards, rewards.base, rewards.length.reward, rewards.format, rewards.quality.reward, rewards.cli;"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'vllm', 'ray', 'openai')"
        " if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "first", ["rollout.format", "rollout.endpoint", "rewards.length.reward", "longwrite.cli"]
)
def test_any_import_order_works(repo_root, first):
    # rewards imports rollout (parser, text measures), never the reverse: any first import works.
    code = f"import {first}, rewards, rollout.format; rewards.score_batch([], None)"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def test_builtins_registered():
    assert {"length", "quality", "format"} <= set(list_rewards())


def test_unknown_reward_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown reward 'lenght'.*\bformat\b.*\blength\b.*\bquality\b"):
        get_reward("lenght")
    with pytest.raises(ValueError, match="unknown reward"):
        RewardConfig(rewards={"lenght": 1.0})
    with pytest.raises(ValueError, match="cannot import module"):
        get_reward("no_such_pkg_xyz.mod:fn")


def test_dotted_path_user_function(tmp_path, monkeypatch):
    (tmp_path / "my_rewards_mod.py").write_text(
        textwrap.dedent(
            """
            def exclaim(prompt, response, metadata, bonus=0.0):
                '''Share of sentences ending in "!"'''
                return min(1.0, response.count("!") / 4 + bonus), ["exclaim: counted"]

            def broken(prompt, response, metadata):
                if "boom" in prompt:
                    raise RuntimeError("boom")
                return 0.5

            def nan(prompt, response, metadata):
                return float("nan")

            def text(prompt, response, metadata):
                return "high"

            NOT_A_FUNCTION = 3
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = RewardConfig(
        rewards={"my_rewards_mod:exclaim": 1.0, "my_rewards_mod.broken": 1.0},
        options={"my_rewards_mod:exclaim": {"bonus": 0.25}},
    )
    [b] = score_batch([RewardSample("p", "<think>x</think><answer>Hi! Yo!</answer>")], config)
    assert b.components["my_rewards_mod:exclaim"] == 0.75  # 2 "!" / 4 + 0.25
    assert b.components["my_rewards_mod.broken"] == 0.5
    assert b.total == 0.625
    # A reward that raises is a bug: it fails loudly, naming the reward and the very sample.
    samples = [RewardSample("fine", "r"), RewardSample("boom here", "r", {"id": "s-2"})]
    with pytest.raises(
        RewardError, match=r"'my_rewards_mod.broken' raised RuntimeError on sample 1 \(id='s-2'\)"
    ):
        score_batch(samples, config)
    with pytest.raises(RewardError, match=r"'my_rewards_mod:nan' gave nan for sample 0"):
        score_batch([RewardSample("p", "r")], {"rewards": ["my_rewards_mod:nan"]})
    with pytest.raises(RewardError, match="returned a str"):
        score_batch([RewardSample("p", "r")], {"rewards": ["my_rewards_mod:text"]})
    with pytest.raises(ValueError, match="not a function"):
        get_reward("my_rewards_mod:NOT_A_FUNCTION")
    with pytest.raises(ValueError, match="has no attribute"):
        get_reward("my_rewards_mod:missing")


def test_weights_and_missing_in_total():
    register_reward("test_const_a", lambda p, r, m: 1.0)
    register_reward("test_const_b", lambda p, r, m: 0.0)
    register_reward("test_missing", lambda p, r, m: None)
    sample = [{"prompt": "p", "response": "r"}]
    [b] = score_batch(sample, {"rewards": {"test_const_a": 3, "test_const_b": 1}})
    assert b.total == pytest.approx(0.75)
    [b] = score_batch(sample, {"rewards": {"test_const_a": 1, "test_const_b": 0}})
    assert b.total == 1.0 and b.components["test_const_b"] == 0.0  # weight 0: logged, not counted
    [b] = score_batch(sample, {"rewards": {"test_const_b": 1, "test_missing": 5}})
    assert b.total == 0.0 and b.components["test_missing"] is None
    [b] = score_batch(sample, {"rewards": {"test_missing": 1}})
    assert b.total == 0.0 and any("no weighted component" in r for r in b.reasons)


@pytest.mark.parametrize("value", [7.0, -0.25, 1.0000001])
def test_out_of_range_values_are_errors_not_clipped(value):
    register_reward("test_out_of_range", lambda p, r, m: value)
    with pytest.raises(RewardError, match=rf"'test_out_of_range' gave {value!r} for sample 0.*outside"):
        score_batch([{"prompt": "p", "response": "r"}], {"rewards": ["test_out_of_range"]})


def test_range_bounds_themselves_are_values():
    register_reward("test_zero", lambda p, r, m: 0)
    register_reward("test_one", lambda p, r, m: 1)
    [b] = score_batch([{"prompt": "p", "response": "r"}], {"rewards": {"test_zero": 1, "test_one": 3}})
    assert b.components == {"test_zero": 0.0, "test_one": 1.0} and b.total == 0.75


def test_batched_reward_returning_wrong_count_is_an_error():
    register_reward("test_short", lambda batch, options: [ComponentScore(1.0)], batched=True)
    with pytest.raises(RewardError, match="returned 1 scores for 2 samples"):
        score_batch([{"prompt": "p", "response": "r"}] * 2, {"rewards": {"test_short": 1}})


def test_builtin_reward_bug_fails_loudly_with_the_sample(monkeypatch):
    # A bug inside a built-in reward used to turn the whole batch "missing" and training went on.
    reward = get_reward("format")
    real = reward.score

    def score(batch, options):
        if any("second" in s.prompt for s in batch.samples):
            raise ZeroDivisionError("bug in our code")
        return real(batch, options)

    monkeypatch.setattr(reward, "score", score)
    samples = [
        {"prompt": "first", "response": "<think>a</think><answer>b</answer>"},
        {"prompt": "second", "response": "<think>a</think><answer>b</answer>", "id": 9},
    ]
    with pytest.raises(RewardError, match=r"'format' raised ZeroDivisionError on sample 1 \(id=9\)") as info:
        score_batch(samples, {"rewards": ["format"]})
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_config_validation(tmp_path):
    assert RewardConfig().rewards == {"length": 1.0, "quality": 1.0, "format": 1.0}
    assert RewardConfig.from_dict(None).rewards == RewardConfig().rewards
    with pytest.raises(ValueError, match=">= 0"):
        RewardConfig(rewards={"length": -1})
    with pytest.raises(ValueError, match="number"):
        RewardConfig(rewards={"length": "heavy"})
    with pytest.raises(ValueError, match=r"unknown option\(s\) max_ration.*valid options: max_ratio"):
        RewardConfig(rewards={"length": 1}, options={"length": {"max_ration": 2}})
    with pytest.raises(ValueError, match="not configured"):
        RewardConfig(rewards={"length": 1}, options={"format": {}})
    with pytest.raises(ValueError, match="unknown quality backend"):
        RewardConfig(options={"quality": {"backend": "vibes"}})
    with pytest.raises(ValueError, match="unknown RewardConfig key"):
        RewardConfig.from_dict({"reward": {}})
    path = tmp_path / "r.yaml"
    path.write_text("reward:\n  rewards: {length: 2, format: 1}\n  options:\n    length: {max_ratio: 2.0}\n")
    cfg = RewardConfig.from_yaml(path)
    assert cfg.rewards == {"length": 2.0, "format": 1.0} and cfg.options["length"]["max_ratio"] == 2.0
    assert RewardConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(FileNotFoundError):
        RewardConfig.from_yaml(tmp_path / "nope.yaml")


def test_breakdown_to_dict_is_flat_json(writing):
    [b] = score_batch(
        [{"prompt": writing.en_prompt, "response": writing.response(writing.en_plan, writing.en_paragraphs)}]
    )
    assert isinstance(b, RewardBreakdown)
    d = b.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert all(not isinstance(v, (dict, list)) for v in d.values())
    assert {"total", "length", "quality", "format", "answer_len", "think_len", "reasons"} <= set(d)
    assert "format.lexical_repetition" in d and "quality.relevance" in d
    assert d["answer_len"] == 107 and d["think_len"] > 10


def test_one_batched_encode_per_batch(writing, monkeypatch):
    calls = []
    real = rewards.embedding.encode

    def spy(texts, *a, **k):
        calls.append(len(texts))
        return real(texts, *a, **k)

    monkeypatch.setattr(rewards.embedding, "encode", spy)
    samples = [
        {
            "prompt": writing.en_prompt,
            "response": writing.response(writing.en_plan, writing.en_paragraphs[:k]),
        }
        for k in range(1, 5)
    ] + [{"prompt": writing.zh_prompt, "response": writing.response(writing.zh_plan, writing.zh_paragraphs)}]
    out = score_batch(samples)
    assert len(out) == 5
    assert len(calls) == 1  # format's paragraphs and quality's prompt/paragraphs/plan: one encode
    assert calls[0] > 5
    # Same scores as scoring one by one (batching changes speed, not values).
    single = [score_batch([s])[0] for s in samples]
    for a, b in zip(out, single, strict=True):
        assert a.total == pytest.approx(b.total, abs=1e-5)


def test_sample_coercion_and_clean_text():
    assert clean_text("ok\ud800x") == "ok\ufffdx"
    assert clean_text(None) == "" and clean_text(b"\xff") == "\ufffd" and clean_text(12) == "12"
    with pytest.raises(TypeError):
        score_batch([42], {"rewards": ["length"]})
    [b] = score_batch(
        [{"prompt": "Write 100 words", "response": "<think>p</think><answer>a b</answer>", "id": "7"}]
    )
    assert b.answer_len == 2
    assert score_batch([], None) == []
