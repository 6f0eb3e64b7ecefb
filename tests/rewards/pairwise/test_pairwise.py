"""The pairwise rewards against a real loopback judge (tests/helpers/fake_openai.py) with known preferences."""

import pytest
from fake_judge import reference_pairwise_responder
from fake_openai import FakeOpenAIServer

from rewards import score_batch
from rewards.pairwise.curriculum import CurriculumStore, get_curriculum
from rewards.pairwise.group import choose_opponents
from rewards.pairwise.reference import judge_prompt_id, parse_verdict


def opts(server, **extra):
    return {
        "base_url": server.url,
        "model": server.model,
        "concurrency": 4,
        "timeout": 2.0,
        "max_retries": 1,
        "backoff_base": 0.01,
        **extra,
    }


def sample(answer, pid="p1", refs=("weak [q1]", "mid [q5]", "strong [q9]"), prompt="Write an essay"):
    meta = {"id": pid}
    if refs is not None:
        meta["references"] = list(refs)
    return {"prompt": prompt, "response": f"<think>plan</think><answer>{answer}</answer>", "metadata": meta}


def test_parse_verdict_in_many_dressings():
    assert parse_verdict('{"winner": "A", "reason": "x"}') == ("A", "x")
    assert parse_verdict('Sure.\n```json\n{"winner": "b"}\n```')[0] == "B"
    assert parse_verdict('{"winner": "Tie"}')[0] == "tie"
    assert parse_verdict("My verdict: [[B]]")[0] == "B"
    assert parse_verdict("Long prose...\nWinner: A\n")[0] == "A"
    for bad in (None, "", "both are good", '{"winner": "C"}', "[[A]] or maybe [[B]]"):
        verdict, why = parse_verdict(bad)
        assert verdict is None and why


@pytest.mark.parametrize("dress", ["json", "prose", "marker", "line"])
def test_reference_pairwise_known_preferences(dress):
    with FakeOpenAIServer(reference_pairwise_responder(dress=dress)) as server:
        config = {"rewards": {"pairwise": 1.0}, "options": {"pairwise": opts(server, curriculum=False)}}
        out = score_batch(
            [sample("great [q9]", "a"), sample("best [q10]", "b"), sample("bad [q2]", "c")], config
        )
    # curriculum off: compared with the strongest reference [q9]
    assert [b.components["pairwise"] for b in out] == [0.5, 1.0, 0.0]
    assert out[2].reasons and "reference was preferred" in out[2].reasons[0]
    assert out[0].details["pairwise.judge_calls"] == 2  # both orders
    assert out[0].details["pairwise.judge_prompt"] == judge_prompt_id({})


def test_position_biased_judge_gives_ties_with_both_orders():
    with FakeOpenAIServer(reference_pairwise_responder(always_first=True)) as server:
        config = {"rewards": {"pairwise": 1.0}, "options": {"pairwise": opts(server, curriculum=False)}}
        out = score_batch([sample("great [q9]", "a"), sample("bad [q0]", "b")], config)
        assert [b.components["pairwise"] for b in out] == [0.5, 0.5]
        # random order: one call each, the position recorded, the biased outcome shows
        config["options"]["pairwise"]["order"] = "random"
        out = score_batch([sample(f"text {k} [q0]", f"r{k}") for k in range(8)], config)
    positions = [b.details["pairwise.policy_position"] for b in out]
    assert set(positions) == {"A", "B"}
    assert [b.components["pairwise"] for b in out] == [1.0 if p == "A" else 0.0 for p in positions]
    assert all(b.details["pairwise.judge_calls"] == 1 for b in out)


def test_failures_are_missing_not_losses():
    with FakeOpenAIServer(
        reference_pairwise_responder(always_error={"BOOM"}, always_bad={"MUDDLE"})
    ) as server:
        config = {
            "rewards": {"pairwise": 1.0, "format": 1.0},
            "options": {"pairwise": opts(server, curriculum=False)},
        }
        out = score_batch(
            [sample("x BOOM [q9]", "a"), sample("y MUDDLE", "b"), sample("z [q9]", "c", refs=None)], config
        )
    for b in out:
        assert b.components["pairwise"] is None
        assert b.components["format"] == 1.0 and b.total == 1.0  # missing is left out of the total
    assert "judge failed" in out[0].reasons[0] and "missing" in out[0].reasons[0]
    assert "unusable" in out[1].reasons[0]
    assert out[1].details["pairwise.judge_calls"] == 4  # 2 orders x (1 + parse_retries=1)
    assert "no reference answers" in out[2].reasons[0]


