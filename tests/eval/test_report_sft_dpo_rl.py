"""The comparative report takes any number of runs: SFT, DPO and RL evaluations side by side
(what `longwrite demo` passes it, with a DPO run added), one leaderboard row each."""

from __future__ import annotations

from fake_judge import writer_responder

from eval.generate import EndpointBackend, GenerationSettings
from eval.longbench_write import run_longbench_write
from longwrite.cli import main as cli_main
from rollout.endpoint import EndpointClient


def test_sft_dpo_and_rl_runs_share_one_leaderboard(fake_openai, tmp_path, longbench_dir, capsys):
    runs = []
    for name, words in (("sft-writer", 60), ("dpo", 150), ("rl", 240)):
        server = fake_openai(writer_responder(default_words=words), model=name)
        client = EndpointClient(server.url, server.model, cache_path=tmp_path / f"{name}.g", max_retries=0)
        run_longbench_write(
            longbench_dir / "longbench_write.jsonl",
            tmp_path / name,
            EndpointBackend(client),
            GenerationSettings(max_tokens=64),
            limit=4,
            progress=False,
        )
        runs.append(str(tmp_path / name))
    assert cli_main(["report", *runs, "--out", str(tmp_path / "report")]) == 0
    capsys.readouterr()
    md = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    board = md.split("## Leaderboard (LongBench-Write)")[1].split("\n## ")[0]
    rows = [line for line in board.splitlines() if line.startswith("| ") and "items" not in line]
    named = [r for r in rows if any(f"| {n}" in r for n in ("sft-writer", "dpo", "rl"))]
    assert len(named) == 3, board
    assert all(n in board for n in ("sft-writer", "dpo", "rl"))
