"""The reading app as a real server process over HTTP on 127.0.0.1: blind API, durable writes
(SIGKILL), several annotators at once, tokens, and the CLI's refusals."""

import subprocess
import sys
import threading

import pytest
from annotate_runs import make_run, write_data
from annotate_server import Server, call

N_ITEMS = 6
RUN_NAMES = ["model-alpha-sft", "model-beta-rl"]


@pytest.fixture
def runs(tmp_path):
    prompts = {f"q{k}": f"Write a report number {k} on harbours." for k in range(N_ITEMS)}
    data = write_data(tmp_path, prompts)
    return [
        make_run(
            tmp_path,
            name,
            data,
            {
                k: f"<think>plan</think><answer>{name[6:10]} text {k} " + "w " * (10 + r) + "</answer>"
                for k in prompts
            },
        )
        for r, name in enumerate(RUN_NAMES)
    ]


def _longwrite(*args):
    return subprocess.run(
        [sys.executable, "-m", "longwrite.cli", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def _no_run_names(raw):
    for name in RUN_NAMES:
        assert name not in raw
    assert "run_id" not in raw and "left_run" not in raw


def test_blind_api_survives_sigkill_and_keeps_each_pair_once(runs, tmp_path):
    db = tmp_path / "h.db"
    server = Server(*runs, "--db", db)
    try:
        assert "2 runs, 6 items, 6 pairs to read" in "".join(server.lines)
        status, page, raw = call(server.url, "/", name="ann")
        assert status == 200 and "Which answer is better?" in raw
        _no_run_names(raw)
        status, body, _ = call(server.url, "/api/next")
        assert status == 401 and "enter your name" in body["error"]
        status, body, _ = call(server.url, "/api/login", {"name": "bad name!"})
        assert status == 400 and "annotator name" in body["error"]
        status, first, raw = call(server.url, "/api/next", name="ann")
        assert status == 200 and set(first) == {"done", "assignment", "request", "A", "B", "progress"}
        _no_run_names(raw)
        assert first["A"]["plan"] == "plan" and "<answer>" not in first["A"]["text"]
        status, again, _ = call(server.url, "/api/next", name="ann")
        assert again["assignment"] == first["assignment"]  # a reload shows the same pair
        status, body, raw = call(
            server.url,
            "/api/judge",
            {
                "assignment": first["assignment"],
                "verdict": "A>>B",
                "reason": "richer",
                "visible_seconds": 3.5,
            },
            name="ann",
        )
        assert status == 200 and body["progress"] == {"done": 1, "skipped": 0, "total": 6}
        _no_run_names(raw)
        status, body, _ = call(
            server.url, "/api/judge", {"assignment": first["assignment"], "verdict": "B>A"}, name="bob"
        )
        assert status == 404  # not bob's
        status, body, _ = call(
            server.url, "/api/judge", {"assignment": first["assignment"], "verdict": "B>A"}, name="ann"
        )
        assert status == 409
        status, body, _ = call(server.url, "/api/judge", b"{not json", name="ann")
        assert status == 400 and "not JSON" in body["error"]
        server.kill9()  # right after an acknowledged submit
    finally:
        server.stop()
    server = Server(*runs, "--db", db)
    try:
        assert "1 judgement(s) so far" in "".join(server.lines)
        status, nxt, _ = call(server.url, "/api/next", name="ann")
        assert nxt["assignment"] != first["assignment"] and nxt["progress"]["done"] == 1
    finally:
        server.stop()
    import sqlite3

    row = (
        sqlite3.connect(db)
        .execute("SELECT annotator, verdict, reason, visible_seconds FROM judgements")
        .fetchall()
    )
    assert row == [("ann", "A>>B", "richer", 3.5)]


def test_two_annotators_at_once_each_pair_once(runs, tmp_path):
    db = tmp_path / "h.db"
    server = Server(*runs, "--db", db, "--both-orders")
    errors = []

    def annotate(who):
        try:
            for _ in range(2 * N_ITEMS):
                _, nxt, raw = call(server.url, "/api/next", name=who)
                _no_run_names(raw)
                status, body, _ = call(
                    server.url, "/api/judge", {"assignment": nxt["assignment"], "verdict": "A=B"}, name=who
                )
                assert status == 200, body
            _, nxt, _ = call(server.url, "/api/next", name=who)
            assert nxt["done"] is True
        except Exception as exc:  # reported below, in the test's thread
            errors.append(f"{who}: {exc}")

    try:
        threads = [threading.Thread(target=annotate, args=(w,)) for w in ("ann", "bob", "cy")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        server.stop()
    assert errors == []
    import sqlite3

    conn = sqlite3.connect(db)
    per = conn.execute(
        "SELECT a.annotator, COUNT(*), COUNT(DISTINCT a.pair_id || ':' || a.order_no) FROM judgements j "
        "JOIN assignments a ON a.id = j.assignment_id GROUP BY a.annotator"
    ).fetchall()
    assert sorted(per) == [("ann", 12, 12), ("bob", 12, 12), ("cy", 12, 12)]


def test_tokens_on_every_request_and_other_hosts(runs, tmp_path):
    db = tmp_path / "h.db"
    r = _longwrite("annotate", *runs, "--db", db, "--host", "0.0.0.0")
    assert r.returncode == 2 and "create a token per annotator first" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    tokens = {}
    for who in ("alice", "bob"):
        r = _longwrite("annotate", "token", "create", who, "--db", db)
        assert r.returncode == 0, r.stderr
        tokens[who] = r.stdout.split(": ", 1)[1].split()[0]
    r = _longwrite("annotate", "token", "list", "--db", db)
    assert "alice" in r.stdout and tokens["alice"] not in r.stdout
    server = Server(*runs, "--db", db, "--host", "127.0.0.1")
    try:
        assert "tokens required" in "".join(server.lines)
        for path in ("/", "/static/app.js", "/api/me", "/api/next"):
            status, body, raw = call(server.url, path, name="alice")  # a name is not enough now
            assert status == 401 and "needs your token" in raw
        tampered = tokens["alice"][:-2] + ("xy" if not tokens["alice"].endswith("xy") else "zz")
        status, body, _ = call(server.url, "/api/next", token=tampered)
        assert status == 401 and body["error"] == "unknown or tampered token: ask for your link again"
        status, _, raw = call(server.url, f"/login?token={tampered}")
        assert status == 401 and "unknown or tampered token" in raw
        status, nxt, raw = call(server.url, "/api/next", token=tokens["alice"])
        assert status == 200
        _no_run_names(raw)
        status, _, _ = call(server.url, "/api/next", cookie_token=tokens["bob"])
        assert status == 200
        status, body, _ = call(
            server.url, "/api/judge", {"assignment": nxt["assignment"], "verdict": "A>B"}, token=tokens["bob"]
        )
        assert status == 404  # bob cannot judge (or read) alice's pair
        status, body, _ = call(server.url, "/api/login", {"name": "mallory"})
        assert status == 400 and "uses tokens" in body["error"]
    finally:
        server.stop()


def test_cli_refuses_bad_runs_in_one_line(runs, tmp_path):
    db = tmp_path / "h.db"
    cases = [
        ((runs[0],), "compares two or more evaluation runs, got 1"),
        ((runs[0], tmp_path / "missing"), "is not an evaluation run folder"),
    ]
    other = tmp_path / "other"
    other.mkdir()
    data = write_data(other, {"q0": "Write a report number 0 on harbours.", "zz": "Other."})
    cases.append(
        (
            (runs[0], make_run(other, "x", data, {"q0": "a", "zz": "b"})),
            "'x' lacks item(s) q1, q2, q3, q4, q5",
        )
    )
    for args, message in cases:
        r = _longwrite("annotate", *args, "--db", db)
        assert r.returncode == 2 and message in r.stderr, r.stderr
        assert r.stderr.startswith("longwrite annotate: error: ") and len(r.stderr.strip().splitlines()) == 1
    r = _longwrite("annotate", "results", "--db", tmp_path / "nothing.db")
    assert r.returncode == 2 and "annotation database not found" in r.stderr


def test_results_export_rm_data_and_report_from_the_command_line(runs, tmp_path):
    from eval.annotate.assign import next_assignment, submit
    from eval.annotate.runs import load_runs
    from eval.annotate.store import open_db, store_runs

    db = tmp_path / "h.db"
    conn = open_db(db)
    store_runs(conn, load_runs(runs))
    for who, verdict in (("ann", "A>B"), ("bob", "skip")):
        while (a := next_assignment(conn, who)) is not None:
            submit(conn, who, a["id"], verdict)
    pairs = tmp_path / "pairs.jsonl"
    r = _longwrite(
        "annotate",
        "results",
        "--db",
        db,
        "--export-pairs",
        pairs,
        "--json",
        tmp_path / "r.json",
        "--bootstrap",
        "20",
    )
    assert r.returncode == 0, r.stderr
    assert (
        "Human evaluation: Elo" in r.stdout
        and "6 human verdict(s) from 2 annotator(s) on 6 pair(s), 6 skipped" in r.stdout
    )
    assert f"wrote {N_ITEMS} preference pair(s)" in r.stdout and "6 skip(s)" in r.stdout
    r = _longwrite("rm", "data", "--in", pairs, "--out", tmp_path / "rm")
    assert r.returncode == 0, r.stderr
    r = _longwrite("report", *runs, "--out", tmp_path / "rep", "--annotations", db)
    assert r.returncode == 0, r.stderr
    assert "## Human evaluation: Elo" in (tmp_path / "rep" / "report.md").read_text()
