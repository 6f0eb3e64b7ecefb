"""`longwrite prepare-rl --checklists`: each request's criteria made through a real loopback
generator (HTTP on 127.0.0.1), stored, resumed after a SIGKILL mid-way, reviewed and edited by a
person, failures listed (never invented), and the checklist carried into every parquet row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from fake_judge import checklist_writer_responder
from fake_openai import FakeOpenAIServer

from longwrite.cli import main as longwrite_main
from rewards.checklist.generate import REVIEW_FILE, STORE_FILE, prompt_key
from rl.prepare import BUNDLED_PROMPTS

ROOT = Path(__file__).resolve().parents[2]


def _rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _store(out: Path) -> list[dict]:
    path = out / STORE_FILE
    return (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    )


def _argv(url: str, out: Path, prompts: Path = BUNDLED_PROMPTS) -> list[str]:
    return [
        "prepare-rl", "--prompts", str(prompts), "--out", str(out), "--preset", "tiny-cpu",
        "--val-fraction", "0.1", "--checklists", url, "--checklist-model", "fake-model",
    ]  # fmt: skip


@pytest.mark.timeout(300)
def test_killed_mid_way_the_next_run_repeats_no_finished_prompt(tmp_path):
    n = sum(1 for line in BUNDLED_PROMPTS.read_text().splitlines() if line.strip())  # 200 requests
    out = tmp_path / "data"
    # 2 s a reply, 8 at a time (the client's default): the 24th reply lands at ~6 s and all 200 would
    # take ~50 s, so the kill falls mid-way even when this process is slow to be scheduled (at 0.3 s
    # a reply a loaded CI machine let all 200 finish first).
    with FakeOpenAIServer(checklist_writer_responder(), latency=2.0) as slow:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "longwrite.cli", *_argv(slow.url, out)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while len(_store(out)) < 24 and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done_before = {r["key"] for r in _store(out)}
    assert 24 <= len(done_before) < n, "kill the run mid-way"
    assert not (out / "train.parquet").exists()
    with FakeOpenAIServer(checklist_writer_responder()) as server:
        assert longwrite_main(_argv(server.url, out)) == 0
        asked = {prompt_key(_between(b)) for b in server.snapshot()}
    assert not asked & done_before  # nothing finished was asked again
    assert len(asked) == n - len(done_before)
    assert len({r["key"] for r in _store(out)}) == n
    manifest = json.loads((out / "manifest.json").read_text())["checklists"]
    assert (manifest["ok"], manifest["cached"], manifest["generated"], manifest["failed"]) == (
        n,
        len(done_before),
        n - len(done_before),
        [],
    )
    rows = _rows(out / "train.parquet") + _rows(out / "val.parquet")
    assert len(rows) == n
    for row in rows:
        info = row["extra_info"]
        criteria = json.loads(info["checklist"])
        assert info["checklist_key"] == prompt_key(info["request"])
        assert 3 <= len(criteria) <= 7 and criteria[0]["hard"] is True
        assert set(criteria[0]["bands"]) == {"1-2", "3-4", "5-6", "7-8", "9-10"}


def _between(body: dict) -> str:
    from fake_openai import last_user_content

    text = (
        last_user_content(body)
        if "[Writing request]" in last_user_content(body)
        else body["messages"][0]["content"]
    )
    return text.split("[Writing request]\n", 1)[1].split("\n\nWrite 3 to 7 criteria", 1)[0]


def test_bad_checklists_are_listed_not_invented_and_a_review_edit_is_used(tmp_path, capsys):
    prompts = tmp_path / "p.jsonl"
    reqs = [
        ("a", "Write a travel diary about harbours and ferries."),
        ("b", "Write a guide to sourdough baking INVALID with starters."),
        ("c", "Write a short history of clocks DOWN and timekeeping."),
        ("d", "Write an essay about mountain villages and winter."),
    ]
    prompts.write_text("".join(json.dumps({"id": i, "prompt": p}) + "\n" for i, p in reqs))
    out = tmp_path / "data"
    with FakeOpenAIServer(checklist_writer_responder(invalid=["INVALID"], always_error=["DOWN"])) as server:
        argv = [*_argv(server.url, out, prompts), "--val-fraction", "0"]
        argv[argv.index("--val-fraction") + 1] = "0.25"
        assert longwrite_main(argv) == 2  # refused: two requests have no checklist
        err = capsys.readouterr().err
        assert "2 of 4 requests have no checklist" in err and "b:" in err and "c:" in err
        assert "2 criteria; a checklist has 3-7" in err and "HTTP 400" in err
        assert not (out / "train.parquet").exists()
        # the review file lists them with their reasons and empty criteria; a person fills in b
        review = yaml.safe_load((out / REVIEW_FILE).read_text())
        by_id = {e["id"]: e for e in review}
        assert by_id["b"]["criteria"] == [] and "failed" in by_id["b"]
        by_id["b"]["criteria"] = [
            {
                "name": f"C{k}",
                "description": f'Uses the term "t{k}".',
                "hard": k == 0,
                "bands": {b: "x" for b in ("1-2", "3-4", "5-6", "7-8", "9-10")},
            }
            for k in range(3)
        ]
        by_id["a"]["criteria"][1]["description"] = 'Uses the term "lantern".'  # an edit of a made one
        (out / REVIEW_FILE).write_text(yaml.safe_dump(review, allow_unicode=True, sort_keys=False))
        before = len(server.snapshot())
        assert longwrite_main([*argv, "--checklist-missing", "drop"]) == 0
        asked = server.snapshot()[before:]
    assert len(asked) >= 1 and all("DOWN" in json.dumps(b) for b in asked)  # only c was asked again
    manifest = json.loads((out / "manifest.json").read_text())["checklists"]
    assert manifest["edited"] == 2 and [f["id"] for f in manifest["failed"]] == ["c"]
    rows = {
        r["extra_info"]["id"]: r["extra_info"]
        for r in _rows(out / "train.parquet") + _rows(out / "val.parquet")
    }
    assert sorted(rows) == ["a", "b", "d"]  # c dropped, and listed
    assert json.loads(rows["b"]["checklist"])[0]["name"] == "C0"
    assert json.loads(rows["a"]["checklist"])[1]["description"] == 'Uses the term "lantern".'
    # a bad edit is refused, naming the file and the id
    review = yaml.safe_load((out / REVIEW_FILE).read_text())
    review[0]["criteria"] = review[0]["criteria"][:2]
    (out / REVIEW_FILE).write_text(yaml.safe_dump(review, allow_unicode=True, sort_keys=False))
    capsys.readouterr()
    assert longwrite_main([*argv, "--checklist-missing", "drop"]) == 2
    assert (
        "checklists_review.yaml: entry 1 (id 'a'): 2 criteria; a checklist has 3-7" in capsys.readouterr().err
    )
