import os
import subprocess
import sys


def test_minilm_loads_without_changing_the_process_hub_settings(repo_root):
    # Loading the encoder used to set HF_HUB_OFFLINE=1 for the whole process, so any later hub
    # download (a judge's tokenizer, a user's model) failed for a reason the user never chose.
    code = (
        "import os, rewards.embedding as e;"
        "v = e.encode(['a short text', 'another one']);"
        "import huggingface_hub.constants as c;"
        "print(v.shape, os.environ.get('HF_HUB_OFFLINE'), c.HF_HUB_OFFLINE)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=repo_root, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["(2,", "384)", "None", "False"]
