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


def test_unread_chars_counts_what_minilm_does_not_read():
    """MiniLM reads 254 word pieces of each text: short texts count 0 unread characters, long ones
    the rest (a changed encoder limit or clip shows here)."""
    from rewards.embedding import load_minilm, unread_chars

    para = "A sentence of honest prose about rivers and the cities beside them. " * 40  # ~2,700 chars
    zh = "秋天的图书馆很安静，阳光照在书架上。" * 40  # 720 characters, one word piece each
    texts = ["a short text", "trailing spaces   ", "", para, zh, "word " * 10_000]
    got = unread_chars(texts)
    assert got[:3] == [0, 0, 0]
    tok = load_minilm().tokenizer
    read = tok(para[: 254 * 10], add_special_tokens=False)["input_ids"][:254]
    head = tok.decode(read)
    assert 0 < got[3] < len(para) and para[: len(para) - got[3]].lower().rstrip().endswith(head.split()[-1])
    assert got[4] == len(zh) - 254  # one CJK character per word piece
    assert got[5] == len("word " * 10_000) - len("word " * 254) + 1  # 254 words read, the space after too


def test_quality_records_the_characters_the_encoder_did_not_read(writing):
    """A 10,000-word answer in 100-word paragraphs is read whole (cut 0); the same words in one
    paragraph are mostly not read, and the quality reward records it per sample, with a reason."""
    from rewards import score_batch

    para = " ".join(f"river{k % 50} city" for k in range(50))  # 100 words
    paragraphed = "\n\n".join([para] * 100)
    one_block = " ".join([para] * 100)
    cfg = {"rewards": {"quality": 1.0}}
    out = score_batch(
        [
            {"prompt": "Write 10000 words about rivers.", "response": f"<answer>{paragraphed}</answer>"},
            {"prompt": "Write 10000 words about rivers.", "response": f"<answer>{one_block}</answer>"},
        ],
        cfg,
    )
    whole, cut = out
    assert whole.details["quality.cut_chars"] == 0
    assert whole.details["quality.embedded_chars"] >= len(para) * 100
    assert cut.details["quality.cut_chars"] > 0.9 * len(one_block)
    assert any("did not read" in r for r in cut.reasons)
    assert not any("did not read" in r for r in whole.reasons)
