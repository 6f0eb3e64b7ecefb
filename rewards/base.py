"""The reward result type, the reward registry, the reward config and batch scoring.

One object, :class:`RewardBreakdown`, carries the total reward and every named component (each in
[0, 1]), short reasons for every penalty or missing value, the answer and plan lengths, and the
sub-parts; the same object feeds training (``rl/verl_reward.py``) and evaluation, so the two cannot
drift apart.

Rewards are registered by name (``length``, ``quality``, ``format``); a user function is named by its
dotted path (``"my_pkg.my_mod:my_fn"``). A :class:`RewardConfig` names the rewards, their weights and
their options, so a run is reproducible from its config alone. :func:`score_batch` scores a whole
batch: the response is parsed once per sample, and every embedding-based part of every reward asks
for its texts first, so the batch runs ONE batched MiniLM encode, not one per sample.

A reward is a pure function of ``(prompt, response, metadata)`` (plus its options): same input,
same score.
"""

from __future__ import annotations

import importlib
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.format import ParsedResponse, parse_response
from rollout.text import count_words

__all__ = [
    "RewardSample",
    "RewardBreakdown",
    "RewardConfig",
    "ComponentScore",
    "Reward",
    "RewardError",
    "Batch",
    "register_reward",
    "get_reward",
    "list_rewards",
    "score_batch",
    "DEFAULT_REWARDS",
    "REQUIRED",
    "declared_options",
    "split_by_scope",
]

log = logging.getLogger(__name__)
_SURROGATE = re.compile("[\ud800-\udfff]")

# LongWriter-Zero's three reward models, equally weighted.
DEFAULT_REWARDS: dict[str, float] = {"length": 1.0, "quality": 1.0, "format": 1.0}
# Modules whose import registers the built-in rewards (kept lazy: `import rewards` stays fast).
_BUILTIN_MODULES = (
    "rewards.length.reward",
    "rewards.format",
    "rewards.quality.reward",
    "rewards.pairwise.reference",
    "rewards.pairwise.group",
    "rewards.checklist.reward",
)


# ---------------------------------------------------------------------------------------------
# Result and input types
# ---------------------------------------------------------------------------------------------


def clean_text(text: Any) -> str:
    """``text`` as a str that any tokenizer accepts: non-str coerced, lone surrogates replaced.

    Model output is untrusted; lone surrogates (``"\\ud800"``) make Rust tokenizers and UTF-8
    writers raise, so they become U+FFFD here, once, before any reward sees the text.
    """
    if not isinstance(text, str):
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8", errors="replace")
        elif text is None:
            text = ""
        else:
            try:
                text = str(text)
            except Exception:
                text = ""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


@dataclass
class RewardSample:
    """One response to score.

    ``prompt`` is the user's writing request, ``response`` the full model output (plan + answer).
    ``metadata`` is optional: ``"target"`` (``{"lower", "upper", "unit", "source"}`` or a
    :class:`rewards.length.reward.TargetRange`), ``"language"`` (``"en"``/``"zh"``), ``"id"``,
    ``"finish_reason"`` (``"stop"``/``"length"``).
    """

    prompt: str
    response: str
    metadata: dict = field(default_factory=dict)

    @classmethod
    def coerce(cls, obj: Any) -> RewardSample:
        """A RewardSample from itself or a mapping with ``prompt``/``response`` (other keys -> metadata)."""
        if isinstance(obj, RewardSample):
            return obj
        if isinstance(obj, Mapping):
            extra = {k: v for k, v in obj.items() if k not in ("prompt", "response", "metadata")}
            meta = dict(obj.get("metadata") or {})
            meta.update(extra)
            return cls(obj.get("prompt", ""), obj.get("response", ""), meta)
        raise TypeError(f"cannot score a {type(obj).__name__}; give a RewardSample or a dict")


