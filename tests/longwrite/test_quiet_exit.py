"""A process that started a vLLM engine ends without nanobind's leak report (longwrite.quiet_exit).

The lightest real trigger found: start one vLLM CPU engine on the tiny model and exit (importing
vLLM alone, or torch.compile, leaves nothing to report). The control runs the same script
without the handler and must show the report, so the test fails if the trigger ever stops
triggering (the handler would then prove nothing) or if the handler stops working.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
if sys.argv[1] == "quiet":
    from longwrite.quiet_exit import end_quietly_at_exit, set_exit_code
    end_quietly_at_exit()
from rollout.engine import Engine
from rollout.tiny import tiny_model_path
Engine(str(tiny_model_path(0)), max_model_len=512, seed=0)
print("engine started", flush=True)
if sys.argv[1] == "quiet":
    set_exit_code(3)
sys.exit(3)
"""


def _run(mode: str, repo_root) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(repo_root), "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], env=env, capture_output=True, text=True, timeout=600
    )


def test_a_vllm_process_ends_without_the_nanobind_leak_report(tiny_model, repo_root):
    quiet = _run("quiet", repo_root)
    assert "engine started" in quiet.stdout, quiet.stderr[-3000:]
    assert quiet.returncode == 3  # the command's own exit status survives
    assert "nanobind: leaked" not in quiet.stderr
    control = _run("control", repo_root)
    assert control.returncode == 3 and "engine started" in control.stdout, control.stderr[-3000:]
    assert "nanobind: leaked" in control.stderr  # the trigger is real


def test_the_longwrite_command_ends_quietly_and_v_keeps_the_raw_exit(tiny_model, repo_root, tmp_path):
    """Every command, not only the demo: ``python -m longwrite.cli generate`` (starts a vLLM engine)
    ends without the leak report and with its own status; ``-v`` keeps the raw exit, which must show
    the report (the control: the trigger is real through the CLI too)."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"id": "a", "prompt": "Write one line about rivers."}\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(repo_root), "VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}

    def generate(*flags: str, out: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "longwrite.cli", *flags, "generate", "--model", str(tiny_model)]
        argv += ["--prompts", str(prompts), "--out", str(tmp_path / out), "--max-tokens", "4"]
        argv += ["--max-model-len", "256", "--template", "none"]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)

    quiet = generate(out="quiet.jsonl")
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    assert (tmp_path / "quiet.jsonl").read_text(encoding="utf-8").count("\n") == 1  # the work was done
    assert "nanobind: leaked" not in quiet.stderr
    raw = generate("-v", out="raw.jsonl")
    assert raw.returncode == 0, raw.stderr[-3000:]
    assert "nanobind: leaked" in raw.stderr
