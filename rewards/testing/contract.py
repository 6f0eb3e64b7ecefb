"""``check_reward``: the contract every reward keeps, run as a battery of cases.

The contract (the project's own rule for every reward, ``rewards.base``):

* **range**: each case scores a value in [0, 1], or is missing (None) *with a reason*; a reward
  that raises, returns a non-number or a value outside [0, 1] breaks it;
* **malformed output never crashes it**: empty, whitespace, tags only, unclosed and nested tags,
  no tags, no plan, a 10,000-word answer, a 20,000-character Chinese answer, control characters
  and lone surrogates, emoji, a degenerate repetition, a missing request (empty or None);
* **deterministic**: every case scored again, in a fresh batch, gives the same outcome;
* **safe under concurrent calls**: every case scored from several threads at once gives the
  serial outcome;
* **a well-formed answer gets a value** (``require_value``, default on): a judge that is down
  makes every case "missing with a reason", which passes the range rule; this check says so.

The scoring cost is *measured and reported* (seconds per 10,000 words, per 20,000 CJK
characters), never asserted: timings belong in benchmarks, not in pass/fail.

Every case is scored through :func:`rewards.base.score_batch` (:mod:`rewards.testing.scoring`),
one case a batch so a failure names its case; a group-level reward (``pairwise``,
``group_pairwise``) gets each case in a batch with two well-formed peers of the same group.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rewards.testing.scoring import Outcome, ScoredReward
from rewards.testing.texts import build_response, compose_answer, compose_plan, make_request

__all__ = ["ContractCase", "CaseResult", "ContractResult", "ContractError", "contract_cases", "check_reward"]

LONG_EN_WORDS = 10_000
LONG_ZH_CHARS = 20_000


class ContractError(AssertionError):
    """A reward broke its contract; the message names every failing case and what it gave."""


@dataclass(frozen=True)
class ContractCase:
    """One input of the battery: a name, a request, a response and its metadata.

    ``must_score`` marks the well-formed cases that must get a value under ``require_value``.
    """

    name: str
    prompt: Any
    response: Any
    metadata: dict = field(default_factory=dict)
    must_score: bool = False
    units: int = 0  # count_words of the answer part (the cost figures' denominator)


def contract_cases(seed: int = 0) -> list[ContractCase]:
    """The standard battery (deterministic in ``seed``): two well-formed answers (en, zh) and the
    malformed and extreme outputs a policy produces. Chinese lengths are CJK characters."""
    en_answer = compose_answer("en", 300, seed=seed, headings=True, lists=True)
    zh_answer = compose_answer("zh", 400, seed=seed, headings=True)
    en_plan, zh_plan = compose_plan("en", seed=seed), compose_plan("zh", seed=seed)
    en_request = make_request("en", "how rivers shaped early towns", 300)
    zh_request = make_request("zh", "河流如何塑造早期城镇", 400)
    long_en = compose_answer("en", LONG_EN_WORDS, seed=seed + 1, headings=True, lists=True)
    long_zh = compose_answer("zh", LONG_ZH_CHARS, seed=seed + 1, headings=True)
    para = en_answer.split("\n\n")[1]
    control = "Line one\x00 with NUL,\x07 bell,\x1b[31m escape\x1b[0m,\r\n\x0b\x0c\u200b\ufeff and a lone \ud800 surrogate."
    emoji = "🎉🔥 Great story 👍🏽 with family 👨‍👩‍👧‍👦 and flags 🇨🇳🇬🇧, keycaps 1️⃣ and 中文😀 mixed. " * 40
    target = {"target": {"lower": 270, "upper": 330, "unit": "words"}}
    cases = [
        ContractCase("well_formed_en", en_request, build_response(en_plan, en_answer), {}, True, 300),
        ContractCase("well_formed_zh", zh_request, build_response(zh_plan, zh_answer), {}, True, 400),
        ContractCase("empty", en_request, ""),
        ContractCase("whitespace", en_request, "  \n\t  \n"),
        ContractCase("tags_only", en_request, "<think></think><answer></answer>"),
        ContractCase("unclosed_think", en_request, f"<think>\n{en_plan}\n\n{en_answer}"),
        ContractCase("unclosed_answer", en_request, build_response(en_plan, en_answer, close_answer=False)),
        ContractCase(
            "nested_tags",
            en_request,
            f"<think>{en_plan}<answer>{para}</answer></think><answer><think>{en_plan}</think>{para}</answer>",
        ),
        ContractCase("no_tags", en_request, en_answer),
        ContractCase("answer_only", en_request, build_response(None, en_answer)),
        ContractCase(
            "long_en_10k_words", en_request, build_response(en_plan, long_en), {}, False, LONG_EN_WORDS
        ),
        ContractCase(
            "long_zh_20k_chars", zh_request, build_response(zh_plan, long_zh), {}, False, LONG_ZH_CHARS
        ),
        ContractCase("control_chars", en_request, build_response(en_plan, control)),
        ContractCase("emoji", en_request, build_response(en_plan, emoji)),
        ContractCase("repeated_paragraph", en_request, build_response(en_plan, "\n\n".join([para] * 200))),
        # No request at all; the row's target stays in metadata, as `longwrite prepare-rl` writes it.
        ContractCase("empty_request", "", build_response(en_plan, en_answer), dict(target)),
        ContractCase("none_request", None, build_response(en_plan, en_answer), dict(target)),
    ]
    return cases


@dataclass
class CaseResult:
    """A case's outcome: ``first`` and ``repeat`` (serial), ``concurrent`` (from threads),
    the seconds ``first`` took, and the contract failures found on it (empty: it passed)."""

    name: str
    first: Outcome
    repeat: Outcome | None = None
    concurrent: Outcome | None = None
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the case broke no rule."""
        return not self.failures