@dataclass
class ComponentScore:
    """What one reward says about one sample: a value in [0, 1] or None (missing), with reasons.

    ``details`` holds named sub-parts (e.g. ``{"lexical_repetition": 0.03}``); they are logged
    under ``"<reward>.<part>"``.
    """

    value: float | None
    reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class RewardBreakdown:
    """The scored sample: total, named components, reasons, lengths and sub-parts.

    ``total`` is the weighted mean of the available (non-None) components with weight > 0, in
    [0, 1] (0.0 when none is available, with a reason). ``components`` maps every configured
    reward name to its value in [0, 1] or None (missing). ``answer_len`` and ``think_len`` are in
    :func:`rollout.text.count_words` units (English words + CJK characters).
    """

    total: float
    components: dict[str, float | None]
    reasons: list[str]
    answer_len: int
    think_len: int
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A flat, JSON-serialisable dict for logging: total, components, details, lengths, reasons.

        Components keep their names (``"length"``); details are ``"<reward>.<part>"``; missing
        values are None; reasons are joined with ``"; "`` into one string.
        """
        out: dict[str, Any] = {"total": self.total}
        out.update(self.components)
        for key, value in self.details.items():
            out[key] = value
        out["answer_len"] = self.answer_len
        out["think_len"] = self.think_len
        out["reasons"] = "; ".join(self.reasons)
        return out


# ---------------------------------------------------------------------------------------------
# Batch: parsed samples plus the shared embedding pass
# ---------------------------------------------------------------------------------------------


class Batch:
    """Samples prepared once for every reward: cleaned text, parsed responses, lengths, embeddings.

    Embedding-based rewards call :meth:`request` with the texts they need before scoring;
    :func:`score_batch` then calls :meth:`flush` once, which encodes all requested texts in one
    batched MiniLM call (identical texts encoded once). :meth:`embeddings` looks texts up (and
    encodes any text that was not requested, so a forgetful reward is slower, never wrong).
    ``encode_calls`` counts model calls (tests assert one per batch). :meth:`unread_chars` says
    how many characters of given texts the encoder did not read (MiniLM reads 256 word pieces of
    each text), so a reward records its cuts.
    """

    def __init__(self, samples: Sequence[Any]):
        self.samples: list[RewardSample] = []
        for s in samples:
            s = RewardSample.coerce(s)
            meta = s.metadata if isinstance(s.metadata, Mapping) else {}
            self.samples.append(RewardSample(clean_text(s.prompt), clean_text(s.response), dict(meta)))
        self.parsed: list[ParsedResponse] = [parse_response(s.response) for s in self.samples]
        self.answer_lens: list[int] = [count_words(p.answer) for p in self.parsed]
        self.think_lens: list[int] = [count_words(p.think) for p in self.parsed]
        self._pending: dict[str, None] = {}
        self._vectors: dict[str, Any] = {}
        self._unread: dict[str, int] = {}
        self.encode_calls = 0
        self.cache: dict[str, Any] = {}  # per-batch scratch space shared by rewards (e.g. paragraphs)

    def __len__(self) -> int:
        return len(self.samples)

    def request(self, texts: Iterable[str]) -> None:
        """Queue ``texts`` for the batch's single embedding pass."""
        for t in texts:
            if t not in self._vectors:
                self._pending[t] = None

    def flush(self) -> None:
        """Encode every queued text in one batched call (no call when nothing is queued)."""
        if not self._pending:
            return
        from rewards.embedding import encode, unread_chars

        texts = list(self._pending)
        self._pending.clear()
        vectors = encode(texts)
        self.encode_calls += 1
        for text, vec, unread in zip(texts, vectors, unread_chars(texts), strict=True):
            self._vectors[text] = vec
            self._unread[text] = unread

    def unread_chars(self, texts: Sequence[str]) -> int:
        """Characters of ``texts`` (summed) the encoder did not read; every text must be embedded."""
        missing = [t for t in texts if t not in self._unread]
        if missing:
            raise KeyError(
                f"{len(missing)} text(s) were never embedded in this batch, e.g. {missing[0][:60]!r}"
            )
        return sum(self._unread[t] for t in texts)

    def embeddings(self, texts: Sequence[str]):
        """Unit-norm MiniLM embeddings of ``texts`` as a float32 array of shape (len(texts), 384)."""
        import numpy as np

        missing = [t for t in texts if t not in self._vectors]
        if missing:
            self.request(missing)
            self.flush()
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


