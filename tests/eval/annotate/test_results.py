"""Results of an annotation: kappa by hand, Elo through the project's fit, the LLM judge over
loopback HTTP on the same pairs, preference pairs that `rm data` reads, the report section."""

import json

import pytest
from annotate_runs import make_run, write_data
from fake_judge import pairwise_responder

from eval.annotate.assign import next_assignment, submit
from eval.annotate.judge import judge_db
from eval.annotate.results import agreement, cohen_kappa, export_pairs, results, tables
from eval.annotate.runs import load_runs
from eval.annotate.store import open_db, store_runs
from eval.elo import fit_joint
from eval.pairwise import pairwise_prompt
from rewards.rm.data import prepare_rm_data
from rollout.endpoint import EndpointClient

N_ITEMS = 8


def test_cohen_kappa_by_hand():
    first = ["win", "win", "tie", "loss", "win"]
    second = ["win", "loss", "tie", "loss", "tie"]
    # p_o = 3/5; p_e = (3*1 + 1*2 + 1*2) / 25 = 7/25; kappa = (0.6 - 0.28) / 0.72
    assert cohen_kappa(first, second) == pytest.approx(0.32 / 0.72)
    assert agreement(first, second) == {"n": 5, "percent": 60.0, "kappa": pytest.approx(0.4444444)}
    assert cohen_kappa(["win"] * 3, ["win"] * 3) is None  # p_e = 1: undefined, not 1 or 0
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["win", "loss"], ["loss", "win"]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="same cases"):
        cohen_kappa(["win"], [])


@pytest.fixture
def db(tmp_path):
    """Two runs: 'long' answers 3x longer than 'short'; an annotation database over them."""
    prompts = {f"q{k}": f"Write an essay number {k} on rivers." for k in range(N_ITEMS)}
    data = write_data(tmp_path, prompts)
    long_run = make_run(
        tmp_path, "long", data, {k: f"long essay {k}. " + "river flows on. " * 90 for k in prompts}
    )
    short_run = make_run(
        tmp_path, "short", data, {k: f"short essay {k}. " + "river flows on. " * 30 for k in prompts}
    )
    conn = open_db(tmp_path / "h.db")
    store_runs(conn, load_runs([long_run, short_run]))
    return conn, tmp_path / "h.db"


def _judge_all(conn, who, prefer):
    """``who`` judges every pair: ``prefer(item, left_run, right_run)`` -> verdict."""
    names = dict(conn.execute("SELECT id, name FROM runs"))
    while (a := next_assignment(conn, who)) is not None:
        item = conn.execute("SELECT item_id FROM pairs WHERE id = ?", (a["pair_id"],)).fetchone()[0]
        submit(conn, who, a["id"], prefer(item, names[a["left_run"]], names[a["right_run"]]))


def test_human_elo_agreement_and_judge_on_the_same_pairs(db, fake_openai, tmp_path):
    conn, path = db

    def ann(item, left, right):  # prefers the long answer, except on q0 (tie) and q1 (short)
        if item == "q0":
            return "A=B"
        better_left = (left == "long") != (item == "q1")
        return "A>B" if better_left else "B>A"

    def bob(item, left, right):  # always prefers the long answer; skips q7
        return "skip" if item == "q7" else "A>>B" if left == "long" else "B>>A"

    _judge_all(conn, "ann", ann)
    _judge_all(conn, "bob", bob)
    server = fake_openai(pairwise_responder(), model="pair-judge")
    client = EndpointClient(server.url, server.model, cache_path=tmp_path / "cache.jsonl")
    out = judge_db(conn, path, tmp_path / "judge", client, pairwise_prompt(), progress=False)
    assert out == {"calls": 2 * N_ITEMS, "judged": 2 * N_ITEMS, "failed": 0, "failures": []}
    res = results(conn, [tmp_path / "judge"], rounds=50)
    # the people's Elo is the project's joint fit on their comparisons
    human = res["human"]
    assert human["n"] == N_ITEMS + N_ITEMS - 1
    from eval.annotate.results import _comparisons, human_judgements

    rows = [r for r in human_judgements(conn) if r["verdict"] != "skip"]
    comps = _comparisons([(r["item_id"], r["left_run"], r["right_run"], r["verdict"]) for r in rows])
    assert human["ratings"] == fit_joint(comps, ["long", "short"]).ratings
    assert human["ratings"]["long"] > human["ratings"]["short"]
    assert human["intervals"]["long"]["lo"] is not None
    # the loopback judge prefers the longer answer (3x: "much better") in both orders
    judge = res["judges"][0]
    assert judge["orders_judged"] == 2 * N_ITEMS and judge["elo"]["ratings"]["long"] > 1000
    # ann agrees with the judge on 6 of 8 pairs (not q0, q1); kappa: judge always "long wins"
    a = judge["agreement"]["ann"]
    assert (a["n"], a["percent"]) == (8, 75.0)
    # long < short by name, so outcomes are for "long": ann 6 win 1 tie 1 loss, judge 8 win: p_e = 6/8
    assert a["kappa"] == pytest.approx(0.0)
    assert judge["agreement"]["bob"]["n"] == 7 and judge["agreement"]["bob"]["percent"] == 100.0
    assert judge["agreement"]["bob"]["kappa"] is None  # both always "win": undefined
    inter = res["inter_annotator"][0]
    assert inter["annotators"] == ["ann", "bob"] and (inter["n"], inter["percent"]) == (
        7,
        pytest.approx(100 * 5 / 7),
    )
    # the length-controlled view exists and explains the preference by length
    lc = human["length_controlled"]
    assert lc["elo_per_sd_length"] is not None or lc["note"]
    titles = [t.title for t in tables(res)]
    assert titles[:2] == ["Human evaluation: Elo", "Human evaluation: win / tie / loss"]
    assert "Human evaluation: agreement with the LLM judge" in titles
    # the same in `longwrite report`, beside the runs' own tables
    from eval.report import build_report

    paths = build_report(
        [tmp_path / "long", tmp_path / "short"],
        tmp_path / "report",
        annotations=path,
        annotation_judges=[tmp_path / "judge"],
    )
    md = paths["md"].read_text()
    assert "## Human evaluation: Elo" in md and "LLM judge pair-judge Elo" in md
    assert "| LLM judge pair-judge | ann | 8 | 75% | 0.00 | 0 |" in md
    assert "| ann & bob | 7 | 71% |" in md
    assert res["annotators"]["bob"] == {
        "judged": 7,
        "skipped": 1,
        "ties": 0,
        "median_reading_seconds": pytest.approx(res["annotators"]["bob"]["median_reading_seconds"]),
    }


