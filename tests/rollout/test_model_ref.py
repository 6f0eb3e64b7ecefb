"""What a ``--model`` argument names (rollout.model_ref): a local path or a hub id, checked once.

Offline (HF_HUB_OFFLINE=1, as on this machine) a hub id must be in the local Hugging Face cache;
the cache here is a real hub-cache layout in a temporary folder, read by huggingface_hub itself.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from rollout.errors import ModelNotFoundError
from rollout.model_ref import check_model, hub_offline, is_hub_id

HUB_ID = "Qwen/Qwen2.5-7B-Instruct"


@pytest.fixture
def online(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.mark.parametrize("value", [HUB_ID, "gpt2", "meta-llama/Llama-3.1-8B", "THUDM/glm-4-9b-chat"])
def test_hub_ids_are_recognised(value):
    assert is_hub_id(value)


@pytest.mark.parametrize("value", ["./m", "/data/m", "a/b/c", "~/m", "../m", "org/", "/", "a b/c"])
def test_paths_are_not_hub_ids(value):
    assert not is_hub_id(value)


def test_existing_paths_pass_whatever_their_shape(tmp_path, offline):
    folder = tmp_path / "org" / "name"  # shaped like a hub id once made relative
    folder.mkdir(parents=True)
    assert check_model(str(folder)) == str(folder)
    assert check_model(folder) == str(folder)


def test_online_a_hub_id_is_passed_on_as_is(online):
    assert not hub_offline()
    assert check_model(HUB_ID) == HUB_ID
    assert check_model("gpt2") == "gpt2"


@pytest.mark.parametrize("value", ["./nope", "/no/such/model", "a/b/c", "~/no-such-model-dir/x"])
def test_a_missing_path_is_model_path_not_found(value, online):
    with pytest.raises(ModelNotFoundError, match=r"^model path not found: "):
        check_model(value)


def test_offline_an_uncached_hub_id_says_how_to_pass_a_folder(offline):
    assert hub_offline()
    with pytest.raises(ModelNotFoundError) as exc:
        check_model(HUB_ID)
    message = str(exc.value)
    assert "cannot be resolved offline" in message and "--model DIR" in message and HUB_ID in message
    assert "\n" not in message  # one line on a terminal
    assert isinstance(exc.value, FileNotFoundError)  # callers catching FileNotFoundError still do


def test_offline_a_cached_hub_id_is_accepted(tmp_path, repo_root):
    # The hub cache layout huggingface_hub writes: models--ORG--NAME/{refs/main, snapshots/REV/}.
    cache = tmp_path / "hub"
    repo = cache / "models--Qwen--Qwen2.5-7B-Instruct"
    (repo / "snapshots" / "abc123").mkdir(parents=True)
    (repo / "snapshots" / "abc123" / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    code = "from rollout.model_ref import check_model; import sys; print(check_model(sys.argv[1]))"
    env = dict(os.environ, PYTHONPATH=str(repo_root), HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(cache))
    ok = subprocess.run(
        [sys.executable, "-c", code, HUB_ID], env=env, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0 and ok.stdout.strip() == HUB_ID, ok.stderr
    missing = subprocess.run(
        [sys.executable, "-c", code, "Qwen/Qwen2.5-0.5B"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "cannot be resolved offline" in missing.stderr


def test_engines_use_the_same_check(offline):
    # Both fail before importing vLLM or Ray (the check is the first thing they do).
    from rollout.actors import EnginePool
    from rollout.engine import Engine

    for engine in (Engine, EnginePool):
        with pytest.raises(ModelNotFoundError, match="cannot be resolved offline"):
            engine(HUB_ID)
        with pytest.raises(ModelNotFoundError, match="model path not found"):
            engine("./no/such/model")