def test_judge_prompt_file_is_hashed_and_used(tmp_path):
    prompt = tmp_path / "judge.txt"
    prompt.write_text('Compare A and B. Reply {"winner": "A"|"B"|"tie"}.')
    with FakeOpenAIServer(reference_pairwise_responder()) as server:
        config = {
            "rewards": {"pairwise": 1.0},
            "options": {"pairwise": opts(server, curriculum=False, judge_prompt=str(prompt))},
        }
        out = score_batch([sample("fine [q9]")], config)
        assert server.requests[0]["messages"][0]["content"] == prompt.read_text()
    assert out[0].details["pairwise.judge_prompt"].startswith("file:")
    with pytest.raises(ValueError, match="judge_prompt file not found"):
        score_batch(
            [sample("x")],
            {"rewards": {"pairwise": 1.0}, "options": {"pairwise": opts(server, judge_prompt="/nope")}},
        )


def test_curriculum_advances_when_the_policy_wins():
    name = "test-curriculum-advance"
    with FakeOpenAIServer(reference_pairwise_responder()) as server:
        config = {
            "rewards": {"pairwise": 1.0},
            "options": {"pairwise": opts(server, curriculum_name=name, curriculum_threshold=0.5)},
        }
        group = [sample("good [q6]", "p"), sample("fair [q4]", "p")]
        store = get_curriculum(name, use_ray=False)
        levels, values = [], []
        for _ in range(4):
            levels.append(store.get_levels(["p"])["p"])
            values.append([b.components["pairwise"] for b in score_batch(group, config)])
    # level 0 (q1): both win -> advance; level 1 (q5): 1 of 2 wins = 0.5 >= 0.5 -> advance;
    # level 2 (q9, the last): both lose, and it never goes past the last reference
    assert levels == [0, 1, 2, 2]
    assert values[0] == [1.0, 1.0] and values[1] == [1.0, 0.0] and values[2] == [0.0, 0.0]
    m = store.step_metrics()
    assert m["advances"] == 2 and m["mean_level"] == 2
    assert store.step_metrics()["advances"] == 0  # per step: reset after logging


def test_curriculum_store_rules_and_state_round_trip():
    s = CurriculumStore(threshold=0.75, min_samples=4)
    assert s.report("a", 2, 2, level=0, n_refs=3) is False  # 2 of the 4 needed
    assert s.report("a", 1.5, 2, level=0, n_refs=3) is True  # 3.5 / 4 >= 0.75
    assert s.report("a", 4, 4, level=0, n_refs=3) is False  # stale: "a" is at level 1 now
    assert s.report("b", 1, 4, level=0, n_refs=3) is False  # 0.25 < 0.75
    s.report("c", 2, 2, level=0, n_refs=3)  # tally kept in the state
    restored = CurriculumStore()
    restored.load(s.state())
    assert restored.get_levels(["a", "b", "c", "new"]) == {"a": 1, "b": 0, "c": 0, "new": 0}
    assert restored.state() == s.state()
    assert restored.report("c", 2, 2, level=0, n_refs=3) is True  # the restored tally counts
    with pytest.raises(ValueError, match="version"):
        restored.load({"version": 99})


def test_group_pairwise_in_batch():
    with FakeOpenAIServer(reference_pairwise_responder()) as server:
        config = {"rewards": {"group_pairwise": 1.0}, "options": {"group_pairwise": opts(server)}}
        batch = [
            sample("one [q3]", "g1"),
            sample("two [q7]", "g1"),
            sample("three [q5]", "g2"),
            sample("four [q5]", "g2"),
            sample("alone [q9]", "g3"),
        ]
        out = score_batch(batch, config)
        assert len(server.requests) == 8  # 4 judged samples x 2 orders; the lone one is not judged
    assert [b.components["group_pairwise"] for b in out[:4]] == [0.0, 1.0, 0.5, 0.5]
    assert out[4].components["group_pairwise"] is None and "no other sample" in out[4].reasons[0]
    assert sum(b.details["group_pairwise.judge_calls"] for b in out) == 8


def test_group_opponents_are_seeded_and_in_group():
    from rewards.base import Batch

    batch = Batch([sample(f"a{k}", f"g{k % 2}") for k in range(8)])
    first = choose_opponents(batch, seed=3)
    assert first == choose_opponents(batch, seed=3)
    for i, j in first.items():
        assert j != i and j % 2 == i % 2
    assert any(choose_opponents(batch, seed=s) != first for s in range(4, 10))


@pytest.mark.parametrize("name", ["pairwise", "group_pairwise"])
def test_a_placeholder_judge_url_fails_loudly_at_scoring(name):
    """A preset's "REQUIRED: ..." URL that reached a reward worker is a config error raised with
    the option to set, not a batch of 'missing' judgements."""
    config = {
        "rewards": {name: 1.0},
        "options": {
            name: {"base_url": "REQUIRED: the judge URL", "model": "m", "curriculum": False}
            if name == "pairwise"
            else {"base_url": "REQUIRED: the judge URL", "model": "m"}
        },
    }
    from rewards.base import RewardError

    with pytest.raises(
        RewardError, match=rf"judge's base_url is not set.*reward_options\.{name}\.base_url=\.\.\."
    ):
        score_batch([sample("a [q1]", "a"), sample("b [q2]", "a")], config)