def test_export_pairs_rm_data_reads_and_ties_skips_are_counted(db, tmp_path):
    conn, _ = db

    def ann(item, left, right):
        if item in ("q0", "q1"):
            return "A=B"
        if item == "q2":
            return "skip"
        return "A>B" if left == "short" else "B>A"

    _judge_all(conn, "ann", ann)
    _judge_all(conn, "bob", lambda item, left, right: "A>B" if (left == "long") == (item != "q3") else "B>A")
    # q0, q1: ann tie, bob long -> long; q2: ann skips, bob long -> long; q3: both short -> short;
    # q4..q7: ann short, bob long -> they cancel: a tied pair, not exported
    out = tmp_path / "pairs.jsonl"
    counts = export_pairs(conn, out)
    assert counts == {"exported": 4, "skips": 1, "tie_judgements": 2, "tied_pairs": 4}
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["id"].split("::")[1]: r["chosen_run"] for r in rows} == {
        "q0": "long",
        "q1": "long",
        "q2": "long",
        "q3": "short",
    }
    assert all(set(r) >= {"prompt", "chosen", "rejected"} for r in rows)
    stats = prepare_rm_data([out], tmp_path / "rm", val_fraction=0.25)
    assert stats["read"]["rows"] == 4 and stats["train"]["pairs"] + stats["val"]["pairs"] == 4


def test_judge_folder_of_another_annotation_is_refused(db, tmp_path):
    conn, _ = db
    (tmp_path / "arena").mkdir()
    (tmp_path / "arena" / "run.json").write_text(json.dumps({"benchmark": "arena-write", "name": "x"}))
    with pytest.raises(ValueError, match="not a `longwrite annotate judge` folder"):
        results(conn, [tmp_path / "arena"])
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "run.json").write_text(
        json.dumps({"benchmark": "annotate-judge", "runs_sha256": "0", "runs": ["a"]})
    )
    with pytest.raises(ValueError, match="judged another annotation's runs"):
        results(conn, [tmp_path / "j"])


def test_position_bias_shows_with_both_orders(db):
    conn, _ = db
    names = dict(conn.execute("SELECT id, name FROM runs"))
    n = 0
    while (a := next_assignment(conn, "lefty", both_orders=True)) is not None:
        submit(conn, "lefty", a["id"], "A>B")  # always the left answer: a pure position bias
        n += 1
    assert n == 2 * N_ITEMS
    res = results(conn, rounds=20)
    assert res["position"]["lefty"] == {"left": 16, "tie": 0, "right": 0, "both_orders": 8, "consistent": 0}
    # the two orders cancel: the Elo sees no difference between the runs
    r = res["human"]["ratings"]
    assert r["long"] == pytest.approx(r["short"]) == pytest.approx(1000.0)
    assert sorted(names.values()) == ["long", "short"]