@dataclass
class ContractResult:
    """Every case's :class:`CaseResult`, the cost figures and notes; ``assert_ok`` raises on failure.

    ``cost`` maps ``"s_per_10k_words"`` / ``"s_per_20k_zh_chars"`` to seconds (measured on the
    long cases' repeat, after the first call paid any loading), never asserted.
    """

    reward: str
    options: dict
    cases: list[CaseResult]
    cost: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        """``"case NAME: what"`` for every broken rule, in case order."""
        return [f"case {c.name!r}: {f}" for c in self.cases for f in c.failures]

    @property
    def ok(self) -> bool:
        """True when every case kept the contract."""
        return not self.failures

    def __getitem__(self, name: str) -> CaseResult:
        for c in self.cases:
            if c.name == name:
                return c
        raise KeyError(f"no case {name!r}; cases: {', '.join(c.name for c in self.cases)}")

    def assert_ok(self) -> ContractResult:
        """Raise :class:`ContractError` naming every failing case and its value; returns self."""
        if not self.ok:
            raise ContractError(
                f"reward {self.reward!r} broke its contract in {len(self.failures)} place(s):\n  "
                + "\n  ".join(self.failures)
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-serialisable): reward, options, ok, failures, cost, notes and per case
        the value, reasons, error, repeat/concurrent values, seconds and failures."""

        def outcome(o: Outcome | None) -> dict | None:
            return None if o is None else {"value": o.value, "reasons": list(o.reasons), "error": o.error}

        return {
            "reward": self.reward,
            "options": {
                k: repr(v) if not isinstance(v, (str, int, float, bool, type(None))) else v
                for k, v in self.options.items()
            },
            "ok": self.ok,
            "failures": self.failures,
            "cost": dict(self.cost),
            "notes": list(self.notes),
            "cases": {
                c.name: {
                    **outcome(c.first),
                    "repeat": outcome(c.repeat),
                    "concurrent": outcome(c.concurrent),
                    "seconds": c.seconds,
                    "failures": list(c.failures),
                }
                for c in self.cases
            },
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        """A markdown table, one row per case (value or missing/error, pass/FAIL, seconds), then
        the cost line, the notes and the failures."""
        lines = [
            f"contract of reward `{self.reward}`: " + ("PASS" if self.ok else f"FAIL ({len(self.failures)})"),
            "",
            "| case | outcome | s | result |",
            "|---|---|---|---|",
        ]
        for c in self.cases:
            text = c.first.describe().replace("|", "/").replace("\n", " ")
            text = text if len(text) <= 90 else text[:87] + "..."
            lines.append(f"| {c.name} | {text} | {c.seconds:.3f} | {'ok' if c.ok else 'FAIL'} |")
        cost = ", ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in self.cost.items())
        lines += ["", f"cost (measured, not asserted): {cost or 'not measured'}"]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"FAIL {f}" for f in self.failures]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()


def _same(a: Outcome, b: Outcome, tol: float) -> bool:
    if (a.error is None) != (b.error is None) or (a.value is None) != (b.value is None):
        return False
    if a.value is None or b.value is None:
        return True
    return abs(a.value - b.value) <= tol


def _sample(case: ContractCase, metadata: Mapping[str, Any]) -> dict:
    return {"prompt": case.prompt, "response": case.response, "metadata": {**dict(metadata), **case.metadata}}


def check_reward(
    reward: str | Callable[..., Any] | Any,
    *,
    options: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    cases: Sequence[ContractCase] | None = None,
    threads: int = 4,
    concurrent_long: bool = False,
    deterministic: bool = True,
    require_value: bool = True,
    tolerance: float = 1e-9,
    seed: int = 0,
    **reward_options: Any,
) -> ContractResult:
    """Run the contract battery (module doc) on ``reward`` and return a :class:`ContractResult`
    (``result.assert_ok()`` raises :class:`ContractError` naming each failing case and value).

    ``reward``: a registered name (``"length"``), a dotted path (``"my_pkg.mod:fn"``), a
    per-sample function ``fn(prompt, response, metadata, **options)`` or a
    :class:`rewards.base.Reward`. Its options come as keyword arguments (``backend="judge"``) or
    ``options={...}`` (for an option named like a parameter here); an unknown option is a
    ValueError before anything is scored. ``metadata`` is merged into every case's metadata
    (e.g. ``{"references": [...]}`` for ``pairwise``). ``threads``: concurrent scorers (0 or 1
    skips the concurrency check, noted). ``deterministic=False`` skips the repeat check, noted
    (for a judge sampled at temperature > 0). The concurrent pass scores every case once from the
    threads, the long cases (10,000 words, 20,000 characters) only with ``concurrent_long``
    (they dominate the cost; noted). ``tolerance``: the largest difference between
    two scores of one case that still counts as equal.
    """
    scorer = ScoredReward(reward, {**dict(options or {}), **reward_options})
    metadata = dict(metadata or {})
    battery = list(cases) if cases is not None else contract_cases(seed)
    if not battery:
        raise ValueError("check_reward needs at least one case")
    peers: list[dict] = []
    if scorer.group:
        good = battery[0]
        peers = [
            _sample(
                ContractCase(
                    f"peer{k}",
                    good.prompt,
                    build_response(compose_plan("en", seed=k), compose_answer("en", 300, seed=seed + 10 + k)),
                ),
                metadata,
            )
            for k in range(2)
        ]

    def score_case(case: ContractCase, index: int) -> tuple[Outcome, float]:
        sample = _sample(case, metadata)
        batch = [sample]
        if peers:  # a whole group: the case and two peers share a group key
            group = {"group": f"contract-{index}"}
            batch = [{**sample, "metadata": {**sample["metadata"], **group}}]
            batch += [
                {**p, "prompt": sample["prompt"], "metadata": {**p["metadata"], **group}} for p in peers
            ]
        t0 = time.perf_counter()
        outcome = scorer.score(batch)[0]
        return outcome, time.perf_counter() - t0

    results = []
    for i, case in enumerate(battery):
        first, seconds = score_case(case, i)
        results.append(CaseResult(case.name, first, seconds=seconds))
    notes: list[str] = []
    cost: dict[str, float | None] = {}
    if deterministic:
        for i, case in enumerate(battery):
            results[i].repeat, seconds = score_case(case, i)
            for label, units in (("s_per_10k_words", LONG_EN_WORDS), ("s_per_20k_zh_chars", LONG_ZH_CHARS)):
                if case.units == units:
                    cost[label] = seconds
    else:
        notes.append("repeat check skipped (deterministic=False)")
        for case, r in zip(battery, results, strict=True):
            for label, units in (("s_per_10k_words", LONG_EN_WORDS), ("s_per_20k_zh_chars", LONG_ZH_CHARS)):
                if case.units == units:
                    cost[label] = r.seconds
    if threads and threads > 1:
        order = [i for i, c in enumerate(battery) if concurrent_long or c.units < LONG_EN_WORDS]
        if len(order) < len(battery):
            notes.append(f"concurrency check on {len(order)} of {len(battery)} cases (long ones left out)")
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [(i, pool.submit(score_case, battery[i], i)) for i in order]
            for i, fut in futures:
                try:
                    outcome = fut.result()[0]
                except Exception as exc:  # the kit's own scoring path failed under threads: record it
                    outcome = Outcome(None, (), f"{type(exc).__name__} under concurrent calls: {exc}")
                results[i].concurrent = outcome
    else:
        notes.append("concurrency check skipped (threads <= 1)")

    for case, r in zip(battery, results, strict=True):
        if r.first.error is not None:
            r.failures.append(r.first.error)
        elif r.first.value is None and case.must_score and require_value:
            r.failures.append(
                f"a well-formed answer got no value: {r.first.describe()} "
                "(an endpoint down? pass require_value=False where missing is right)"
            )
        if r.repeat is not None and not _same(r.first, r.repeat, tolerance):
            r.failures.append(f"not deterministic: {r.first.describe()} then {r.repeat.describe()}")
        if r.concurrent is not None and not _same(r.first, r.concurrent, tolerance):
            r.failures.append(
                f"differs under {threads} concurrent threads: serial {r.first.describe()}, "
                f"concurrent {r.concurrent.describe()}"
            )
    if all(r.first.missing for r in results):
        notes.append("every case was missing: the contract held, but nothing was scored")
    return ContractResult(scorer.name, scorer.options, results, cost, notes)