# ---------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------

ScoreFn = Callable[[Batch, dict], list[ComponentScore]]
TextsFn = Callable[[Batch, dict], Iterable[str]]


@dataclass
class Reward:
    """A registered reward: a batch scoring function, its option defaults and its embedding needs.

    ``score(batch, options)`` returns one :class:`ComponentScore` per sample with values in
    [0, 1] or None. ``texts(batch, options)``, when given, names the texts to embed before
    scoring (for the batch's single encode). ``defaults`` lists the accepted options.
    ``group`` marks a group-level reward: its value for a sample depends on the other samples of
    the sample's GRPO group (peers, a curriculum decided per group), so it must be scored over
    whole groups. verl's streaming reward path (``rl.verl_reward``) leaves such rewards out; the
    trainer mode (``rl.trainer``) scores them once per step over every whole group.
    """

    name: str
    score: ScoreFn
    texts: TextsFn | None = None
    defaults: dict[str, Any] | None = field(default_factory=dict)
    description: str = ""
    check: Callable[[dict], None] | None = None  # validates resolved options (raises ValueError)
    group: bool = False  # scored over whole GRPO groups, once per step (see the class doc)

    def resolve_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults updated with ``options``; an unknown option key is a clear ValueError."""
        options = dict(options or {})
        if self.defaults is None:  # a function with **kwargs: it takes any option
            return options
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            raise ValueError(
                f"unknown option(s) {', '.join(unknown)} for reward {self.name!r}; "
                f"valid options: {', '.join(sorted(self.defaults)) or '(none)'}"
            )
        resolved = {**self.defaults, **options}
        required = sorted(k for k, v in resolved.items() if v is REQUIRED)
        if required:
            raise ValueError(
                f"reward {self.name!r} needs option(s) {', '.join(required)} (no default); set "
                + ", ".join(f"reward_options.{self.name}.{k}=..." for k in required)
            )
        if self.check is not None:
            self.check(resolved)
        return resolved


#: Marks an option a user function declares without a default: it must be given.
REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "<required>"})()

_REGISTRY: dict[str, Reward] = {}
_builtins_loaded = False


def _load_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        for mod in _BUILTIN_MODULES:
            importlib.import_module(mod)


def _wrap_sample_fn(name: str, fn: Callable[..., Any]) -> ScoreFn:
    """A batch scorer from a per-sample ``fn(prompt, response, metadata, **options)``.

    ``fn`` may return a number, None (missing), ``(number, reasons)`` or a ComponentScore. An
    exception is a bug in the reward: it propagates (``score_batch`` names the sample); a reward
    that may legitimately have no value returns None with its reason.
    """

    def score(batch: Batch, options: dict) -> list[ComponentScore]:
        return [_as_component(name, fn(s.prompt, s.response, s.metadata, **options)) for s in batch.samples]

    return score


def _as_component(name: str, result: Any) -> ComponentScore:
    if isinstance(result, ComponentScore):
        return result
    reasons: list[str] = []
    if isinstance(result, tuple) and len(result) == 2:
        result, reasons = result[0], list(result[1])
    if result is None:
        return ComponentScore(None, reasons or [f"{name}: missing"])
    try:
        value = float(result)
    except (TypeError, ValueError):
        raise TypeError(f"reward {name!r} returned a {type(result).__name__}, not a number or None") from None
    return ComponentScore(value, reasons)


def register_reward(
    name: str,
    fn: Callable[..., Any] | None = None,
    *,
    batched: bool = False,
    texts: TextsFn | None = None,
    defaults: dict[str, Any] | None = None,
    description: str = "",
    check: Callable[[dict], None] | None = None,
    group: bool = False,
):
    """Register a reward under ``name``; usable as a decorator.

    With ``batched=False`` (user functions) ``fn(prompt, response, metadata, **options)`` scores
    one sample and returns a number in [0, 1], None (missing), ``(number, reasons)`` or a
    :class:`ComponentScore`. With ``batched=True`` ``fn(batch, options)`` returns one
    ComponentScore per sample and may declare ``texts(batch, options)`` for the shared encode.
    ``defaults`` lists the accepted options (None: accept any; a value :data:`REQUIRED`: must be
    given); ``check`` validates them. A dotted-path function gets ``defaults`` from its signature
    (:func:`declared_options`). ``group=True`` declares a group-level reward (see
    :class:`Reward`): give it batches of whole groups.
    Re-registering a name replaces it (so notebooks can iterate).
    """

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        score = f if batched else _wrap_sample_fn(name, f)
        doc = description or (f.__doc__ or "").strip().split("\n")[0]
        _REGISTRY[name] = Reward(
            name, score, texts, None if defaults is None else dict(defaults), doc, check, bool(group)
        )
        return f

    return deco(fn) if fn is not None else deco


def list_rewards() -> list[str]:
    """Names of the registered rewards, sorted (built-ins included)."""
    _load_builtins()
    return sorted(_REGISTRY)


def get_reward(name: str) -> Reward:
    """The reward registered as ``name``, or the function at dotted path ``"pkg.mod:fn"``.

    A dotted path (``"pkg.mod:fn"`` or ``"pkg.mod.fn"``) is imported and registered under that
    path; a callable there is treated as a per-sample function (see :func:`register_reward`) whose
    options are the parameters it declares (:func:`declared_options`), a :class:`Reward` as itself. An unknown name is a ValueError listing the valid names.
    """
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if isinstance(name, str) and ("." in name or ":" in name):
        obj = _import_path(name)
        if isinstance(obj, Reward):
            _REGISTRY[name] = obj
        elif callable(obj):
            register_reward(name, obj, defaults=declared_options(name, obj))
        else:
            raise ValueError(f"reward path {name!r} names a {type(obj).__name__}, not a function")
        return _REGISTRY[name]
    raise ValueError(
        f"unknown reward {name!r}; valid names: {', '.join(sorted(_REGISTRY))}, "
        "or a dotted path to a function such as 'my_package.my_module:my_reward'"
    )


def declared_options(name: str, fn: Callable[..., Any]) -> dict[str, Any] | None:
    """The options a per-sample user function declares: its parameters after the first three.

    ``fn(prompt, response, metadata, scale=1.0, *, mode)`` declares ``scale`` (default 1.0) and
    ``mode`` (:data:`REQUIRED`); ``reward_options`` naming anything else is then a clear error
    at config time. A ``**kwargs`` parameter means "accepts any option" (returns None). A function
    that cannot take ``(prompt, response, metadata)`` positionally is a ValueError.
    """
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin without a signature: accept what it is given
        return None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    rest = list(params)
    taken = 0
    while taken < 3 and rest and rest[0].kind in positional:
        rest.pop(0)
        taken += 1
    if taken < 3 and not any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in rest):
        raise ValueError(
            f"reward {name!r}: a reward function takes (prompt, response, metadata, **options); "
            f"{getattr(fn, '__name__', fn)!r} has the signature {inspect.signature(fn)}"
        )
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in rest):
        return None
    return {
        p.name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for p in rest
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }


def _import_path(path: str) -> Any:
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"reward path {path!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(
            f"cannot import module {module_name!r} for reward {path!r}: {exc}; valid names: "
            f"{', '.join(sorted(_REGISTRY))}, or an importable 'package.module:function'"
        ) from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"module {module_name!r} has no attribute {attr!r} (reward {path!r})")
        obj = getattr(obj, part)
    return obj


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------


@dataclass
class RewardConfig:
    """Which rewards to compute, their weights in the total, and their options.

    ``rewards`` maps a registered name (or dotted path ``"pkg.mod:fn"``) to a weight >= 0 (weight
    0: computed and logged, left out of the total); default length/quality/format = 1.
    ``options`` maps a reward name to its options, e.g. ``{"quality": {"backend": "embedding"}}``.
    Names and option keys are checked at construction, so a typo fails before any scoring.
    """

    rewards: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_REWARDS))
    options: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.rewards, (list, tuple)):
            self.rewards = {str(n): 1.0 for n in self.rewards}
        if not isinstance(self.rewards, Mapping) or not self.rewards:
            raise ValueError("RewardConfig.rewards must be a non-empty mapping of reward name -> weight")
        clean: dict[str, float] = {}
        for name, weight in self.rewards.items():
            try:
                w = float(weight)
            except (TypeError, ValueError):
                raise ValueError(f"weight of reward {name!r} must be a number, got {weight!r}") from None
            if not math.isfinite(w) or w < 0:
                raise ValueError(f"weight of reward {name!r} must be finite and >= 0, got {weight!r}")
            get_reward(str(name))  # fails early, listing valid names
            clean[str(name)] = w
        self.rewards = clean
        self.options = {str(k): dict(v or {}) for k, v in (self.options or {}).items()}
        for name, opts in self.options.items():
            if name not in self.rewards:
                raise ValueError(
                    f"options given for reward {name!r}, which is not configured; configured: "
                    f"{', '.join(self.rewards)}"
                )
            get_reward(name).resolve_options(opts)
        for name in self.rewards:  # a required option (no default) that was not given
            if name not in self.options:
                get_reward(name).resolve_options({})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> RewardConfig:
        """A config from ``{"rewards": {name: weight} | [names], "options": {name: {...}}}``.

        ``None`` or ``{}`` gives the default (length, quality, format, weight 1 each).
        """
        d = dict(d or {})
        unknown = set(d) - {"rewards", "options"}
        if unknown:
            raise ValueError(
                f"unknown RewardConfig key(s) {', '.join(sorted(unknown))}; valid: rewards, options"
            )
        return cls(
            rewards=d.get("rewards") or dict(DEFAULT_REWARDS),
            options=d.get("options") or {},
        )

    @classmethod
    def from_yaml(cls, path: str | Path) -> RewardConfig:
        """A config from a YAML file with the :meth:`from_dict` keys (optionally under ``reward:``)."""
        import yaml

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"reward config not found: {path}")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: a reward config must be a mapping, got {type(data).__name__}")
        if "reward" in data and isinstance(data["reward"], Mapping):
            data = data["reward"]
        return cls.from_dict(data)

    @classmethod
    def coerce(cls, config: RewardConfig | Mapping[str, Any] | None) -> RewardConfig:
        """``config`` as a RewardConfig (a dict goes through :meth:`from_dict`, None is the default)."""
        if isinstance(config, RewardConfig):
            return config
        return cls.from_dict(config)

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data (round-trips through :meth:`from_dict`)."""
        return {"rewards": dict(self.rewards), "options": {k: dict(v) for k, v in self.options.items()}}


