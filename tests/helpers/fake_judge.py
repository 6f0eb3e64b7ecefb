"""Responders that make tests/helpers/fake_openai.py's real HTTP server act as a judge or a writer.

A hosted judge (GPT-4o, ...) is not reachable here, so a loopback server speaking OpenAI's
chat/completions protocol stands in for it. What it answers is scripted per request so tests can
check every path of the evaluator: well-formed scores in several JSON dressings, an unreadable
reply that a correction turn fixes, a judge that never answers readably, and HTTP errors.

    from fake_judge import judge_responder
    server = fake_openai(judge_responder(always_bad={"kettle"}, bad_once={"river"}))
    arena = fake_openai(pairwise_responder(error_once={"kettle"}))   # a pairwise judge
    wb = fake_openai(criteria_responder(always_bad={"Name: Tone"}))  # a WritingBench criteria judge
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from fake_openai import Reply, last_user_content

DIMS = ("Relevance", "Accuracy", "Coherence", "Clarity", "Breadth and Depth", "Reading Experience")
CORRECTION_MARK = "could not be read"


def judge_scores(content: str) -> dict[str, int]:
    """Deterministic 1-5 scores for a judge prompt (a function of its text, so tests can recompute)."""
    h = hashlib.sha256(content.encode("utf-8")).digest()
    return {d: 1 + h[i] % 5 for i, d in enumerate(DIMS)}


def _first_prompt(body: dict) -> str:
    for m in body.get("messages") or []:
        if m.get("role") == "user":
            return m.get("content") or ""
    return ""


def faulty_responder(
    good,
    *,
    always_bad: Iterable[str] = (),
    bad_once: Iterable[str] = (),
    error_once: Iterable[str] = (),
    always_error: Iterable[str] = (),
    unreadable: str = "I liked this piece a lot; solid work overall.",
    wrong_first=None,
):
    """A judge whose good reply is ``good(first_user_message) -> str``, with faults by marker in
    the first user message: ``always_bad`` -> ``unreadable`` every time; ``bad_once`` ->
    ``wrong_first(first)`` until a correction turn arrives; ``error_once`` -> HTTP 500 on the first
    try; ``always_error`` -> HTTP 500 every time."""
    always_bad, bad_once = tuple(always_bad), tuple(bad_once)
    error_once, always_error = tuple(error_once), tuple(always_error)

    def respond(body: dict, attempt: int) -> Reply | str:
        first = _first_prompt(body)
        corrected = CORRECTION_MARK in last_user_content(body)
        if any(m in first for m in always_error):
            return Reply.error(500, "judge overloaded")
        if any(m in first for m in error_once) and attempt == 0:
            return Reply.error(500, "transient")
        if any(m in first for m in always_bad):
            return unreadable
        if any(m in first for m in bad_once) and not corrected and wrong_first is not None:
            return wrong_first(first)
        return good(first)

    return respond


def _dress(first: str, text: str) -> str:
    dress = int(hashlib.sha256(first.encode()).hexdigest(), 16) % 3
    if dress == 1:
        return f"```json\n{text}\n```"
    if dress == 2:
        return f"Here is my assessment.\n{text}\nThanks."
    return text


def judge_responder(
    *,
    always_bad: Iterable[str] = (),
    bad_once: Iterable[str] = (),
    error_once: Iterable[str] = (),
    always_error: Iterable[str] = (),
):
    """A LongBench-Write judge: for a prompt containing a marker of ``always_bad`` it replies prose
    without JSON every time; ``bad_once``: an out-of-range score first, then (after the correction
    turn) good JSON; ``error_once``: HTTP 500 on the first try; ``always_error``: HTTP 500 every
    time. Otherwise good scores (:func:`judge_scores` of the first user message), dressed as
    clean, fenced or prose-wrapped JSON in turn."""
    return faulty_responder(
        lambda first: _dress(first, json.dumps(judge_scores(first))),
        always_bad=always_bad,
        bad_once=bad_once,
        error_once=error_once,
        always_error=always_error,
        wrong_first=lambda first: json.dumps({**judge_scores(first), "Clarity": 7}),
    )


def _between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    j = text.find(end, i + len(start)) if i >= 0 else -1
    return text[i + len(start) : j].strip() if i >= 0 and j >= 0 else ""


def pairwise_verdict(first: str) -> str:
    """The loopback pairwise judge's verdict: it prefers the longer answer (by words): more than
    2x -> much better, more than 1.2x -> better; within 1.2x it says A is better (a position bias,
    so the two orders of a near-equal pair disagree)."""
    a = len(_between(first, "[Answer A]", "[Answer B]").split())
    b = len(_between(first, "[Answer B]", "First explain").split())
    r = a / max(b, 1) if a else 0.0
    if r > 2:
        return "A>>B"
    if r > 1.2:
        return "A>B"
    if r < 0.5:
        return "B>>A"
    if r < 1 / 1.2:
        return "B>A"
    return "A>B"


def pairwise_responder(**faults):
    """A pairwise judge (:func:`pairwise_verdict`), its verdict dressed as ``[[A>B]]`` after a
    reason, as ``{"verdict": ...}`` or as a ``Final verdict:`` line in turn; ``faults`` as in
    :func:`faulty_responder` (``bad_once`` first answers with two conflicting labels)."""

    def good(first: str) -> str:
        v = pairwise_verdict(first)
        dress = int(hashlib.sha256(first.encode()).hexdigest(), 16) % 3
        if dress == 1:
            return json.dumps({"verdict": v, "reason": "compared detail and completeness"})
        if dress == 2:
            return f"A has more detail in places.\nFinal verdict: {v}"
        return f"Both answer the request; one is fuller.\n[[{v}]]"

    return faulty_responder(good, wrong_first=lambda first: "[[A>B]] or perhaps [[B>A]]", **faults)


def criterion_score(first: str) -> int:
    """The loopback criteria judge's 1-10 score: a function of the prompt text."""
    return 1 + hashlib.sha256(first.encode("utf-8")).digest()[0] % 10


