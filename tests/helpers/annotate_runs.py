"""Evaluation run folders for the annotation tests, made by the real eval code (data file ->
`eval.data.load_items` -> `ResponsesBackend` -> `eval.judged_run.start_run`), with the answers given."""

import json
from pathlib import Path

from benchmarks._long_text import english_paragraphs


def long_request(k: int, chars: int = 3000) -> str:
    """A writing request of about ``chars`` characters (a brief with background notes)."""
    notes = " ".join(english_paragraphs(chars // 6, seed=100 + k))[:chars]
    return f"Write a long essay (request {k}) on the background notes below, about 10000 words.\n\nNotes: {notes}"


def long_answer(seed: int, words: int = 10_000, plan: bool = True) -> str:
    """A plan-then-write response whose answer has ``words`` words in paragraphs."""
    body = "\n\n".join(english_paragraphs(words, seed=seed))
    return (f"<think>Plan {seed}: introduction, three parts, conclusion.</think>\n" if plan else "") + (
        f"<answer>{body}</answer>" if plan else body
    )


def make_run(root: Path, name: str, data: Path, answers: dict[str, str | None]) -> Path:
    """A run folder ``root/name`` answering the items of ``data`` with ``answers`` (item id ->
    response; None or absent: a failed generation, as the real backend records it)."""
    from eval.data import load_items
    from eval.generate import GenerationSettings
    from eval.judged_run import run_meta, start_run
    from eval.responses import ResponsesBackend

    items = load_items(data)
    responses = root / f"{name}.responses.jsonl"
    with responses.open("w", encoding="utf-8") as fh:
        for it in items:
            if answers.get(it.id) is not None:
                fh.write(json.dumps({"index": it.id, "response": answers[it.id]}) + "\n")
    backend = ResponsesBackend(responses, name, [it.id for it in items])
    settings = GenerationSettings()
    out = root / name
    meta = run_meta("longbench-write", "lbw-test", backend, settings, data, len(items), name=name)
    start_run(out, meta, items, backend, settings, progress=False)
    return out


def write_data(root: Path, prompts: dict[str, str], name: str = "data.jsonl") -> Path:
    """A LongBench-Write-style data file of ``prompts`` (id -> request text)."""
    path = root / name
    path.write_text(
        "".join(
            json.dumps({"id": k, "prompt": p, "length": 10_000, "type": "essay"}) + "\n"
            for k, p in prompts.items()
        ),
        encoding="utf-8",
    )
    return path
