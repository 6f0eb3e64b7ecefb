"""The judge backend against a real OpenAI-compatible HTTP server on 127.0.0.1 (tests/helpers)."""

import time

import pytest
from fake_openai import Reply, last_user_content

from rewards import score_batch
from rewards.quality.judge import judge_messages, parse_judge_reply


def test_parse_judge_reply():
    assert parse_judge_reply('{"score": 10, "reason": "great"}') == (1.0, "great")
    assert parse_judge_reply('Here: ```json\n{"score": "4", "reason": "meh"}\n```')[0] == pytest.approx(3 / 9)
    assert parse_judge_reply('{"score": 1}') == (0.0, "")
    for bad in (None, "", "7/10", '{"score": 11}', '{"score": "high"}', '{"reason": "x"}', '{"score": 7'):
        value, why = parse_judge_reply(bad)
        assert value is None and why


def test_judge_messages_shorten_long_answers():
    msgs = judge_messages("Write a story", "a" * 50_000, max_answer_chars=1000)
    user = msgs[1]["content"]
    assert "characters omitted" in user and len(user) < 1500
    assert msgs[0]["role"] == "system" and "JSON" in msgs[0]["content"]


def long_answer(words: int = 10_000) -> str:
    """A 10,000-word answer (about 60,000 characters) in paragraphs, with a marked middle."""
    para = " ".join(f"word{k % 97}" for k in range(100))
    paras = [para] * (words // 100)
    paras[len(paras) // 2] = "MIDDLE-MARK " + " ".join(["middle"] * 99)
    return "\n\n".join(paras)


def test_judge_reads_a_10k_word_answer_whole_by_default_and_records_any_cut(fake_openai):
    """The default shows a 10,000-word answer whole (cut 0, recorded); a smaller budget shows head
    and tail and records the characters kept and cut, with a reason."""
    seen: list[str] = []

    def responder(body, attempt):
        seen.append(answer_of(body))
        return '{"score": 8, "reason": "fine"}'

    server = fake_openai(responder)
    answer = long_answer()
    assert len(answer) > 60_000
    out = score_batch([sample(answer, "Write 10000 words about words.")], judge_config(server))[0]
    assert seen[-1] == answer and "MIDDLE-MARK" in seen[-1]  # read whole
    assert out.details["quality.cut_chars"] == 0 and out.details["quality.answer_chars"] == len(answer)
    assert not any("characters of the answer" in r for r in out.reasons)

    out = score_batch([sample(answer), sample("short")], judge_config(server, max_answer_chars=24_000))
    long_one, short = out
    shown = next(s for s in seen[-2:] if "characters omitted" in s)
    assert "MIDDLE-MARK" not in shown and shown.startswith(answer[:100]) and shown.endswith(answer[-100:])
    assert long_one.details["quality.cut_chars"] == len(answer) - 24_000
    assert long_one.details["quality.answer_chars"] == len(answer)
    assert any(f"read 24000 of {len(answer)} characters" in r for r in long_one.reasons)
    assert short.details["quality.cut_chars"] == 0 and short.details["quality.answer_chars"] == 5


def answer_of(body):
    """The answer text inside the judge's user message (between '## Answer' and the instruction)."""
    content = last_user_content(body)
    return content.split("## Answer\n", 1)[1].split("\n\nGrade the answer", 1)[0]


def judge_config(server, **extra):
    options = {
        "backend": "judge",
        "base_url": server.url,
        "model": server.model,
        "concurrency": 3,
        "timeout": 1.0,
        "max_retries": 2,
        "backoff_base": 0.05,
        **extra,
    }
    return {"rewards": {"quality": 1.0, "format": 1.0}, "options": {"quality": options}}


def sample(answer, prompt="Write a short note"):
    return {"prompt": prompt, "response": f"<think>a plan</think><answer>{answer}</answer>"}


def test_judge_backend_with_injected_faults(fake_openai):
    # Each answer names the behaviour the server injects for it; `attempt` counts identical requests.
    def responder(body, attempt):
        ans = answer_of(body)
        seed = body.get("seed", 0)
        if ans == "good":
            return '{"score": 10, "reason": "excellent"}'
        if ans == "mid":
            return 'Sure. {"score": 4, "reason": "thin"}'
        if ans == "429-then-ok":
            return Reply.error(429, retry_after=0.05) if attempt == 0 else '{"score": 7, "reason": "ok"}'
        if ans == "500-then-ok":
            return Reply.error(500) if attempt == 0 else '{"score": 7, "reason": "ok"}'
        if ans == "broken-body-then-ok":
            return Reply.malformed("json") if attempt == 0 else '{"score": 7, "reason": "ok"}'
        if ans == "bad-json-then-ok":
            # content that is not rubric JSON on the first seed, valid on the re-ask
            return '{"score": 7, "reason": ' if seed == 0 else '{"score": 7, "reason": "ok"}'
        if ans == "always-500":
            return Reply.error(500)
        if ans == "always-bad-json":
            return "I would rate this a seven out of ten."
        if ans == "too-slow":
            return Reply.slow(3.0, '{"score": 9, "reason": "late"}')
        raise AssertionError(ans)

    server = fake_openai(responder)
    names = [
        "good",
        "mid",
        "429-then-ok",
        "500-then-ok",
        "broken-body-then-ok",
        "bad-json-then-ok",
        "always-500",
        "always-bad-json",
        "too-slow",
    ]
    t0 = time.perf_counter()
    out = score_batch([sample(n) for n in names] + [sample("")], judge_config(server))
    elapsed = time.perf_counter() - t0
    q = {n: b.components["quality"] for n, b in zip(names, out, strict=False)}
    assert q["good"] == 1.0
    assert q["mid"] == pytest.approx(3 / 9)
    for n in ("429-then-ok", "500-then-ok", "broken-body-then-ok", "bad-json-then-ok"):
        assert q[n] == pytest.approx(6 / 9), n
    for n in ("always-500", "always-bad-json", "too-slow"):
        assert q[n] is None, n  # missing, never 0
    by_name = dict(zip(names, out, strict=False))
    assert any("HTTP 500" in r or "500" in r for r in by_name["always-500"].reasons)
    assert any("unusable" in r for r in by_name["always-bad-json"].reasons)
    assert any("judge failed" in r for r in by_name["too-slow"].reasons)
    # a missing judge leaves the total to the other components
    assert by_name["always-500"].total == pytest.approx(by_name["always-500"].components["format"])
    # the empty answer is the writer's fault: 0, and the judge was not asked about it
    assert out[-1].components["quality"] == 0.0
    assert all(answer_of(b) for b in server.snapshot())
    # The client never has more than 3 requests open. The server may see up to 2 more: a timed-out
    # "too-slow" attempt is abandoned by the client (freeing its slot) while the server still
    # sleeps on it (3 s reply, 1 s timeout, so at most 2 abandoned attempts overlap).
    assert server.max_inflight <= 3 + 2
    assert elapsed < 30


def test_judge_cache_avoids_repeat_requests(fake_openai, tmp_path):
    server = fake_openai(lambda body, attempt: '{"score": 8, "reason": "fine"}')
    cfg = judge_config(server, cache_path=str(tmp_path / "judge.jsonl"))
    first = score_batch([sample("alpha"), sample("beta")], cfg)
    n = len(server.snapshot())
    second = score_batch([sample("alpha"), sample("beta")], cfg)
    assert len(server.snapshot()) == n == 2
    assert [b.components["quality"] for b in first] == [b.components["quality"] for b in second]


def test_judge_options_are_checked():
    from rewards import RewardConfig

    with pytest.raises(ValueError, match="base_url"):
        RewardConfig(options={"quality": {"backend": "judge"}})