def split_by_scope(
    config: RewardConfig | Mapping[str, Any] | None,
) -> tuple[RewardConfig | None, RewardConfig | None]:
    """``config`` split into (per-sample rewards, group-level rewards), each a :class:`RewardConfig`
    with its rewards' weights and options, or None when it has no reward of that kind.

    Per-sample rewards are scored as each sample arrives (``rl.verl_reward``); group-level ones
    (registered with ``group=True``) once per step over whole groups (``rl.trainer``).
    """
    config = RewardConfig.coerce(config)
    parts: dict[bool, RewardConfig | None] = {}
    for is_group in (False, True):
        names = [n for n in config.rewards if get_reward(n).group is is_group]
        parts[is_group] = (
            RewardConfig(
                rewards={n: config.rewards[n] for n in names},
                options={n: config.options[n] for n in names if n in config.options},
            )
            if names
            else None
        )
    return parts[False], parts[True]


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------


class RewardError(RuntimeError):
    """A reward broke its contract (raised, or gave a value outside [0, 1]): a bug, never a score."""


def _sample_label(batch: Batch, i: int) -> str:
    """``sample i (id=..., prompt='...')``: enough to find the sample that broke a reward."""
    s = batch.samples[i]
    sid = s.metadata.get("id")
    head = s.prompt[:80] + ("..." if len(s.prompt) > 80 else "")
    return f"sample {i}" + (f" (id={sid!r})" if sid is not None else "") + f", prompt {head!r}"


