"""check_reward: every registered reward keeps the contract (endpoint-backed ones through loopback
endpoints speaking the real protocol), and broken rewards are caught, each failure named."""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
import time

import pytest
from fake_judge import policy_wins_responder

from rewards.base import REQUIRED, ComponentScore, get_reward, list_rewards, register_reward
from rewards.testing import ContractError, check_reward, contract_cases
from rewards.testing.contract import LONG_EN_WORDS
from rollout.format import parse_response
from rollout.text import count_words

SHORT_CASES = [c for c in contract_cases() if c.units < LONG_EN_WORDS]
LONG_CASES = [c for c in contract_cases() if c.units >= LONG_EN_WORDS]


def _judge_reply(body: dict, attempt: int) -> str:
    """A loopback quality judge: a 1-10 score from the request's text (deterministic)."""
    text = json.dumps(body.get("messages"), sort_keys=True)
    score = 1 + hashlib.sha256(text.encode()).digest()[0] % 10
    return json.dumps({"score": score, "reason": "loopback judge"})


def _classify(body: dict, attempt: int) -> list[list[float]]:
    """A loopback vLLM /classify: raw logit from the token ids; sigmoid unless use_activation is false."""
    out = []
    for ids in body["input"]:
        raw = (sum(ids) % 97) / 25.0 - 2.0
        out.append([raw if body.get("use_activation") is False else 1 / (1 + math.exp(-raw))])
    return out


_ENDPOINT_OPTS = {"max_retries": 1, "backoff_base": 0.01, "timeout": 30.0, "concurrency": 4}


def _setup(name: str, fake_openai, tiny_model, random_rm) -> tuple[str, dict, dict]:
    """(registry name, options, metadata) to check the parameter ``name`` with."""
    if name == "quality:judge":
        server = fake_openai(_judge_reply)
        return (
            "quality",
            {"backend": "judge", "base_url": server.url, "model": server.model, **_ENDPOINT_OPTS},
            {},
        )
    if name == "quality:classifier":
        return "quality", {"backend": "classifier", "model": random_rm, "max_length": 512}, {}
    if name == "quality:served":
        server = fake_openai(classify_responder=_classify, model=str(tiny_model))
        opts = {"backend": "served", "base_url": server.url, "model": str(tiny_model), "batch_size": 4}
        return "quality", {**opts, **{k: v for k, v in _ENDPOINT_OPTS.items() if k != "concurrency"}}, {}
    if name == "checklist":  # a loopback judge that scores each criterion from the answer's terms
        from fake_judge import checklist_judge_responder, term_checklist

        server = fake_openai(checklist_judge_responder())
        opts = {"base_url": server.url, "model": server.model, **_ENDPOINT_OPTS}
        return name, opts, {"checklist": json.dumps(term_checklist(["the", "river", "city"]))}
    if name in ("pairwise", "group_pairwise"):
        server = fake_openai(policy_wins_responder())
        opts = {"base_url": server.url, "model": server.model, **_ENDPOINT_OPTS}
        if name == "pairwise":  # the curriculum is state that moves on purpose: judge the strongest
            refs = ["[reference 1] A short plain answer.", "[reference 2] A fuller reference answer here."]
            return name, {**opts, "curriculum": False}, {"references": refs}
        return name, opts, {}
    required = sorted(k for k, v in (get_reward(name).defaults or {}).items() if v is REQUIRED)
    if required:
        pytest.fail(
            f"reward {name!r} needs option(s) {', '.join(required)}: say how to check it (e.g. a loopback "
            f"endpoint) in _setup of {__file__}"
        )
    return name, {}, {}


# The registry as collected: the built-ins (and any reward a module registers on import, such as
# one added later); tests register their own rewards inside test functions, after collection.
REWARD_PARAMS = [*list_rewards(), "quality:judge", "quality:served", "quality:classifier"]


@pytest.mark.parametrize("param", REWARD_PARAMS)
def test_every_registered_reward_keeps_the_contract(param, fake_openai, tiny_model, random_rm):
    """The battery without its two long cases (those run in the slow test below), every reward in
    the registry (a reward added later is picked up), endpoint-backed ones through loopback HTTP."""
    name, options, metadata = _setup(param, fake_openai, tiny_model, random_rm)
    result = check_reward(name, options=options, metadata=metadata, cases=SHORT_CASES, threads=3)
    print(result)
    assert result.failures == [], result.to_markdown()
    for case in ("well_formed_en", "well_formed_zh"):
        assert result[case].first.value is not None  # a value, not a silently missing one
    assert not any("every case was missing" in n for n in result.notes)


@pytest.mark.slow
@pytest.mark.parametrize("param", REWARD_PARAMS)
def test_every_registered_reward_scores_the_long_answers(param, fake_openai, tiny_model, random_rm):
    """The 10,000-word and the 20,000-character Chinese answers: in range, deterministic, costed."""
    name, options, metadata = _setup(param, fake_openai, tiny_model, random_rm)
    result = check_reward(name, options=options, metadata=metadata, cases=LONG_CASES, threads=0)
    print(result)
    assert result.ok, result.to_markdown()
    assert set(result.cost) == {"s_per_10k_words", "s_per_20k_zh_chars"}
    assert all(v is not None and v > 0 for v in result.cost.values())


