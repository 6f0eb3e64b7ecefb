"""A tiny random Qwen2-style model and tokenizer, built locally (no model hub here).

Tests, the demo and benchmarks need a real checkpoint that transformers, vLLM (CPU build) and verl
all load. :func:`build_tiny_model` writes one: a 2-layer Qwen2 causal LM with head size 32 (vLLM's
CPU attention needs >= 32) and a byte-level BPE tokenizer trained on generated English and Chinese
text, with a ChatML chat template and the plan-then-write tags as ordinary (decodable) tokens.
Everything is deterministic for a seed. :func:`tiny_model_path` caches one build per seed on disk,
so a whole test session builds it once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

__all__ = ["build_tiny_model", "tiny_model_path", "cache_root", "TINY_MODEL_VERSION", "PLAN_WRITE_TAGS"]

# Bump when the architecture, tokenizer recipe or corpus changes, so stale caches are rebuilt.
TINY_MODEL_VERSION = 2
PLAN_WRITE_TAGS = ("<think>", "</think>", "<answer>", "</answer>")
_SPECIAL = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

_CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_EN_WORDS = (
    "the a of and to in is that for it as with on be by this are from at or an which we can "
    "will more not their they have has about one all would there these other when into time "
    "people history science city river water light story music world plan section essay report "
    "write writing chapter first second third finally because however therefore example "
    "important future past changes growth energy climate ocean mountain journey letter friend "
    "family school research data model language long short paragraph words introduction "
    "conclusion argument evidence idea reader author novel poem technology society economy"
).split()
_ZH_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
    "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
    "两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重"
    "新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想"
    "已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知"
    "较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质写作规划章节段落"
)
_PUNCT_EN = (".", ",", ".", ".", "?", ";")
_PUNCT_ZH = ("。", "，", "。", "；", "？")


def _corpus(seed: int, n_lines: int = 3000) -> list[str]:
    """Generated bilingual lines, with the format tags and chat markers mixed in."""
    rng = random.Random(seed)
    lines = []
    for i in range(n_lines):
        if i % 2 == 0:
            words = [rng.choice(_EN_WORDS) for _ in range(rng.randint(6, 30))]
            body = " ".join(words).capitalize() + rng.choice(_PUNCT_EN)
        else:
            chars = [rng.choice(_ZH_CHARS) for _ in range(rng.randint(8, 40))]
            body = "".join(chars) + rng.choice(_PUNCT_ZH)
        if i % 7 == 0:
            body = f"<think> {body} </think> <answer> {body} </answer>"
        if i % 11 == 0:
            body += f" {rng.randint(0, 20000)} words 字 {rng.randint(1, 9)}00"
        lines.append(body)
    return lines


def _build_tokenizer(seed: int, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(_SPECIAL),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(seed), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        additional_special_tokens=["<|im_start|>"],
        model_max_length=32768,
    )
    # Ordinary added tokens, not special ones: decoding with skip_special_tokens=True must keep
    # the tags, because the format reward reads them from the decoded text.
    fast.add_tokens(list(PLAN_WRITE_TAGS))
    fast.chat_template = _CHATML_TEMPLATE
    return fast


def build_tiny_model(path: str | os.PathLike, seed: int = 0, vocab_size: int = 1024) -> Path:
    """Write a tiny random Qwen2 causal LM and its tokenizer to ``path``; return the path.

    Architecture: 2 layers, hidden size 64, 2 attention heads of size 32, 1 KV head,
    intermediate size 128, tied embeddings, float32 weights, 32,768 positions. The tokenizer is
    a byte-level BPE (``vocab_size`` entries before the chat markers and tags; any text encodes).
    The same seed gives byte-identical weights and tokenizer files.
    """
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = _build_tokenizer(seed, vocab_size)
    # Round the embedding table up to a multiple of 64, as real checkpoints do.
    n_vocab = (len(tokenizer) + 63) // 64 * 64
    config = Qwen2Config(
        vocab_size=n_vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        max_position_embeddings=32768,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        torch_dtype="float32",
    )
    with _seeded(seed):
        model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[tokenizer.eos_token_id, tokenizer.pad_token_id],
        pad_token_id=tokenizer.pad_token_id,
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
    )
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    (path / "tiny_model.json").write_text(
        json.dumps({"version": TINY_MODEL_VERSION, "seed": seed, "vocab_size": vocab_size}) + "\n"
    )
    return path


@contextlib.contextmanager
def _seeded(seed: int):
    import torch

    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.random.set_rng_state(state)


def cache_root() -> Path:
    """The per-machine cache folder of built test models (``$LONGWRITE_CACHE_DIR`` or ~/.cache/longwriter-rl)."""
    root = os.environ.get("LONGWRITE_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "longwriter-rl"


def tiny_model_path(seed: int = 0) -> Path:
    """Path of the cached tiny model for ``seed``, building it on first use.

    The cache lives under ``$LONGWRITE_CACHE_DIR`` (default ``~/.cache/longwriter-rl``). A file
    lock makes concurrent callers (parallel tests, Ray workers) wait for one build, and the build
    is written to a temporary folder and renamed, so a killed build never leaves half a model.
    """
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"tiny-qwen2-v{TINY_MODEL_VERSION}-seed{seed}"
    if (target / "tiny_model.json").exists():
        return target
    with open(root / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "tiny_model.json").exists():
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
            try:
                build_tiny_model(tmp, seed=seed)
                if target.exists():
                    shutil.rmtree(target)
                tmp.rename(target)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
    return target