def _checked_value(name: str, value: Any, batch: Batch, i: int) -> float | None:
    """``value`` as a float in [0, 1], None when missing; anything else is a :class:`RewardError`
    (no clipping: a reward out of its documented range is a bug to see, not a number to fix)."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise RewardError(
            f"reward {name!r} gave {value!r} ({type(value).__name__}) for {_sample_label(batch, i)}: "
            "a reward returns a number in [0, 1] or None"
        ) from None
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise RewardError(
            f"reward {name!r} gave {v!r} for {_sample_label(batch, i)}: outside its range [0, 1]"
        )
    return v


def _score_one_reward(name: str, reward: Reward, batch: Batch, options: dict) -> list[ComponentScore]:
    """``reward`` over ``batch``; when it raises, find and name the first sample it raises on.

    A reward that cannot score (a network judge down, no target) returns None with a reason; an
    exception is a bug, so it propagates as a :class:`RewardError` naming the sample.
    """
    try:
        scores = list(reward.score(batch, options))
    except Exception as exc:
        culprit = "the batch"
        for i in range(len(batch)):
            one = Batch([batch.samples[i]])
            try:
                reward.score(one, options)
            except Exception:
                culprit = _sample_label(batch, i)
                break
        raise RewardError(
            f"reward {name!r} raised {type(exc).__name__} on {culprit} (of a batch of {len(batch)}): {exc}"
        ) from exc
    if len(scores) != len(batch):
        raise RewardError(f"reward {name!r} returned {len(scores)} scores for {len(batch)} samples")
    return scores


def score_batch(
    samples: Sequence[RewardSample | Mapping[str, Any]],
    config: RewardConfig | Mapping[str, Any] | None = None,
) -> list[RewardBreakdown]:
    """Score every sample with every configured reward; one :class:`RewardBreakdown` per sample.

    Responses are parsed once; all embedding-based parts share one batched MiniLM encode. Never
    raises on bad model output (that scores low, with a reason). A value may be missing (None)
    only when the reward itself says so with a reason (a network judge, served RM or range
    predictor that failed); the total is then the weighted mean of what is available. A reward
    that raises, returns a non-number or a value outside [0, 1] is a bug: :class:`RewardError`
    naming the reward and the sample, never a silently missing or clipped value.
    """
    config = RewardConfig.coerce(config)
    batch = Batch(samples)
    if not len(batch):
        return []
    plan = []
    for name, weight in config.rewards.items():
        reward = get_reward(name)
        options = reward.resolve_options(config.options.get(name))
        plan.append((name, weight, reward, options))
    for name, _, reward, options in plan:
        if reward.texts is not None:
            try:
                batch.request(reward.texts(batch, options))
            except Exception:
                log.exception("reward %s failed to list its texts; it will encode on demand", name)
    try:
        batch.flush()
    except Exception:
        # The embedding model failing is an environment error, not bad model output: say so loudly.
        log.exception("batched embedding failed")
        raise

    per_reward: dict[str, list[ComponentScore]] = {
        name: _score_one_reward(name, reward, batch, options) for name, _, reward, options in plan
    }

    out = []
    for i in range(len(batch)):
        components: dict[str, float | None] = {}
        reasons: list[str] = []
        details: dict[str, Any] = {}
        num = den = 0.0
        for name, weight, _, _ in plan:
            cs = per_reward[name][i]
            value = _checked_value(name, cs.value, batch, i)
            components[name] = value
            reasons.extend(cs.reasons)
            for key, val in cs.details.items():
                details[f"{name}.{key}"] = val
            if value is not None and weight > 0:
                num += weight * value
                den += weight
        if den > 0:
            total = num / den  # a weighted mean of values in [0, 1]
        else:
            total = 0.0
            reasons.append("total: no weighted component available, total set to 0")
        out.append(
            RewardBreakdown(
                total=total,
                components=components,
                reasons=reasons,
                answer_len=batch.answer_lens[i],
                think_len=batch.think_lens[i],
                details=details,
            )
        )
    return out