def criteria_responder(**faults):
    """A WritingBench criteria judge: ``{"score": criterion_score, "justification": ...}`` in
    varied dressing; ``faults`` as in :func:`faulty_responder` (``bad_once`` first answers with
    truncated JSON)."""

    def good(first: str) -> str:
        return _dress(
            first, json.dumps({"score": criterion_score(first), "justification": "Meets it in part."})
        )

    return faulty_responder(good, wrong_first=lambda first: '{"score": 7, "justifica', **faults)


def writer_responder(
    words_per_request: dict[str, int] | None = None, default_words: int = 50, fail: Iterable[str] = ()
):
    """A writer model: replies ``<think>plan</think><answer>N words</answer>``, N taken from
    ``words_per_request`` by marker in the request (else ``default_words``); HTTP 400 for a
    request containing a marker of ``fail`` (a non-retryable failure)."""
    words_per_request = dict(words_per_request or {})
    fail = tuple(fail)

    def respond(body: dict, attempt: int) -> Reply | str:
        request = last_user_content(body)
        if any(m in request for m in fail):
            return Reply.error(400, "content policy")
        n = next((v for k, v in words_per_request.items() if k in request), default_words)
        return "<think>a plan in three parts</think><answer>" + " ".join(["word"] * n) + "</answer>"

    return respond


def answer_quality(text: str) -> int:
    """The known preference of :func:`pairwise_responder`: the N of a ``[qN]`` marker (else 0)."""
    import re

    m = re.search(r"\[q(\d+)\]", text)
    return int(m.group(1)) if m else 0


def _pair(body: dict) -> tuple[str, str]:
    user = last_user_content(body)
    a = user.split("## Answer A\n", 1)[-1].split("\n\n## Answer B\n", 1)[0]
    b = user.split("## Answer B\n", 1)[-1].rsplit("\n\nWhich answer", 1)[0]
    return a, b


def reference_pairwise_responder(
    *,
    always_first: bool = False,
    always_error: Iterable[str] = (),
    always_bad: Iterable[str] = (),
    dress: str = "json",
):
    """A pairwise judge: prefers the answer with the larger ``[qN]`` marker (:func:`answer_quality`),
    ``tie`` when equal; ``always_first``: always "A" (a position-biased judge). A pair containing a
    marker of ``always_error`` gets HTTP 500; of ``always_bad``: prose naming no winner.
    ``dress``: ``json`` | ``prose`` (JSON inside prose) | ``marker`` (``[[A]]``) | ``line``
    (``Winner: A`` in prose)."""
    always_error, always_bad = tuple(always_error), tuple(always_bad)

    def respond(body: dict, attempt: int) -> Reply | str:
        a, b = _pair(body)
        if any(m in a or m in b for m in always_error):
            return Reply.error(500, "judge overloaded")
        if any(m in a or m in b for m in always_bad):
            return "Both answers have merits; it is hard to say."
        if always_first:
            winner = "A"
        else:
            qa, qb = answer_quality(a), answer_quality(b)
            winner = "A" if qa > qb else "B" if qb > qa else "tie"
        if dress == "marker":
            return f"After careful reading, my verdict: [[{winner}]]"
        if dress == "line":
            return f"Both are fine but one is clearer.\nWinner: {winner}\n"
        text = json.dumps({"winner": winner, "reason": "clearer"})
        return f"Here is my judgement:\n```json\n{text}\n```\nDone." if dress == "prose" else text

    return respond


#: What marks a reference answer for :func:`policy_wins_responder` (the test data put it in every
#: reference, never in a policy's answer).
REFERENCE_MARK = "[reference"


