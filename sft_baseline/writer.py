"""The tiny writer: the tiny random Qwen2 taught the plan-then-write format by the project's SFT path.

A random model never emits the ``<think>``/``<answer>`` tags, so GRPO from it has nothing to
move. The tiny writer is the SFT baseline at toy scale: a deterministic synthetic corpus built
from the bundled prompts (``rl/data/prompts.jsonl``, English and Chinese), each reply a
``<think>`` plan (sections with word budgets) and an ``<answer>`` in paragraphs from a small
grammar; then verl's SFT trainer (preset ``tiny-cpu``, CPU platform) from
:func:`rollout.tiny.tiny_model_path`.

The answer length of each synthetic reply is drawn from a fixed band (:data:`ANSWER_BAND`), not
from the request: the writer therefore falls short of long targets and overshoots short ones,
which is what the GRPO learning test and ``make demo`` move it away from. Lengths are in
:func:`rollout.text.count_words` units (English words / Chinese characters).

:func:`tiny_writer_path` caches one build per seed under the tiny model's cache root, behind a
file lock (the same recipe as :func:`rollout.tiny.tiny_model_path`); ``longwrite writer build``
is its CLI.
"""

from __future__ import annotations

import fcntl
import json
import random
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "WRITER_VERSION",
    "ANSWER_BAND",
    "writer_reply",
    "writer_corpus",
    "build_tiny_writer",
    "tiny_writer_path",
]

# Bump when the corpus, the base model or the SFT recipe changes: stale caches are then rebuilt.
WRITER_VERSION = 3
#: (low, high) answer length of the synthetic replies, per language, in count_words units.
ANSWER_BAND: dict[str, tuple[int, int]] = {"en": (30, 110), "zh": (40, 140)}
#: SFT recipe on top of configs/sft/tiny-cpu.yaml (measured: see docs/demo.md, the tiny writer).
SFT_OVERRIDES: tuple[str, ...] = (
    "optim.lr=1e-2",
    "optim.lr_warmup_steps_ratio=0.05",
    # verl's FSDP engine defaults to bf16 parameters; CPUs without bf16 units run them ~2x slower.
    "+engine.mixed_precision={param_dtype:fp32,reduce_dtype:fp32,buffer_dtype:fp32}",
    "data.train_batch_size=8",
    "data.max_length=1024",
    # One or two rows per micro-batch: a packed micro-batch attends densely over all its tokens
    # (sdpa on CPU), so 8 rows in one 8k pack cost ~4x the compute of 1k packs (measured).
    "data.max_token_len_per_gpu=1024",
    "trainer.total_epochs=3",
    "trainer.total_training_steps=null",
    "trainer.save_freq=after_each_epoch",
    "trainer.max_ckpt_to_keep=1",
)
SAMPLES_PER_PROMPT = 6

_EN_SECTIONS = (
    "opening", "background", "the first idea", "an example", "the turn", "evidence",
    "the people", "the place", "a problem", "the answer", "the future", "closing",
)  # fmt: skip
_EN_NOUNS = (
    "city river water light story music world history science people school family friend "
    "research data model language energy climate ocean mountain journey letter society economy "
    "technology reader author idea chapter plan"
).split()
_EN_VERBS = "changes shapes holds carries needs makes finds gives keeps opens".split()
_EN_ADJ = "long short important future past first second new old quiet".split()
_EN_LINKS = ("However", "Therefore", "Finally", "First", "Because of this", "For example")
_ZH_SECTIONS = (
    "开头",
    "背景",
    "第一部分",
    "例子",
    "转折",
    "论据",
    "人物",
    "地点",
    "问题",
    "回答",
    "未来",
    "结尾",
)
_ZH_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
    "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都"
)


def _en_sentence(rng: random.Random) -> list[str]:
    words = []
    if rng.random() < 0.3:
        words += rng.choice(_EN_LINKS).split()
        words[-1] += ","
    words += ["the", rng.choice(_EN_ADJ), rng.choice(_EN_NOUNS), rng.choice(_EN_VERBS), "the"]
    words += [rng.choice(_EN_NOUNS), "of", "the", rng.choice(_EN_NOUNS)]
    if rng.random() < 0.5:
        words += ["and", "the", rng.choice(_EN_NOUNS)]
    words[0] = words[0].capitalize()
    words[-1] += "."
    return words


def _en_paragraph(rng: random.Random, budget: int) -> str:
    words: list[str] = []
    while len(words) < budget:
        words += _en_sentence(rng)
    return " ".join(words)


def _zh_paragraph(rng: random.Random, budget: int) -> str:
    out = ""
    while len(out) < budget:
        n = rng.randint(6, 14)
        out += "".join(rng.choice(_ZH_CHARS) for _ in range(n)) + rng.choice("，。。；")
    return out.rstrip("，；。") + "。"