def test_an_empty_answer_is_a_loss_the_curriculum_counts():
    """An empty answer scores 0 without a judge call, and counts as a loss in its prompt's tally:
    a group of 4 with one empty answer is decided on all 4 (3/4 >= 0.5: it advances)."""
    name = "test-curriculum-empty"
    with FakeOpenAIServer(reference_pairwise_responder()) as server:
        config = {
            "rewards": {"pairwise": 1.0},
            "options": {"pairwise": opts(server, curriculum_name=name, curriculum_min_samples=4)},
        }
        store = get_curriculum(name, use_ray=False)
        group = [
            sample("good [q6]", "p"),
            sample("good [q7]", "p"),
            sample("good [q8]", "p"),
            sample("", "p"),
        ]
        out = score_batch(group, config)
        assert len(server.requests) == 6  # 3 answers x both orders; none for the empty one
    assert [b.components["pairwise"] for b in out] == [1.0, 1.0, 1.0, 0.0]
    assert out[3].details["pairwise.judge_calls"] == 0 and out[3].details["pairwise.level"] == 0
    assert store.get_levels(["p"]) == {"p": 1}
    assert store.step_metrics()["advances"] == 1


def test_pairwise_judge_reads_two_10k_word_answers_whole_by_default_and_records_cuts():
    """Both answers of a pair are shown whole at the default size; a smaller budget records, per
    sample, the characters of each answer the judge did not read (and says so in a reason)."""
    para = " ".join(f"word{k % 89}" for k in range(100))
    long = "\n\n".join([para] * 100) + " [q9]"  # 10,000 words, about 60,000 characters
    ref = "\n\n".join([para] * 50) + " [q5]"
    shown: list[str] = []

    def responder(body, attempt):
        from fake_openai import last_user_content

        shown.append(last_user_content(body))
        return reference_pairwise_responder()(body, attempt)

    with FakeOpenAIServer(responder) as server:
        config = {"rewards": {"pairwise": 1.0}, "options": {"pairwise": opts(server, curriculum=False)}}
        out = score_batch([sample(long, "a", refs=(ref,))], config)[0]
        assert out.components["pairwise"] == 1.0
        assert all("characters omitted" not in s and long.strip() in s for s in shown)
        assert out.details["pairwise.cut_chars"] == 0 and out.details["pairwise.answer_chars"] == len(long)
        config["options"]["pairwise"]["max_answer_chars"] = 20_000
        shown.clear()
        out = score_batch([sample(long, "a", refs=(ref,))], config)[0]
    assert all(s.count("characters omitted") == 2 for s in shown)
    d = out.details
    assert d["pairwise.policy_cut_chars"] == len(long) - 20_000
    assert d["pairwise.opponent_cut_chars"] == len(ref) - 20_000
    assert d["pairwise.cut_chars"] == d["pairwise.policy_cut_chars"] + d["pairwise.opponent_cut_chars"]
    assert any("head and tail only" in r for r in out.reasons)


def test_both_pairwise_rewards_are_group_level_and_split_from_per_sample_ones():
    from rewards.base import get_reward, split_by_scope

    assert get_reward("pairwise").group and get_reward("group_pairwise").group
    assert not get_reward("length").group
    judge = {"base_url": "http://127.0.0.1:1/v1", "model": "m"}
    per_sample, group = split_by_scope(
        {"rewards": {"length": 2.0, "group_pairwise": 1.0}, "options": {"group_pairwise": judge}}
    )
    assert per_sample.rewards == {"length": 2.0} and per_sample.options == {}
    assert group.rewards == {"group_pairwise": 1.0} and group.options["group_pairwise"] == judge
    assert split_by_scope({"rewards": {"length": 1.0}})[1] is None


def test_the_curriculum_hears_nothing_from_a_group_whose_real_answers_are_missing():
    """A group of 4: 2 empty answers (losses) and 2 the judge fails on. Reporting the empties
    alone would decide the prompt on 0 of 2 (with threshold 0 that even advances it); the group
    is skipped instead, and counted."""
    name = "test-curriculum-missing"
    with FakeOpenAIServer(reference_pairwise_responder(always_error={"BOOM"})) as server:
        config = {
            "rewards": {"pairwise": 1.0},
            "options": {"pairwise": opts(server, curriculum_name=name, curriculum_threshold=0.0)},
        }
        store = get_curriculum(name, use_ray=False)
        group = [sample("", "p"), sample("", "p"), sample("x BOOM [q6]", "p"), sample("y BOOM [q7]", "p")]
        out = score_batch(group, config)
    assert [b.components["pairwise"] for b in out] == [0.0, 0.0, None, None]
    assert store.get_levels(["p"]) == {"p": 0}
    m = store.step_metrics()
    assert m["reports"] == 0 and m["groups_skipped"] == 1 and m["advances"] == 0
