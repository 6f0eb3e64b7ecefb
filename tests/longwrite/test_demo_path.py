"""Slow: the demo's path after GRPO - export, evaluate base / SFT / RL on the demo's items, report,
and the verdict the demo exists for: RL beats the SFT writer on length, on the same items.

The GRPO run is the demo's own (:func:`longwrite.demo.grpo`), made once per test process and
shared with the learning test's ``long`` case (``tests/helpers/grpo_long.py``). The fail path (RL
not beating SFT, runs over different items) is tested fast in ``test_demo.py``.
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.timeout(1800)
def test_the_demo_path_ends_with_rl_beating_the_sft_writer_on_the_same_items(longbench_dir, capsys):
    from grpo_long import long_run

    from longwrite import demo

    opts, run, writer = long_run(longbench_dir)
    assert run.returncode == 0, f"verl failed, see {run.log_file}"
    rc = demo.evaluate_and_compare(opts, writer, run)
    out = capsys.readouterr().out
    assert rc == 0, out
    verdict = next(line for line in out.splitlines() if "the SFT writer on length" in line)
    assert "RL beats the SFT writer on length:" in verdict and "monitors: distinct-1 " in verdict
    print(verdict)
    ids = {}
    for name in ("tiny-base", "sft-writer", "rl"):
        scores = json.loads((opts.out / "eval" / name / "lbw" / "scores.json").read_text())
        ids[name] = {i["id"] for i in scores["items"]}
        assert scores["overall"]["n"] == len(ids[name]) > 0
    assert ids["rl"] == ids["sft-writer"] == ids["tiny-base"]
    # One line of ours per stage; the engines' output went to the stage logs.
    for name in ("tiny-base", "sft-writer", "rl"):
        log = opts.out / "logs" / f"eval-{name}-lbw.log"
        assert f"eval {name} lbw: done in" in out and log.stat().st_size > 0
    assert "nanobind" not in out and "INFO" not in out
    report = (opts.out / "report" / "report.md").read_text()
    assert report.index("## Leaderboard") < report.index("## Comparability")
