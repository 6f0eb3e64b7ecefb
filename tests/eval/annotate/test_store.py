"""Runs in, pairs scheduled, judgements stored: the database and the scheduler without a server."""

import sqlite3

import pytest
from annotate_runs import make_run, write_data

from eval.annotate.assign import SECOND_ORDER_GAP, JudgementError, next_assignment, progress, submit
from eval.annotate.runs import load_runs
from eval.annotate.store import create_token, open_db, store_runs, token_annotator
from rollout.text import count_words


@pytest.fixture
def three_runs(tmp_path):
    prompts = {f"q{k}": f"Write a story number {k} about the sea." for k in range(4)}
    data = write_data(tmp_path, prompts)
    runs = []
    for r, name in enumerate(["base", "sft", "rl"]):
        answers = {
            k: f"<think>plan {name}</think><answer>{name} story {k} " + "word " * (20 * (r + 1)) + "</answer>"
            for k in prompts
        }
        if name == "rl":
            answers["q3"] = None  # a failed generation
        runs.append(make_run(tmp_path, name, data, answers))
    return runs


def test_runs_load_with_plans_split_and_failures_listed(three_runs):
    rs = load_runs(three_runs)
    assert rs.names == ["base", "sft", "rl"]
    assert [i.id for i in rs.items] == ["q0", "q1", "q2", "q3"]
    a = rs.answers[("q0", "sft")]
    assert a.plan == "plan sft" and a.text.startswith("sft story q0 word") and "<think>" not in a.text
    assert a.words == count_words(a.text) and a.words > 40
    assert rs.unavailable == [
        (
            "q3",
            "rl",
            "generation failed: no response for index 'q3' in "
            + str(three_runs[2].parent / "rl.responses.jsonl"),
        )
    ]


def test_bad_runs_are_refused_with_one_clear_line(tmp_path, three_runs):
    with pytest.raises(ValueError, match="two or more"):
        load_runs(three_runs[:1])
    with pytest.raises(ValueError, match="not an evaluation run folder"):
        load_runs([three_runs[0], tmp_path / "nowhere"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="needs run.json"):
        load_runs([three_runs[0], tmp_path / "empty"])
    other = tmp_path / "other"
    other.mkdir()
    data2 = write_data(other, {"q0": "Write a story number 0 about the sea.", "q9": "Another request."})
    odd = make_run(other, "odd", data2, {"q0": "x", "q9": "y"})
    with pytest.raises(
        ValueError,
        match=r"not over the same items: 'base' lacks item\(s\) q9; 'odd' lacks item\(s\) q1, q2, q3",
    ):
        load_runs([three_runs[0], odd])
    with pytest.raises(ValueError, match="two runs are named 'base'"):
        load_runs([three_runs[0], three_runs[0]])


def test_pairs_skip_unavailable_answers_and_a_db_holds_one_annotation(tmp_path, three_runs):
    conn = open_db(tmp_path / "h.db")
    store_runs(conn, load_runs(three_runs))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # 4 items x 3 run pairs, minus the two pairs of q3 that involve the failed rl answer
    assert conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0] == 12 - 2
    store_runs(conn, load_runs(three_runs))  # the same runs again: fine
    with pytest.raises(ValueError, match="annotates runs base, rl, sft; got base, sft"):
        store_runs(conn, load_runs(three_runs[:2]))


def test_each_annotator_sees_each_pair_once_with_sides_and_orders(tmp_path, three_runs):
    conn = open_db(tmp_path / "h.db")
    store_runs(conn, load_runs(three_runs))
    seen = []
    while (a := next_assignment(conn, "ann")) is not None:
        again = next_assignment(conn, "ann")
        assert again["id"] == a["id"]  # a reload shows the open pair again
        submit(conn, "ann", a["id"], "A>B")
        seen.append(a)
    assert len(seen) == 10 and len({s["pair_id"] for s in seen}) == 10
    assert {s["order_no"] for s in seen} == {1}
    lefts = [s["left_run"] < s["right_run"] for s in seen]
    assert 0 < sum(lefts) < len(lefts)  # sides are drawn, not fixed
    other = [next_assignment(conn, "bob")["pair_id"]]
    assert other[0] in {s["pair_id"] for s in seen}  # annotators overlap (for inter-annotator agreement)
    assert progress(conn, "ann") == {"done": 10, "skipped": 0, "total": 10}
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO assignments (annotator, pair_id, order_no, left_run, right_run, shown_at) VALUES (?,?,?,?,?,?)",
            ("ann", seen[0]["pair_id"], 1, 1, 2, "now"),
        )


def test_both_orders_swap_sides_and_wait_between(tmp_path, three_runs):
    conn = open_db(tmp_path / "h.db")
    store_runs(conn, load_runs(three_runs))
    shown = []
    while (a := next_assignment(conn, "ann", both_orders=True)) is not None:
        submit(conn, "ann", a["id"], "skip" if len(shown) % 3 == 0 else "A=B")
        shown.append(a)
    assert len(shown) == 20
    by_pair = {}
    for k, s in enumerate(shown):
        by_pair.setdefault(s["pair_id"], []).append((k, s))
    for both in by_pair.values():
        (k1, first), (k2, second) = both
        assert (first["order_no"], second["order_no"]) == (1, 2)
        assert (first["left_run"], first["right_run"]) == (second["right_run"], second["left_run"])
        assert k2 - k1 > SECOND_ORDER_GAP or k2 >= 20 - SECOND_ORDER_GAP - 1
    assert progress(conn, "ann", both_orders=True)["total"] == 20


def test_submit_refuses_bad_verdicts_other_annotators_and_repeats(tmp_path, three_runs):
    conn = open_db(tmp_path / "h.db")
    store_runs(conn, load_runs(three_runs))
    a = next_assignment(conn, "ann")
    with pytest.raises(JudgementError, match="verdict must be one of") as e:
        submit(conn, "ann", a["id"], "A>>>B")
    assert e.value.status == 400
    with pytest.raises(JudgementError, match="no assignment") as e:
        submit(conn, "bob", a["id"], "A>B")
    assert e.value.status == 404
    rec = submit(conn, "ann", a["id"], "B>>A", "  fuller  ", 12.5)
    assert rec["reading_seconds"] >= 0
    with pytest.raises(JudgementError, match="already judged") as e:
        submit(conn, "ann", a["id"], "A>B")
    assert e.value.status == 409
    row = conn.execute("SELECT * FROM judgements").fetchone()
    assert (row["annotator"], row["verdict"], row["reason"], row["visible_seconds"]) == (
        "ann",
        "B>>A",
        "fuller",
        12.5,
    )


def test_tokens_hashed_and_checked(tmp_path):
    conn = open_db(tmp_path / "h.db")
    token = create_token(conn, "alice")
    assert token_annotator(conn, token) == "alice"
    assert token_annotator(conn, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert token_annotator(conn, "") is None
    assert token not in (tmp_path / "h.db").read_bytes().decode("latin-1")
    with pytest.raises(ValueError, match="already has a token"):
        create_token(conn, "alice")
    with pytest.raises(ValueError, match="annotator name"):
        create_token(conn, "al ice")
