"""The checklist reward against a real loopback judge (HTTP on 127.0.0.1) that scores each
criterion from the answer's content (tests/helpers/fake_judge.checklist_judge_responder).

At the real shape: a request of several thousand characters, 10,000-word answers, several answers
per batch, both modes. What is checked: the reward follows what the answer says (a required term),
not its length; both modes agree with this judge and cost what they should (calls, tokens); the veto
caps an answer that ignores a hard constraint; a judge failure or a missing checklist is missing
(None), never 0; malformed model output scores 0 with a reason and never crashes.
"""

from __future__ import annotations

import json

import pytest
from fake_judge import checklist_judge_responder, term_checklist
from fake_openai import FakeOpenAIServer

from rewards.base import RewardConfig, score_batch
from rewards.checklist.reward import aggregate, checklist_of, parse_all_scores

REQUEST = "Write a long report on the history of lighthouses along the northern coast. " + (
    "Cover the keepers, the lamps, the storms, the shipping routes and the towns that grew around them. " * 40
)
TERMS = ["lighthouse", "keeper", "fresnel"]


def answer(words: int, terms: list[str]) -> str:
    """A plan-then-write response of ``words`` answer words that uses exactly ``terms``."""
    filler = "the coast had many long nights and the sea was loud and cold".split()
    body = [filler[k % len(filler)] for k in range(words - len(terms))] + list(terms)
    return f"<think>plan</think><answer>{' '.join(body)}</answer>"


def config(url: str, mode: str, **extra) -> RewardConfig:
    return RewardConfig(
        {"checklist": 1.0}, {"checklist": {"base_url": url, "model": "fake-model", "mode": mode, **extra}}
    )


def samples(checklist):
    meta = {"checklist": json.dumps(checklist)}
    return [
        {"prompt": REQUEST, "response": answer(10_000, TERMS), "metadata": dict(meta)},
        {"prompt": REQUEST, "response": answer(10_000, ["lighthouse"]), "metadata": dict(meta)},
        {"prompt": REQUEST, "response": answer(300, TERMS), "metadata": dict(meta)},
        {"prompt": REQUEST, "response": answer(300, []), "metadata": dict(meta)},
    ]


@pytest.mark.parametrize("mode", ["per_criterion", "all_at_once"])
def test_reward_follows_the_content_not_the_length(mode):
    with FakeOpenAIServer(checklist_judge_responder()) as server:
        out = score_batch(samples(term_checklist(TERMS)), config(server.url, mode, veto=False))
        requests = server.snapshot()
    values = [b.components["checklist"] for b in out]
    full, partial = (9 - 1) / 9, ((9 - 1) + 2 * (2 - 1)) / 27
    assert values == pytest.approx([full, partial, full, (3 * (2 - 1)) / 27])  # 10k words == 300 words
    per_answer = 3 if mode == "per_criterion" else 1
    assert len(requests) == 4 * per_answer
    assert [b.details["checklist.judge_calls"] for b in out] == [per_answer] * 4
    assert json.loads(out[1].details["checklist.scores"]) == {
        "Mentions lighthouse": 9,
        "Mentions keeper": 2,
        "Mentions fresnel": 2,
    }
    # The answer is shown whole (80,000 characters): a 10,000-word answer is not cut.
    assert out[0].details["checklist.cut_chars"] == 0
    assert out[0].details["checklist.prompt_tokens"] >= per_answer * 10_000


def test_all_at_once_costs_fewer_prompt_tokens_than_per_criterion():
    tokens = {}
    for mode in ("per_criterion", "all_at_once"):
        with FakeOpenAIServer(checklist_judge_responder()) as server:
            out = score_batch(samples(term_checklist(TERMS))[:1], config(server.url, mode))
        tokens[mode] = out[0].details["checklist.prompt_tokens"]
    assert tokens["all_at_once"] < tokens["per_criterion"] / 2  # the answer is sent once, not 3 times


@pytest.mark.parametrize("mode", ["per_criterion", "all_at_once"])
def test_veto_caps_an_answer_that_ignores_a_hard_constraint(mode):
    checklist = term_checklist(TERMS, hard=["fresnel"])
    with FakeOpenAIServer(checklist_judge_responder()) as server:
        out = score_batch(samples(checklist)[:2], config(server.url, mode, veto_cap=0.2))
        free = score_batch(samples(checklist)[:2], config(server.url, mode, veto=False))
    assert out[0].components["checklist"] == pytest.approx(8 / 9)  # met it: no cap
    assert out[0].details["checklist.vetoed"] == 0
    assert free[1].components["checklist"] == pytest.approx(10 / 27)  # 0.37 without the veto
    assert out[1].components["checklist"] == pytest.approx(0.2)  # capped
    assert out[1].details["checklist.vetoed"] == 1 and out[1].details["checklist.hard_violated"] == 1
    assert any("'Mentions fresnel' (2/10) violated" in r for r in out[1].reasons)


