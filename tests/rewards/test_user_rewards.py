"""A user's own reward, named by dotted path: options from its signature, `longwrite rm score`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from rewards import RewardConfig, RewardSample, score_batch

USER_MODULE = textwrap.dedent(
    '''
    def brevity(prompt, response, metadata, target_words=10):
        """1 / (1 + words / target_words): shorter answers score higher."""
        return 1.0 / (1.0 + len(response.split()) / target_words)

    def needs_mode(prompt, response, metadata, *, mode):
        return 1.0 if mode == "on" else 0.0

    def takes_anything(prompt, response, metadata, **options):
        return float(len(options)) / 10

    def too_few(response):
        return 1.0
    '''
)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """The module above in a temporary folder outside the project, on sys.path."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "user_reward_probe.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_options_reach_the_function_as_keyword_arguments(user_module):
    sample = RewardSample("p", "one two three four five")  # 5 words
    name = "user_reward_probe:brevity"
    [default] = score_batch([sample], RewardConfig(rewards={name: 1.0}))
    [five] = score_batch([sample], RewardConfig(rewards={name: 1.0}, options={name: {"target_words": 5}}))
    assert default.components[name] == pytest.approx(1 / 1.5)
    assert five.components[name] == pytest.approx(0.5)
    # the colon-less dotted path names the same function
    [dotted] = score_batch([sample], {"rewards": {"user_reward_probe.brevity": 1.0}})
    assert dotted.components["user_reward_probe.brevity"] == pytest.approx(1 / 1.5)


def test_unknown_or_missing_option_is_a_clear_error(user_module):
    name = "user_reward_probe:brevity"
    with pytest.raises(
        ValueError, match=r"unknown option\(s\) target_word for reward .*valid options: target_words"
    ):
        RewardConfig(rewards={name: 1.0}, options={name: {"target_word": 5}})
    with pytest.raises(ValueError, match=r"needs option\(s\) mode"):
        RewardConfig(rewards={"user_reward_probe:needs_mode": 1.0})
    ok = RewardConfig(
        rewards={"user_reward_probe:needs_mode": 1.0},
        options={"user_reward_probe:needs_mode": {"mode": "on"}},
    )
    assert score_batch([RewardSample("p", "r")], ok)[0].total == 1.0
    # **options accepts anything
    anything = "user_reward_probe:takes_anything"
    cfg = RewardConfig(rewards={anything: 1.0}, options={anything: {"a": 1, "b": 2}})
    assert score_batch([RewardSample("p", "r")], cfg)[0].total == pytest.approx(0.2)
    with pytest.raises(ValueError, match=r"takes \(prompt, response, metadata, \*\*options\)"):
        RewardConfig(rewards={"user_reward_probe:too_few": 1.0})


def test_rm_score_with_a_user_reward(user_module, tmp_path, repo_root):
    """How a user unit-tests a reward: `longwrite rm score --rewards pkg.mod:fn` on a few lines."""
    inp, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        {"id": "short", "prompt": "Write.", "response": "<think>p</think><answer>tiny</answer>"},
        {
            "id": "long",
            "prompt": "Write.",
            "response": "<think>p</think><answer>" + "word " * 40 + "</answer>",
        },
    ]
    inp.write_text("".join(json.dumps(x) + "\n" for x in lines))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(user_module), str(repo_root)]))
    proc = subprocess.run(
        [
            sys.executable, "-m", "longwrite.cli", "rm", "score", "--in", str(inp), "--out", str(out),
            "--rewards", "user_reward_probe:brevity,format", "--weights", "user_reward_probe:brevity=3",
            "--option", "user_reward_probe:brevity.target_words=2",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r["reward"] for r in map(json.loads, out.read_text().splitlines())}
    name = "user_reward_probe:brevity"
    short, long = rows["short"]["components"][name], rows["long"]["components"][name]
    assert short == pytest.approx(1 / (1 + 1 / 2))  # the whole response is one whitespace-free word
    assert long < short
    fmt = rows["short"]["components"]["format"]
    assert rows["short"]["total"] == pytest.approx((3 * short + fmt) / 4)
