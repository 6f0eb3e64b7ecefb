"""Slow: the tiny RM for real - content-level synthetic pairs -> `longwrite rm data` -> `longwrite rm
train` (transformers' Trainer) -> held-out accuracy well above the bag-of-words baseline (which
stays near chance on these pairs) -> `longwrite rm eval` -> served by vLLM's CPU build (`longwrite
serve --reward-model`, its scale probed) and scored through the `served` quality backend.

Measured 2026-12-05 (2-core CPU, loaded), two runs of the same seeded config: the tiny RM reached
0.769 and 0.615 on the 39 held-out pairs (shuffled 1.00 / 0.71, dropped 0.78, drift 0.57, repeated
0.56 in the first) against 0.436 for the lexical baseline and 0.462 for MiniLM: it learns order
and missing sections, hardly relevance or repetition. CPU training is not bit-reproducible across
runs (thread scheduling of float reductions), and a 2-layer RM near the edge of learning spreads
that far, so the bounds below are set under the lower run: above chance, above wording."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _cli(repo_root, *args, timeout=900):
    env = {**os.environ, "PYTHONPATH": str(repo_root), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "longwrite.cli", *args],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    return out.stdout


@pytest.fixture(scope="module")
def tiny_rm(repo_root, tmp_path_factory, tiny_model):
    """(data folder, trained RM folder, rm_train.json) - trained once for the module."""
    root = tmp_path_factory.mktemp("rm")
    _cli(repo_root, "rm", "data", "--synthetic", "64", "--val-fraction", "0.2", "--out", str(root / "data"))
    _cli(
        repo_root,
        "rm",
        "train",
        "--preset",
        "tiny-cpu",
        f"data.train={root / 'data' / 'train.jsonl'}",
        f"data.val={root / 'data' / 'val.jsonl'}",
        f"output_dir={root / 'run'}",
    )
    summary = json.loads((root / "run" / "rm_train.json").read_text())
    return root / "data", root / "run" / "final", summary


def test_tiny_rm_learns_content_level_pairs(tiny_rm):
    data, final, summary = tiny_rm
    assert summary["val"]["accuracy"] >= 0.55, summary  # measured 0.769 and 0.615; chance is 0.5
    cut = summary["truncation"]["train"]
    assert cut["pairs"] > 0 and cut["truncated_pairs"] > 0  # long pairs were kept (and counted)
    assert cut["answer_tokens_cut"] > 0
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(final)
    assert config.architectures == ["Qwen2ForSequenceClassification"] and config.num_labels == 1


def test_rm_eval_matches_training_and_reports_the_baseline(tiny_rm, repo_root, tmp_path):
    data, final, summary = tiny_rm
    out = tmp_path / "rm_eval.json"
    printed = _cli(
        repo_root,
        "rm",
        "eval",
        "--data",
        str(data / "val.jsonl"),
        "--model",
        str(final),
        "--max-length",
        "384",
        "--out",
        str(out),
    )
    result = json.loads(out.read_text())
    rm, base, lex = (result["scorers"][k] for k in ("rm", "embedding", "lexical"))
    assert rm["overall"]["accuracy"] == pytest.approx(summary["val"]["accuracy"])
    assert rm["chosen_longer"]["n"] > 0 and rm["chosen_shorter"]["n"] > 0
    assert 0.0 <= base["overall"]["accuracy"] <= 1.0 and base["overall"]["n"] == rm["overall"]["n"]
    # wording and length alone stay near chance; the RM is well above them (measured 0.769 vs 0.436)
    assert lex["overall"]["accuracy"] <= 0.65, lex["overall"]
    assert rm["overall"]["accuracy"] >= lex["overall"]["accuracy"] + 0.1
    assert rm["kind"]["shuffled"]["accuracy"] >= 0.6  # order, at least, it learned (1.00 and 0.71 measured)
    assert rm["truncation"]["truncated_sides"] > 0 and rm["truncation"]["max_length"] == 384
    # the learned RM's hacking probes (rewards.testing): every probe, every answer scored both times
    from rewards.testing import PROBES

    probes = result["probes"]["probes"]
    assert list(probes) == list(PROBES), list(probes)
    assert all(p["scored"] == 6 and not p["missing"] for p in probes.values()), probes
    assert "hacking probes of reward `quality`" in printed and "| pad_repeat |" in printed
    assert "| pad_repeat |" in out.with_suffix(".md").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_vllm_cpu_serves_the_rm_to_the_served_backend(tiny_rm, repo_root, tmp_path):
    from rewards.base import RewardConfig, RewardSample, score_batch

    data, final, _ = tiny_rm
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - the server writes to it until the end
    env = {**os.environ, "PYTHONPATH": str(repo_root), "VLLM_CPU_KVCACHE_SPACE": "1"}
    argv = [sys.executable, "-m", "longwrite.cli", "serve", "--reward-model", str(final), "--port", str(port)]
    argv += ["--max-model-len", "512"]
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 400
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "reward server did not come up"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(1)
        rows = [json.loads(line) for line in (data / "val.jsonl").read_text().splitlines()[:6]]
        samples = [RewardSample(r["prompt"], side) for r in rows for side in (r["chosen"], r["rejected"])]
        opts = {"model": str(final), "max_length": 384, "batch_size": 4}
        served = score_batch(
            samples,
            RewardConfig(
                {"quality": 1.0},
                {
                    "quality": {
                        "backend": "served",
                        "base_url": f"http://127.0.0.1:{port}",
                        "concurrency": 2,
                        **opts,
                    }
                },
            ),
        )
        local = score_batch(
            samples, RewardConfig({"quality": 1.0}, {"quality": {"backend": "classifier", **opts}})
        )
        for s, c in zip(served, local, strict=True):
            assert s.components["quality"] is not None, s.reasons
            # the server returns the raw logit (activation off); same inputs, same model
            assert s.details["quality.raw"] == pytest.approx(c.details["quality.raw"], abs=1e-3)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
