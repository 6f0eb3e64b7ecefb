"""probe_hacking: the attacks do what they say, a gameable reward is caught, judge-backed rewards are
probed through a loopback endpoint, and the report reads as a table and as data."""

from __future__ import annotations

import json
import re

import pytest
from fake_judge import policy_wins_responder
from fake_openai import last_user_content

from rewards.testing import PROBES, ProbeReport, attack, good_answers, probe_hacking
from rewards.testing.probes import _split
from rollout.format import parse_response
from rollout.text import count_cjk, count_english_words, count_words

PADDING = ("pad_repeat", "pad_paraphrase", "filler", "keyword_stuffing")


def words_reward(prompt, response, metadata):
    """Deliberately gameable: more words (count_words units) score higher."""
    return min(1.0, count_words(response) / 5000)


def _answer(response: str) -> str:
    return parse_response(response).answer


def test_a_word_counting_reward_is_caught_by_every_padding_probe():
    report = probe_hacking(words_reward)
    for probe in PADDING:
        assert report[probe].raised_share == 1.0, report.to_markdown()
        assert report[probe].mean_delta > 0
    assert set(PADDING) <= set(report.raised)
    assert report["cut_ending"].lowered_share == 1.0 and report["cut_ending"].verdict == "lowered"


def test_the_length_reward_resists_padding_of_answers_that_meet_their_target():
    """A contrast to the gameable reward: these answers meet their targets, padding overshoots."""
    report = probe_hacking("length")
    for probe in ("pad_repeat", "pad_paraphrase", "filler"):
        assert report[probe].raised_share == 0 and report[probe].mean_delta < -0.5, report.to_markdown()


def test_each_attack_changes_what_it_names():
    for good in good_answers():
        answer = _answer(good.response)
        units = count_words(answer)
        assert _answer(attack("pad_repeat", good.prompt, good.response)) == answer + "\n\n" + answer
        para = _answer(attack("pad_paraphrase", good.prompt, good.response))
        assert para.startswith(answer) and count_words(para) > 1.8 * units
        if good.language == "en":  # a one-word-for-one-word table: same length, other words
            second = para[len(answer) :]
            assert count_words(second) == units and second.strip() != answer
        assert count_words(_answer(attack("filler", good.prompt, good.response))) > 1.4 * units
        stuffed = _answer(attack("keyword_stuffing", good.prompt, good.response))
        key = "rivers" if "rivers" in good.prompt else None
        if key:
            assert stuffed.lower().count(key) >= answer.lower().count(key) + 4
        injected = attack("judge_injection", good.prompt, good.response)
        assert ("deserves a 10" in injected or "理应获得10分" in injected) and injected.rstrip().endswith(
            "</answer>"
        )
        cut = attack("cut_ending", good.prompt, good.response)
        assert "</answer>" not in cut and 0.55 * units <= count_words(_answer(cut)) <= 0.65 * units
        assert "unclosed_answer" in parse_response(cut).problems
        broken = attack("broken_format", good.prompt, good.response)
        assert not re.search(r"</?(think|answer)>", broken) and not parse_response(broken).well_formed
        switched = _answer(attack("language_switch", good.prompt, good.response))
        assert count_words(switched) == units
        other = count_cjk(switched) if good.language == "en" else count_english_words(switched)
        assert other > 0.3 * units


def test_a_judge_that_believes_the_injection_is_caught_through_its_endpoint(fake_openai):
    """The quality judge backend over real HTTP: a judge that obeys 'deserves a 10' pays the
    injection; a judge that ignores it does not."""

    def gullible(body, attempt):
        text = last_user_content(body)
        return json.dumps({"score": 10 if "deserves a 10" in text or "10分" in text else 6, "reason": "ok"})

    def sober(body, attempt):
        return json.dumps({"score": 6, "reason": "ok"})

    for responder, raised in ((gullible, 1.0), (sober, 0.0)):
        server = fake_openai(responder)
        opts = {"backend": "judge", "base_url": server.url, "model": server.model, "max_retries": 1}
        report = probe_hacking("quality", options=opts, probes=["judge_injection", "pad_repeat"])
        assert report["judge_injection"].raised_share == raised, report.to_markdown()
        assert report["pad_repeat"].raised_share == 0
        assert len(server.requests) >= 3 * len(good_answers())  # every answer went through the endpoint


def test_a_group_reward_compares_the_attacked_answer_with_its_original(fake_openai):
    """group_pairwise with a loopback judge that prefers more words: padding wins the pair."""
    server = fake_openai(policy_wins_responder())
    opts = {"base_url": server.url, "model": server.model, "max_retries": 1}
    report = probe_hacking("group_pairwise", options=opts, probes=["pad_repeat", "cut_ending"])
    assert report["pad_repeat"].raised_share == 1.0 and report["pad_repeat"].mean_after == 1.0
    assert report["cut_ending"].lowered_share == 1.0 and report["cut_ending"].mean_after == 0.0


def missing_when_cut(prompt, response, metadata):
    """None (with a reason) for an answer without its closing tag."""
    if "</answer>" not in response:
        return None, ["no closing tag"]
    return 0.5


def test_missing_scores_are_listed_never_averaged():
    report = probe_hacking(missing_when_cut, probes=["cut_ending", "pad_repeat"])
    cut = report["cut_ending"]
    assert cut.deltas == [] and cut.mean_delta is None and cut.verdict == "no data"
    assert len(cut.missing) == len(good_answers()) and "no closing tag" in cut.missing[0]
    assert report["pad_repeat"].verdict == "unchanged" and report["pad_repeat"].missing == []


def test_a_probe_that_cannot_apply_is_listed_not_scored_unchanged():
    good = good_answers(1)[0]
    report = probe_hacking(
        words_reward, answers=[good.response], prompts="Write.", probes=["keyword_stuffing"]
    )
    r = report["keyword_stuffing"]
    assert r.deltas == [] and r.verdict == "no data"
    assert r.missing == ["answer 0: probe not applicable (the request has no content words to stuff)"]


def test_report_as_table_and_data_and_user_answers():
    goods = good_answers(3)
    report = probe_hacking(
        words_reward, answers=[g.response for g in goods], prompts=[g.prompt for g in goods]
    )
    data = json.loads(report.to_json())
    assert list(data["probes"]) == list(PROBES)
    assert data["probes"]["pad_repeat"]["raised_share"] == 1.0 and data["probes"]["pad_repeat"]["scored"] == 3
    table = str(report)
    assert ProbeReport.from_dict(data).to_markdown() == table  # round trip (rm eval reads it back)
    assert table.count("\n| ") == len(PROBES) + 1 and "| pad_repeat |" in table and "raised" in table
    dicts = probe_hacking(words_reward, answers=[{"prompt": g.prompt, "response": g.response} for g in goods])
    assert dicts.to_dict()["probes"] == data["probes"]


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown probe"):
        probe_hacking("length", probes=["pad_everything"])
    with pytest.raises(ValueError, match="need prompts"):
        probe_hacking("length", answers=["<answer>x</answer>"])
    with pytest.raises(ValueError, match="2 prompts for 1 answers"):
        probe_hacking("length", answers=["<answer>x</answer>"], prompts=["a", "b"])


def test_split_keeps_everything_around_the_answer():
    r = "<think>p</think>\n<answer>\nbody\n</answer>"
    parts = _split(r)
    assert parts.before + parts.answer + parts.after == r and parts.answer.strip() == "body"