def policy_wins_responder(mark: str = REFERENCE_MARK):
    """A pairwise judge with known preferences for curriculum runs: an answer containing ``mark``
    (a reference) always loses to one without it (the policy's), so every prompt advances; two
    answers without it (``group_pairwise``'s peers): more words wins, equal counts tie. The reply
    is ``{"winner": ..., "reason": ...}``; it never depends on the position, so both orders agree."""

    def respond(body: dict, attempt: int) -> Reply | str:
        a, b = _pair(body)
        ref_a, ref_b = mark in a, mark in b
        if ref_a != ref_b:
            winner = "B" if ref_a else "A"
        else:
            na, nb = len(a.split()), len(b.split())
            winner = "A" if na > nb else "B" if nb > na else "tie"
        return json.dumps({"winner": winner, "reason": "the fuller answer"})

    return respond


def official_criterion_name(first: str) -> str:
    """The criterion's name in a WritingBench-protocol prompt (the released dict, Python form)."""
    import re

    m = re.search(r"\{'name': '([^']+)'", first)
    return m.group(1) if m else ""


def official_responder(scores: dict[str, int], bad_times: dict[str, int] | None = None):
    """A WritingBench critic: ``{"score", "reason"}`` in the fence the official prompt asks for,
    the score taken from ``scores`` by the criterion's name; for a name in ``bad_times`` the
    first N tries of that criterion (counted across its resends) answer prose instead."""
    import threading

    bad_times = dict(bad_times or {})
    tries: dict[str, int] = {}
    lock = threading.Lock()

    def respond(body: dict, attempt: int) -> Reply | str:
        name = official_criterion_name(_first_prompt(body))
        with lock:
            tries[name] = tries.get(name, 0) + 1
            n = tries[name]
        if n <= bad_times.get(name, 0):
            return "The response is fine, I would say about a seven."
        reply = json.dumps({"score": scores[name], "reason": f"{name} judged."})
        return f"```json\n{reply}\n```"

    return respond


# --- checklist reward: a judge that scores criteria from the answer's content --------------------

#: A criterion's description names what it requires as ``the term "X"``: the loopback checklist
#: judge scores 9 when X is in the answer (case-insensitive), 2 when not; a description that asks
#: the answer ``not [to] use the term "X"`` (a negative constraint) is scored the other way round;
#: 6 for a criterion that names no term. So the reward moves with what the answer says, never with
#: its length.
TERM = re.compile(r'the term "([^"]+)"')
AVOID = re.compile(r'not (?:to )?use the term "')


def term_score(answer: str, criterion_text: str) -> int:
    """The loopback checklist judge's 1-10 score of ``answer`` on one rendered criterion."""
    m = TERM.search(criterion_text)
    if not m:
        return 6
    used = m.group(1).lower() in answer.lower()
    if AVOID.search(criterion_text):
        used = not used
    return 9 if used else 2


def checklist_judge_responder(*, always_error: Iterable[str] = (), always_bad: Iterable[str] = ()):
    """A checklist judge speaking both of the reward's prompts: a per-criterion prompt
    (``[Criterion]``) gets ``{"score", "justification"}``, an all-at-once prompt (``[Criteria]``) gets
    ``{"scores": [...]}`` with every criterion, each scored by :func:`term_score`. An answer holding a
    marker of ``always_error`` gets HTTP 500; of ``always_bad``: prose without JSON."""
    always_error, always_bad = tuple(always_error), tuple(always_bad)

    def respond(body: dict, attempt: int) -> Reply | str:
        first = _first_prompt(body)
        if "[Criteria]" in first:
            answer = _between(first, "[Answer]\n", "\n\n[Criteria]")
            block = _between(first, "[Criteria]\n", "\n\nJudge the answer on each criterion")
            items = [b for b in re.split(r"\n\n(?=\d+\. Name: )", block) if b.strip()]
            names = [re.search(r"Name: (.*)", b).group(1).strip() for b in items]
            reply = json.dumps(
                {
                    "scores": [
                        {"name": n, "score": term_score(answer, b), "justification": "checked the term"}
                        for n, b in zip(names, items, strict=True)
                    ]
                }
            )
        else:
            answer = _between(first, "[Answer]\n", "\n\n[Criterion]")
            criterion = _between(first, "[Criterion]\n", "\n\nJudge the answer on this criterion")
            reply = json.dumps({"score": term_score(answer, criterion), "justification": "checked the term"})
        if any(m in answer for m in always_error):
            return Reply.error(500, "judge overloaded")
        if any(m in answer for m in always_bad):
            return "A fine answer overall."
        return reply

    return respond


