import hashlib
import subprocess
import sys

import pytest

from rollout.tiny import PLAN_WRITE_TAGS, build_tiny_model


def _digest(path):
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(path.iterdir()) if f.is_file()}


def test_build_is_deterministic_per_seed(tmp_path):
    a = build_tiny_model(tmp_path / "a", seed=3)
    b = build_tiny_model(tmp_path / "b", seed=3)
    c = build_tiny_model(tmp_path / "c", seed=4)
    assert _digest(a) == _digest(b)
    assert _digest(a)["model.safetensors"] != _digest(c)["model.safetensors"]


def test_tokenizer_keeps_tags_and_has_chat_template(tiny_model):
    from transformers import AutoConfig, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model)
    text = "<think>计划 plan</think><answer>中文 and English 1000 words</answer>"
    ids = tok(text)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == text
    for tag in PLAN_WRITE_TAGS:
        assert len(tok(tag)["input_ids"]) == 1  # one token each: cheap to learn, easy to parse
    chat = tok.apply_chat_template(
        [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
    )
    assert chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    config = AutoConfig.from_pretrained(tiny_model)
    assert config.model_type == "qwen2"
    assert config.hidden_size // config.num_attention_heads >= 32  # vLLM CPU attention needs it
    assert config.vocab_size >= len(tok)


def test_cache_is_reused(tiny_model):
    from rollout.tiny import tiny_model_path

    before = (tiny_model / "model.safetensors").stat().st_mtime_ns
    assert tiny_model_path(seed=0) == tiny_model
    assert (tiny_model / "model.safetensors").stat().st_mtime_ns == before


@pytest.mark.slow
def test_generates_with_transformers(tiny_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rollout.format import parse_response, render_prompt

    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    prompt = render_prompt("Write a 300-word essay about tea.", tok)
    inputs = tok(prompt, return_tensors="pt")
    torch.manual_seed(0)
    out = model.generate(**inputs, max_new_tokens=24, min_new_tokens=24, do_sample=True)
    new = out[0, inputs["input_ids"].shape[1] :]
    assert new.shape[0] == 24
    parse_response(tok.decode(new, skip_special_tokens=True))


VLLM_SCRIPT = r"""
import json, sys
from vllm import LLM, SamplingParams
llm = LLM(model=sys.argv[1], dtype="float32", enforce_eager=True, max_model_len=2048, seed=0)
from rollout.format import render_prompt
tok = llm.get_tokenizer()
prompts = [render_prompt(p, tok) for p in ["Write a 300-word essay about tea.", "写一篇300字的短文。"]]
outs = llm.generate(prompts, SamplingParams(n=2, max_tokens=16, min_tokens=16, temperature=1.0, seed=1))
print("RESULT " + json.dumps([[len(c.token_ids), c.finish_reason] for o in outs for c in o.outputs]))
"""


@pytest.mark.slow
def test_generates_with_vllm_cpu(tiny_model, repo_root):
    # A subprocess: vLLM's engine core is spawned, and a clean interpreter keeps its state out of
    # the test process.
    env = {**__import__("os").environ, "PYTHONPATH": str(repo_root)}
    proc = subprocess.run(
        [sys.executable, "-c", VLLM_SCRIPT, str(tiny_model)],
        capture_output=True,
        text=True,
        timeout=400,
        env=env,
        cwd=repo_root,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    import json

    assert json.loads(lines[0][7:]) == [[16, "length"]] * 4