def writer_reply(request: str, rng: random.Random, language: str | None = None) -> str:
    """One synthetic plan-then-write reply to ``request`` (deterministic for ``rng``'s state).

    The plan lists 2-4 sections with word (or character) budgets that add up to the answer's
    length, drawn from :data:`ANSWER_BAND`, and ends on the same closing line ("In all: N words."
    / "合计：N字。"): a fixed cue before ``</think>`` helps a model this small close its plan
    (measured at T 0.8 over 400 samples: version 2, which opened with the count, 91% well formed
    after 300 SFT steps; version 3, this one, 97% after 450). The answer writes one paragraph per
    section.
    """
    from rollout.text import count_words, language_of

    lang = language or language_of(request)
    low, high = ANSWER_BAND["zh" if lang == "zh" else "en"]
    total = rng.randint(low, high)
    n = rng.randint(2, 4)
    cuts = sorted(rng.sample(range(1, total), n - 1))
    budgets = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    sections = rng.sample(_ZH_SECTIONS if lang == "zh" else _EN_SECTIONS, n)
    if lang == "zh":
        paragraphs = [_zh_paragraph(rng, max(4, b)) for b in budgets]
        real = [count_words(p) for p in paragraphs]
        plan = (
            "\n".join(f"{i + 1}. {s}：{b}字" for i, (s, b) in enumerate(zip(sections, real, strict=True)))
            + f"\n合计：{sum(real)}字。"
        )
    else:
        paragraphs = [_en_paragraph(rng, max(4, b)) for b in budgets]
        real = [count_words(p) for p in paragraphs]
        plan = (
            "\n".join(
                f"{i + 1}. {s.capitalize()}: {b} words"
                for i, (s, b) in enumerate(zip(sections, real, strict=True))
            )
            + f"\nIn all: {sum(real)} words."
        )
    answer = "\n\n".join(paragraphs)
    return f"<think>\n{plan}\n</think>\n<answer>\n{answer}\n</answer>"


def writer_corpus(
    prompts: str | Path | None = None, seed: int = 0, per_prompt: int = SAMPLES_PER_PROMPT
) -> list[dict[str, Any]]:
    """The synthetic SFT corpus: ``per_prompt`` replies to each request of ``prompts``.

    ``prompts`` defaults to the bundled ``rl/data/prompts.jsonl``. Each row is
    ``{"messages": [system, user, assistant]}`` with the plan-then-write system prompt of
    :func:`rollout.format.chat_messages`, exactly what the RL data feeds the policy. The same
    (prompts, seed) gives the same rows.
    """
    from rollout.format import chat_messages
    from rollout.jsonl import read_jsonl

    path = Path(prompts) if prompts is not None else _bundled_prompts()
    rng = random.Random(f"tiny-writer:{seed}")
    rows = []
    for lineno, rec in read_jsonl(path).records:
        if not isinstance(rec, dict) or not isinstance(rec.get("prompt"), str):
            raise ValueError(f"{path}:{lineno}: a prompt row needs a 'prompt' string")
        for _ in range(per_prompt):
            messages = chat_messages(rec["prompt"], "plan_write", rec.get("language"))
            messages.append(
                {"role": "assistant", "content": writer_reply(rec["prompt"], rng, rec.get("language"))}
            )
            rows.append({"messages": messages})
    return rows


def _bundled_prompts() -> Path:
    return Path(__file__).resolve().parents[1] / "rl" / "data" / "prompts.jsonl"


def build_tiny_writer(
    path: str | Path, seed: int = 0, overrides: Sequence[str] = (), timeout: float | None = 1800.0
) -> Path:
    """SFT the tiny model on :func:`writer_corpus` with verl's SFT trainer; write an HF folder to ``path``.

    The run goes through :func:`sft_baseline.train.launch` with the ``tiny-cpu`` preset and
    :data:`SFT_OVERRIDES` (then ``overrides``); the last step is exported with
    :func:`rollout.checkpoint.export_checkpoint` (verl's model merger) and copied to ``path`` with
    ``tiny_writer.json`` (version, seed, build seconds, first/last loss).
    """
    from rollout.checkpoint import export_checkpoint
    from rollout.tiny import tiny_model_path
    from sft_baseline.data import prepare_sft
    from sft_baseline.train import launch, read_metrics

    t0 = time.monotonic()
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix="tiny-writer-work-"))
    try:
        corpus = work / "corpus.jsonl"
        with corpus.open("w", encoding="utf-8") as f:
            for row in writer_corpus(seed=seed):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        base = tiny_model_path(seed=0)
        data = prepare_sft(corpus, work / "sft", base, max_length=1024, seed=seed, progress=False)
        run = work / "run"
        launch(
            "tiny-cpu",
            [
                f"model.path={base}",
                f"data.train_files={data.paths['train']}",
                f"trainer.default_local_dir={run}",
                f"trainer.seed={seed + 1}",
                *SFT_OVERRIDES,
                *overrides,
            ],
            timeout=timeout,
        )
        # verl's own model merger turns the last step's FSDP shards into a Hugging Face folder.
        exported = export_checkpoint(run, work / "hf")
        if path.exists():
            shutil.rmtree(path)
        shutil.copytree(exported, path)
        losses = [m["data"]["train/loss"] for m in read_metrics(run) if "train/loss" in m["data"]]
        meta = {
            "version": WRITER_VERSION,
            "seed": seed,
            "base": str(base),
            "rows": data.stats["rows"],
            "steps": len(losses),
            "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None,
            "build_seconds": round(time.monotonic() - t0, 1),
        }
        (path / "tiny_writer.json").write_text(json.dumps(meta, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


def tiny_writer_path(seed: int = 0) -> Path:
    """Path of the cached tiny writer for ``seed``, building it (a few minutes) on first use.

    Lives beside the tiny model (``$LONGWRITE_CACHE_DIR``, default ``~/.cache/longwriter-rl``)
    as ``tiny-writer-v{WRITER_VERSION}-seed{seed}``; a file lock makes concurrent callers wait
    for one build, which is written to a temporary folder and renamed (a killed build leaves
    nothing behind).
    """
    from rollout.tiny import TINY_MODEL_VERSION, cache_root

    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / f"tiny-writer-v{WRITER_VERSION}-m{TINY_MODEL_VERSION}-seed{seed}"
    if (target / "tiny_writer.json").exists():
        return target
    with open(root / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "tiny_writer.json").exists():
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=root))
            try:
                build_tiny_writer(tmp / "model", seed=seed)
                if target.exists():
                    shutil.rmtree(target)
                (tmp / "model").rename(target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return target