def test_the_battery_is_what_it_says():
    """Lengths are exact in count_words units; the malformed cases are malformed as named."""
    cases = {c.name: c for c in contract_cases()}
    assert count_words(parse_response(cases["long_en_10k_words"].response).answer) == 10_000
    long_zh = parse_response(cases["long_zh_20k_chars"].response).answer
    assert count_words(long_zh) == 20_000 and len(long_zh) > 20_000
    assert parse_response(cases["well_formed_en"].response).well_formed
    assert "nested_tags" in parse_response(cases["nested_tags"].response).problems
    assert "unclosed_answer" in parse_response(cases["unclosed_answer"].response).problems
    assert "unclosed_think" in parse_response(cases["unclosed_think"].response).problems
    assert "\x00" in cases["control_chars"].response and "\ud800" in cases["control_chars"].response
    assert cases["empty"].response == "" and cases["none_request"].prompt is None


# --- negative controls: broken rewards are caught, each failure names the case and the value -----


def raises_on_empty(prompt, response, metadata):
    """Breaks the contract on the empty output only."""
    if response == "":
        raise ValueError("nothing to score")
    return 0.5


def over_one_on_emoji(prompt, response, metadata):
    """Returns 1.3 (outside [0, 1]) when the answer holds an emoji."""
    return 1.3 if "🎉" in response else 0.5


_rng = random.Random(0)


def nondeterministic(prompt, response, metadata):
    """A value drawn afresh on every call."""
    return _rng.random()


_last = {"response": ""}
_lock = threading.Lock()


def thread_unsafe(prompt, response, metadata):
    """Deterministic alone, wrong under threads: a shared slot written, then read after a pause."""
    _last["response"] = response
    time.sleep(0.002)
    return min(1.0, count_words(_last["response"]) / 1000)


def _silent_missing(batch, options):
    """Missing without any reason (the contract wants one)."""
    return [ComponentScore(None, []) for _ in batch.samples]


def test_a_reward_that_raises_on_empty_is_caught_naming_the_case():
    result = check_reward(raises_on_empty, cases=SHORT_CASES, threads=0)
    assert not result.ok
    assert [f.split(":")[0] for f in result.failures] == ["case 'empty'"], result.failures
    assert "raised ValueError" in result.failures[0] and "nothing to score" in result.failures[0]
    with pytest.raises(ContractError, match=r"case 'empty': reward .*raises_on_empty' raised ValueError"):
        result.assert_ok()


def test_a_reward_out_of_range_is_caught_with_its_value():
    result = check_reward(over_one_on_emoji, cases=SHORT_CASES, threads=0)
    assert len(result.failures) == 1 and result.failures[0].startswith("case 'emoji'")
    assert "gave 1.3" in result.failures[0] and "outside its range [0, 1]" in result.failures[0]


def test_a_nondeterministic_reward_is_caught():
    result = check_reward(nondeterministic, cases=SHORT_CASES, threads=0)
    assert sum("not deterministic" in f for f in result.failures) == len(SHORT_CASES)
    assert "then" in result.failures[0]  # both values are named


def test_a_thread_unsafe_reward_is_caught_only_by_the_concurrency_check():
    serial = check_reward(thread_unsafe, cases=SHORT_CASES, threads=0)
    assert serial.ok, serial.failures  # deterministic when called one at a time
    concurrent = check_reward(thread_unsafe, cases=SHORT_CASES, threads=4)
    racy = [f for f in concurrent.failures if "differs under 4 concurrent threads" in f]
    assert racy and len(racy) == len(concurrent.failures), concurrent.failures


def test_missing_without_a_reason_and_a_dead_endpoint_are_failures(fake_openai):
    # registered here, not at import: the registry-wide parametrisations collect only real rewards
    register_reward("testkit_silent_missing", _silent_missing, batched=True)
    result = check_reward("testkit_silent_missing", cases=SHORT_CASES[:3], threads=0)
    assert all("missing without a reason" in f for f in result.failures) and len(result.failures) == 3
    # a judge that answers nothing readable: missing with a reason everywhere, but a well-formed
    # answer must get a value, so the contract says so
    server = fake_openai(lambda body, attempt: "no JSON here")
    opts = {
        "backend": "judge",
        "base_url": server.url,
        "model": server.model,
        "parse_retries": 0,
        **_ENDPOINT_OPTS,
    }
    answered = [c for c in SHORT_CASES if c.name in ("well_formed_en", "well_formed_zh", "no_tags")]
    result = check_reward("quality", options=opts, cases=answered, threads=0)
    assert [f.split(":")[0] for f in result.failures] == ["case 'well_formed_en'", "case 'well_formed_zh'"]
    assert "a well-formed answer got no value" in result.failures[0]
    assert "every case was missing" in " ".join(result.notes)
    relaxed = check_reward("quality", options=opts, cases=answered, threads=0, require_value=False)
    assert relaxed.ok


def test_bad_input_is_a_clear_error_before_scoring():
    with pytest.raises(ValueError, match="unknown reward 'no_such_reward'"):
        check_reward("no_such_reward")
    with pytest.raises(ValueError, match=r"unknown option\(s\) max_ration for reward 'length'"):
        check_reward("length", max_ration=2)


def test_result_as_data_and_table():
    result = check_reward("length", cases=SHORT_CASES[:4], threads=2)
    data = json.loads(result.to_json())
    assert data["ok"] is True and set(data["cases"]) == {c.name for c in SHORT_CASES[:4]}
    assert data["cases"]["well_formed_en"]["value"] == 1.0
    table = str(result)
    assert "| well_formed_en | 1.0000 |" in table and "PASS" in table