@pytest.mark.parametrize("mode", ["per_criterion", "all_at_once"])
def test_a_judge_failure_is_missing_never_zero(mode):
    rows = samples(term_checklist(TERMS))
    rows[1]["response"] = rows[1]["response"].replace("lighthouse", "lighthouse BROKEN")
    rows[2]["response"] = rows[2]["response"].replace("keeper", "keeper UNREADABLE")
    with FakeOpenAIServer(
        checklist_judge_responder(always_error=["BROKEN"], always_bad=["UNREADABLE"])
    ) as server:
        out = score_batch(rows, config(server.url, mode, max_retries=0, backoff_base=0.01))
    assert out[0].components["checklist"] == pytest.approx(8 / 9)
    assert out[1].components["checklist"] is None and out[2].components["checklist"] is None
    assert any("HTTP 500" in r and "missing, not 0" in r for r in out[1].reasons)
    assert any("unreadable judge reply" in r for r in out[2].reasons)
    assert out[2].details["checklist.judge_calls"] >= 3  # retried with a correction turn


def test_no_checklist_is_missing_and_bad_output_scores_zero():
    rows = samples(term_checklist(TERMS))
    rows[0]["metadata"] = {}
    rows[1]["metadata"] = {"checklist": json.dumps(term_checklist(["a", "a"]))}  # repeated names
    rows[2]["response"] = "<think>only a plan, never an answer"
    rows[3]["response"] = "\ud800 <answer></answer> \x00"
    with FakeOpenAIServer(checklist_judge_responder()) as server:
        out = score_batch(rows, config(server.url, "per_criterion"))
        assert server.snapshot() == []  # nothing worth a judge call
    assert out[0].components["checklist"] is None and "no checklist" in out[0].reasons[0]
    assert out[1].components["checklist"] is None and "criterion names repeat" in out[1].reasons[0]
    assert out[2].components["checklist"] == 0.0 and "empty answer" in out[2].reasons[0]
    assert out[3].components["checklist"] == 0.0


def test_options_are_checked_and_the_url_is_required():
    with pytest.raises(ValueError, match="base_url"):
        RewardConfig({"checklist": 1.0})
    with pytest.raises(ValueError, match="mode must be one of"):
        config("http://127.0.0.1:1/v1", "both")


def test_aggregate_weights_and_the_all_at_once_parser_by_hand():
    crit, _ = checklist_of({"checklist": term_checklist(["a", "b"])})
    heavy = [
        c.__class__(c.name, c.description, c.guidance, c.raw, c.hard, w)
        for c, w in zip(crit, (3.0, 1.0), strict=True)
    ]
    value, reasons, violated = aggregate(
        heavy, {"Mentions a": 10, "Mentions b": 1}, {"hard_threshold": 5, "veto": True, "veto_cap": 0.2}
    )
    assert value == pytest.approx(0.75) and reasons == [] and violated == 0  # (3*1 + 1*0) / 4
    names = ["Mentions a", "Mentions b"]
    ok, why = parse_all_scores(
        '{"scores": [{"name": "Mentions a", "score": 7, "justification": "x"}, {"name": "Mentions b", "score": "3", "justification": "y"}]}',
        names,
    )
    assert why is None and ok["Mentions b"]["score"] == 3
    for bad, reason in (
        ('{"scores": [{"name": "Mentions a", "score": 7, "justification": "x"}]}', "no score for Mentions b"),
        ('{"scores": [{"name": "Other", "score": 7, "justification": "x"}]}', "unknown criterion"),
        ('{"scores": [{"name": "Mentions a", "score": 11, "justification": "x"}]}', "outside 1-10"),
        ("no json here", "no JSON object"),
    ):
        assert (
            parse_all_scores(bad, names) == (None, pytest.approx(None))
            or reason in parse_all_scores(bad, names)[1]
        )


@pytest.mark.parametrize("mode", ["per_criterion", "all_at_once"])
def test_a_negative_constraint_scores_the_answer_that_leaves_the_term_out(mode):
    """The learning benchmark's ``avoid`` runs (benchmarks/checklist_learning.py) rest on this: an
    ``Avoids X`` criterion, rendered by the reward and read by the loopback judge, scores high when X
    is absent and low when present, the reverse of ``Mentions X`` on the same answers."""
    checklist = term_checklist(["lighthouse"], avoid=["fresnel"])
    rows = samples(checklist)  # answers using: all 3 terms, lighthouse only, all 3, none
    with FakeOpenAIServer(checklist_judge_responder()) as server:
        out = score_batch(rows, config(server.url, mode, veto=False))
    scores = [json.loads(b.details["checklist.scores"]) for b in out]
    assert [s["Avoids fresnel"] for s in scores] == [2, 9, 2, 9]
    assert [s["Mentions lighthouse"] for s in scores] == [9, 9, 9, 2]
