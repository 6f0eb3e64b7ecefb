"""`longwrite rm eval --model` shows the RM's hacking probes (table printed, json and md written),
scored by the classifier backend as training scores; `--no-probes` leaves them out."""

from __future__ import annotations

import json

from longwrite.cli import main as longwrite_main
from rewards.testing import PROBES


def test_rm_eval_prints_and_writes_the_probe_table(random_rm, tmp_path, capsys):
    data = tmp_path / "data"
    assert (
        longwrite_main(["rm", "data", "--synthetic", "4", "--val-fraction", "0.5", "--out", str(data)]) == 0
    )
    out = tmp_path / "eval.json"
    argv = ["rm", "eval", "--data", str(data / "val.jsonl"), "--model", random_rm, "--no-baseline"]
    assert longwrite_main([*argv, "--no-lexical", "--max-length", "256", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "hacking probes of reward `quality`" in printed and "| pad_repeat |" in printed
    assert "rm probes: " in printed
    result = json.loads(out.read_text())
    probes = result["probes"]["probes"]
    assert list(probes) == list(PROBES)
    for name, p in probes.items():
        assert p["scored"] == 6 and p["missing"] == [], (name, p)  # every answer scored both times
        assert 0.0 <= p["mean_before"] <= 1.0 and 0.0 <= p["mean_after"] <= 1.0
    assert "| judge_injection |" in out.with_suffix(".md").read_text()

    assert (
        longwrite_main([*argv, "--no-lexical", "--max-length", "256", "--no-probes", "--out", str(out)]) == 0
    )
    assert "probes" not in json.loads(out.read_text())
    assert "hacking probes" not in capsys.readouterr().out