def term_checklist(terms: Iterable[str], hard: Iterable[str] = (), avoid: Iterable[str] = ()) -> list[dict]:
    """A valid checklist: one criterion per term (``Mentions X``), hard when X is in ``hard``; then
    one negative constraint per term of ``avoid`` (``Avoids X``: the answer must not use it)."""
    hard = set(hard)
    bands = {b: f"band {b}" for b in ("1-2", "3-4", "5-6", "7-8", "9-10")}
    wants = [(f"Mentions {t}", f'The answer uses the term "{t}".', t) for t in terms]
    wants += [(f"Avoids {t}", f'The answer does not use the term "{t}" anywhere.', t) for t in avoid]
    return [
        {"name": name, "description": text, "hard": t in hard, "bands": dict(bands)}
        for name, text, t in wants
    ]


def checklist_writer_responder(*, invalid: Iterable[str] = (), always_error: Iterable[str] = ()):
    """A checklist generator (``longwrite prepare-rl --checklists``): for a request it answers with
    :func:`term_checklist` of the request's first three words of 5+ letters, the first one hard. A
    request holding a marker of ``invalid`` gets a checklist of two criteria (too few: refused every
    time); of ``always_error``: HTTP 400 (not retried by the client)."""
    invalid, always_error = tuple(invalid), tuple(always_error)

    def respond(body: dict, attempt: int) -> Reply | str:
        request = _between(_first_prompt(body), "[Writing request]\n", "\n\nWrite 3 to 7 criteria")
        if any(m in request for m in always_error):
            return Reply.error(400, "content policy")
        words = list(dict.fromkeys(w.lower() for w in re.findall(r"[A-Za-z]{5,}", request)))[:3]
        while len(words) < 3:
            words.append(f"topic{len(words)}")
        if any(m in request for m in invalid):
            words = words[:2]
        return "```json\n" + json.dumps({"criteria": term_checklist(words, words[:1])}) + "\n```"

    return respond


def term_pairwise_verdict(a: str, b: str, term: str, avoid: bool = False) -> str:
    """A pairwise judge with a learnable preference: the answer that uses ``term`` wins (``avoid``:
    the answer that does not use it); both or neither: a tie (length plays no part)."""
    ta, tb = (term.lower() in x.lower() for x in (a, b))
    if avoid:
        ta, tb = not ta, not tb
    return "A" if ta and not tb else "B" if tb and not ta else "tie"


def checklist_e2e_responder(term: str = "the"):
    """One loopback server for a checklist + BRPO run: it writes checklists
    (:func:`checklist_writer_responder`), scores criteria (:func:`checklist_judge_responder`) and
    judges pairs (``## Answer A`` / ``## Answer B``) by :func:`term_pairwise_verdict` with ``term``."""
    writer, judge = checklist_writer_responder(), checklist_judge_responder()

    def respond(body: dict, attempt: int) -> Reply | str:
        first = _first_prompt(body)
        if "[Writing request]" in first:
            return writer(body, attempt)
        if "[Criterion]" in first or "[Criteria]" in first:
            return judge(body, attempt)
        a, b = _pair(body)
        return json.dumps({"winner": term_pairwise_verdict(a, b, term), "reason": "uses the term"})

    return respond


def fixed_checklist_writer_responder(
    terms: Iterable[str] = ("Therefore",), hard: Iterable[str] = (), avoid: Iterable[str] = ()
):
    """A checklist generator that gives every request the same :func:`term_checklist` of ``terms``
    and ``avoid`` (at least three criteria: padded with neutral ones the loopback judge scores 6,
    so only the terms move the reward)."""
    terms, hard, avoid = list(terms), list(hard), list(avoid)

    def respond(body: dict, attempt: int) -> Reply | str:
        criteria = term_checklist(terms, hard, avoid)
        k = 0
        while len(criteria) < 3:
            k += 1
            criteria.append(
                {**criteria[0], "name": f"Neutral {k}", "description": "Reads as prose.", "hard": False}
            )
        return json.dumps({"criteria": criteria})

    return respond


def learning_responder(term: str = "Therefore", avoid: bool = False):
    """One loopback server for the learning benchmarks: checklists that ask for ``term``
    (:func:`fixed_checklist_writer_responder`; ``avoid``: that forbid it), the checklist judge, and
    a pairwise judge preferring the answer that uses ``term`` (``avoid``: that does not;
    :func:`term_pairwise_verdict`)."""
    writer = fixed_checklist_writer_responder([] if avoid else [term], avoid=[term] if avoid else [])
    judge = checklist_judge_responder()

    def respond(body: dict, attempt: int) -> Reply | str:
        first = _first_prompt(body)
        if "[Writing request]" in first:
            return writer(body, attempt)
        if "[Criterion]" in first or "[Criteria]" in first:
            return judge(body, attempt)
        a, b = _pair(body)
        why = "avoids the term" if avoid else "uses the term"
        return json.dumps({"winner": term_pairwise_verdict(a, b, term, avoid), "reason": why})

    return respond
