"""Writing requests (jsonl) -> verl's RL parquet (train.parquet, val.parquet).

Input, one JSON object per line (blank lines are skipped)::

    {"id": "en-001", "prompt": "Write a 2,000-word story ...", "type": "fiction",
     "target": {"lower": 1800, "upper": 2200}, "language": "en"}

``prompt`` is required; ``id`` (default: a hash of the prompt), ``type``, ``language`` (default:
:func:`rollout.text.language_of`) and an explicit ``target`` range (``lower``/``upper`` in the
language's unit: English words or Chinese characters, as :func:`rollout.text.count_words` counts)
are optional, and so is ``references``: a list of reference answers ordered from weaker to stronger
(the ``pairwise`` reward and its curriculum compare rollouts with them; carried into
``extra_info.references``). Any other key, a bad value or a duplicate id fails with the file and line.

Each output row is what verl's ``RLHFDataset`` and reward loop read (see :data:`PARQUET_SCHEMA`):
``prompt`` as chat messages from :func:`rollout.format.chat_messages` (system = the template's
instructions, user = the request); ``data_source``; ``ability``; ``reward_model`` =
``{"style": "rule", "ground_truth": <the target range as JSON>}``; and ``extra_info`` with the
id, index, split, language, type, the request text (verl does not pass the prompt to a reward
function, so the reward entry point reads it here) and the target range with its ``source``:
``explicit`` (given in the row or stated in the request), ``predicted`` (an endpoint's guess)
or ``fallback`` (the deterministic rule of :func:`rewards.length.reward.predict_ranges`).
``extra_info.target_evidence`` says why: the span of the request the range was read from, the
rule applied and the candidates rejected (pasted material, pages, per-part or title limits), or
why the request has no explicit length; ``extra_info.target_check`` holds the endpoint's
prediction for an explicit range when ``cross_check_lengths`` is on (else null). A row target
with ``lower`` 0 is rejected (an empty answer would get the full length reward).

Base models: the messages render to the raw-text frame of :func:`rollout.format.base_prompt`
when the tokenizer's chat template is :data:`rollout.format.BASE_CHAT_TEMPLATE`. verl 0.9.1 takes
a replacement template in two places, and :func:`verl_overrides` fills both:
``actor_rollout_ref.model.custom_chat_template`` (the rollout tokenizer, set by verl's
``HFModelConfig`` and the agent loop) and ``data.apply_chat_template_kwargs.chat_template``
(forwarded to ``apply_chat_template`` by the dataset's prompt-length filter and the agent loop's
tokenisation). ``prepare_rl_data`` also writes the template to ``chat_template.jinja`` and the
overrides to ``manifest.json`` next to the parquet files.

Prompt lengths: with a ``prompt_budget`` (``longwrite prepare-rl --preset`` always gives one)
every chat prompt's tokens are counted with the policy's tokenizer as verl counts them and checked
against ``data.max_prompt_length``: over-long prompts are refused, or dropped and listed in the
manifest's ``prompt_tokens`` (:mod:`rl.prompt_budget`), so verl's own filter has nothing to drop.

The train/validation split is a deterministic function of (ids, seed, fraction): rows are ranked
by a hash of ``seed:id``, so it does not depend on the input order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollout.format import BASE_CHAT_TEMPLATE, STYLES, TEMPLATES, chat_messages
from rollout.text import language_of, unit_of

__all__ = [
    "DATA_SOURCE",
    "ABILITY",
    "BUNDLED_PROMPTS",
    "PromptRow",
    "RLData",
    "read_prompts",
    "resolve_targets",
    "resolve_target_records",
    "explain_targets",
    "format_explanations",
    "build_records",
    "split_train_val",
    "write_parquet",
    "prepare_rl_data",
    "verl_overrides",
    "NEW_VERL_KEYS",
    "parquet_schema",
]

log = logging.getLogger(__name__)

DATA_SOURCE = "longwriter_rl"
ABILITY = "long_writing"
BUNDLED_PROMPTS = Path(__file__).resolve().parent / "data" / "prompts.jsonl"
_ALLOWED_KEYS = ("id", "prompt", "type", "target", "language", "references")
_LANGUAGES = ("en", "zh")
_UNITS = ("words", "chars")


@dataclass(frozen=True)
class PromptRow:
    """One validated writing request; ``line`` is its 1-based line in ``path`` (for errors)."""

    id: str
    prompt: str
    language: str
    type: str | None = None
    target: dict | None = None  # explicit {"lower", "upper", "unit"} from the row, if any
    path: str = ""
    line: int = 0
    references: tuple[str, ...] = ()  # reference answers, weaker -> stronger (pairwise reward)


@dataclass
class RLData:
    """What :func:`prepare_rl_data` wrote: paths, row counts and the target sources used."""

    train: Path
    val: Path
    manifest: Path
    chat_template: Path | None
    n_train: int
    n_val: int
    target_sources: dict[str, int] = field(default_factory=dict)

    @property
    def paths(self) -> tuple[Path, Path]:
        """(train.parquet, val.parquet)."""
        return self.train, self.val


def _row_error(path: Path | str, line: int, message: str) -> ValueError:
    return ValueError(f"{path}:{line}: {message}")


def _parse_target(value: Any, language: str, where: tuple[Path | str, int]) -> dict:
    path, line = where
    if not isinstance(value, dict):
        raise _row_error(path, line, f"'target' must be an object {{lower, upper}}, got {value!r}")
    extra = set(value) - {"lower", "upper", "unit"}
    if extra:
        raise _row_error(
            path, line, f"'target' has unknown key(s) {sorted(extra)}; allowed: lower, upper, unit"
        )
    bounds = []
    for key in ("lower", "upper"):
        v = value.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v) or v < 0:
            raise _row_error(path, line, f"'target.{key}' must be a non-negative integer, got {v!r}")
        bounds.append(int(v))
    lower, upper = bounds
    if lower == 0:
        # Rejected, not repaired: a lower bound of 0 gives an empty answer the full length reward
        # (issue #13), and no repair can know the length the author meant.
        raise _row_error(
            path,
            line,
            f"'target.lower' is 0 ({lower}..{upper}): an empty answer would get the full length "
            f"reward; give the shortest acceptable length (LongWriter-Zero's 'at most {upper}' is "
            f"{round(0.9 * upper)}..{upper})",
        )
    if upper < lower:
        raise _row_error(path, line, f"'target' needs 0 < lower <= upper, got {lower}..{upper}")
    unit = value.get("unit", unit_of(language))
    if unit not in _UNITS:
        raise _row_error(path, line, f"'target.unit' must be one of {_UNITS}, got {unit!r}")
    return {"lower": lower, "upper": upper, "unit": unit}


def _parse_references(value: Any, where: tuple[Path | str, int]) -> tuple[str, ...]:
    """The row's ``references``: a list of non-empty strings, weaker -> stronger (may be absent)."""
    path, line = where
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _row_error(path, line, f"'references' must be a list of strings, got {type(value).__name__}")
    for k, ref in enumerate(value):
        if not isinstance(ref, str) or not ref.strip():
            raise _row_error(path, line, f"'references[{k}]' must be a non-empty string, got {ref!r}")
    return tuple(value)


def read_prompts(path: str | Path) -> list[PromptRow]:
    """Read and validate a request jsonl; a bad row raises ValueError naming ``path:line``.

    Checks: valid JSON object, a non-empty string ``prompt``, string ``id``/``type`` (an integer
    id is accepted and stringified), ``language`` in en/zh, a well-formed ``target``, no unknown
    keys, no duplicate ids. An empty file is an error too (nothing to train on).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"prompts file not found: {path}")
    rows: list[PromptRow] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise _row_error(path, line_no, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(obj, dict):
                raise _row_error(path, line_no, f"expected a JSON object, got {type(obj).__name__}")
            unknown = sorted(set(obj) - set(_ALLOWED_KEYS))
            if unknown:
                raise _row_error(
                    path, line_no, f"unknown key(s) {unknown}; allowed: {', '.join(_ALLOWED_KEYS)}"
                )
            prompt = obj.get("prompt")
            if not isinstance(prompt, str) or not prompt.strip():
                raise _row_error(path, line_no, "'prompt' must be a non-empty string")
            rid = obj.get("id")
            if rid is None:
                rid = "p-" + hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:12]
            elif isinstance(rid, bool) or not isinstance(rid, (str, int)) or not str(rid).strip():
                raise _row_error(path, line_no, f"'id' must be a non-empty string, got {rid!r}")
            rid = str(rid)
            if rid in seen:
                raise _row_error(path, line_no, f"duplicate id {rid!r} (first on line {seen[rid]})")
            seen[rid] = line_no
            rtype = obj.get("type")
            if rtype is not None and not isinstance(rtype, str):
                raise _row_error(path, line_no, f"'type' must be a string, got {rtype!r}")
            language = obj.get("language") or language_of(prompt)
            if language not in _LANGUAGES:
                raise _row_error(path, line_no, f"'language' must be one of {_LANGUAGES}, got {language!r}")
            target = obj.get("target")
            if target is not None:
                target = _parse_target(target, language, (path, line_no))
            references = _parse_references(obj.get("references"), (path, line_no))
            rows.append(PromptRow(rid, prompt, language, rtype, target, str(path), line_no, references))
    if not rows:
        raise ValueError(f"{path}: no requests found (the file is empty)")
    return rows


def _as_target_dict(target: Any) -> dict | None:
    """A TargetRange (or a dict) as ``{"lower", "upper", "unit", "source"}`` of plain types."""
    if target is None:
        return None
    get = target.get if isinstance(target, dict) else lambda k, d=None: getattr(target, k, d)
    return {
        "lower": int(get("lower")),
        "upper": int(get("upper")),
        "unit": str(get("unit")),
        "source": str(get("source")),
    }


def resolve_targets(
    rows: Sequence[PromptRow],
    endpoint: Any | None = None,
    cache_path: str | Path | None = None,
    progress: bool = False,
) -> list[dict | None]:
    """The target length range of each row, as ``{"lower", "upper", "unit", "source"}``.

    The row's own ``target`` wins (source ``explicit``); the others go to
    :func:`rewards.length.reward.predict_ranges`: a length stated in the request (``explicit``), else the
    endpoint's prediction (``predicted``, cached in ``cache_path``), else its deterministic
    fallback (``fallback``). A request the endpoint judges unanswerable gets None (its length
    reward is then missing), with a warning. Units: English words / Chinese characters.
    """
    return resolve_target_records(rows, endpoint, cache_path, progress)[0]


def _row_evidence(row: PromptRow) -> dict:
    return {
        "span_start": None,
        "span_end": None,
        "text": "",
        "rule": f"given in the data row ({row.path}:{row.line})",
        "reason": None,
        "rejected": [],
        "material": [],
        "notes": [],
    }


def resolve_target_records(
    rows: Sequence[PromptRow],
    endpoint: Any | None = None,
    cache_path: str | Path | None = None,
    progress: bool = False,
) -> tuple[list[dict | None], list[dict]]:
    """(targets, evidence): :func:`resolve_targets`' ranges and, per row, the evidence dict of
    :meth:`rewards.length.reward.LengthEvidence.to_dict` (span, rule, rejected candidates, reason)."""
    from rewards.length.reward import predict_ranges

    out: list[dict | None] = [None] * len(rows)
    evidence: list[dict] = [_row_evidence(row) for row in rows]
    pending = [i for i, row in enumerate(rows) if row.target is None]
    for i, row in enumerate(rows):
        if row.target is not None:
            out[i] = {**row.target, "source": "explicit"}
    if pending:
        predicted = predict_ranges(
            [rows[i].prompt for i in pending], endpoint=endpoint, cache_path=cache_path, progress=progress
        )
        for i, target in zip(pending, predicted, strict=True):
            out[i] = _as_target_dict(target)
            if target is not None and target.evidence is not None:
                evidence[i] = target.evidence.to_dict()
            elif target is None:
                from rewards.length.reward import explain_length_requirement

                evidence[i] = explain_length_requirement(rows[i].prompt)[1].to_dict()
                log.warning(
                    "%s:%d: no target length range for request %r", rows[i].path, rows[i].line, rows[i].id
                )
    return out, evidence


def _cross_check(
    rows: Sequence[PromptRow], targets: Sequence[dict | None], endpoint: Any, cache_path: Path | None
) -> list[dict | None]:
    """The endpoint's range for each explicit target, flattened for the parquet's target_check."""
    from rewards.length.reward import cross_check_ranges

    checks = cross_check_ranges([r.prompt for r in rows], targets, endpoint, cache_path)
    out: list[dict | None] = []
    for check in checks:
        if check is None:
            out.append(None)
            continue
        pred = check["predicted"] or {}
        out.append(
            {
                "predicted_lower": pred.get("lower"),
                "predicted_upper": pred.get("upper"),
                "predicted_unit": pred.get("unit"),
                "agrees": check["agrees"],
                "note": check["note"],
            }
        )
    return out


def split_train_val(ids: Sequence[str], val_fraction: float, seed: int = 0) -> list[str]:
    """``"train"``/``"val"`` for each id: the ``round(n * val_fraction)`` ids ranked first by a
    hash of ``seed:id`` go to validation (at least one when the fraction is > 0 and n >= 2, and
    never all of them). Deterministic and independent of the input order.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    n = len(ids)
    n_val = round(n * val_fraction)
    n_val = min(max(n_val, 1), n - 1) if val_fraction > 0 and n >= 2 else 0
    ranked = sorted(range(n), key=lambda i: hashlib.sha256(f"{seed}:{ids[i]}".encode()).hexdigest())
    val = set(ranked[:n_val])
    return ["val" if i in val else "train" for i in range(n)]


def build_records(
    rows: Sequence[PromptRow],
    targets: Sequence[dict | None],
    splits: Sequence[str],
    template: str = "plan_write",
    style: str = "chat",
    data_source: str = DATA_SOURCE,
    progress: bool = False,
    evidence: Sequence[dict | None] | None = None,
    checks: Sequence[dict | None] | None = None,
    checklists: dict[str, list[dict]] | None = None,
) -> list[dict]:
    """verl RL rows (see :func:`parquet_schema`) for ``rows`` with their targets and splits;
    ``evidence`` / ``checks`` fill ``extra_info.target_evidence`` / ``target_check`` (null if not given);
    ``checklists`` (request key -> criteria, :mod:`rewards.checklist.generate`) fill
    ``extra_info.checklist`` (the criteria as JSON) and ``checklist_key`` (null without)."""
    from tqdm import tqdm

    from rewards.checklist.generate import prompt_key

    records = []
    evidence = list(evidence) if evidence is not None else [None] * len(rows)
    checks = list(checks) if checks is not None else [None] * len(rows)
    items = zip(rows, targets, splits, evidence, checks, strict=True)
    for index, (row, target, split, ev, check) in enumerate(
        tqdm(items, total=len(rows), desc="rows", disable=not progress)
    ):
        records.append(
            {
                "data_source": data_source,
                "prompt": chat_messages(row.prompt, template, row.language),
                "ability": ABILITY,
                "reward_model": {"style": "rule", "ground_truth": json.dumps(target, ensure_ascii=False)},
                "extra_info": {
                    "index": index,
                    "id": row.id,
                    "split": split,
                    "language": row.language,
                    "type": row.type,
                    "request": row.prompt,
                    "template": template,
                    "style": style,
                    "target": target,
                    "target_evidence": ev,
                    "target_check": check,
                    "references": list(row.references),
                    **_checklist_fields(row.prompt, checklists, prompt_key),
                },
            }
        )
    return records


def _checklist_fields(request: str, checklists: dict[str, list[dict]] | None, key_of) -> dict:
    """A row's ``checklist`` (criteria JSON) and ``checklist_key``, both None without checklists."""
    if checklists is None:
        return {"checklist": None, "checklist_key": None}
    key = key_of(request)
    criteria = checklists.get(key)
    return {
        "checklist": None if criteria is None else json.dumps(criteria, ensure_ascii=False),
        "checklist_key": key,
    }


def parquet_schema():
    """The pyarrow schema of the RL parquet files (documented in docs/data.md and the module doc)."""
    import pyarrow as pa

    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    target = pa.struct(
        [("lower", pa.int64()), ("upper", pa.int64()), ("unit", pa.string()), ("source", pa.string())]
    )
    rejected = pa.struct(
        [("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("why", pa.string())]
    )
    evidence = pa.struct(
        [
            ("span_start", pa.int64()),
            ("span_end", pa.int64()),
            ("text", pa.string()),
            ("rule", pa.string()),
            ("reason", pa.string()),
            ("rejected", pa.list_(rejected)),
            ("material", pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64())]))),
            ("notes", pa.list_(pa.string())),
        ]
    )
    check = pa.struct(
        [
            ("predicted_lower", pa.int64()),
            ("predicted_upper", pa.int64()),
            ("predicted_unit", pa.string()),
            ("agrees", pa.bool_()),
            ("note", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("data_source", pa.string()),
            ("prompt", pa.list_(message)),
            ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            (
                "extra_info",
                pa.struct(
                    [
                        ("index", pa.int64()),
                        ("id", pa.string()),
                        ("split", pa.string()),
                        ("language", pa.string()),
                        ("type", pa.string()),
                        ("request", pa.string()),
                        ("template", pa.string()),
                        ("style", pa.string()),
                        ("target", target),
                        ("target_evidence", evidence),
                        ("target_check", check),
                        ("references", pa.list_(pa.string())),
                        ("checklist", pa.string()),
                        ("checklist_key", pa.string()),
                    ]
                ),
            ),
        ]
    )


def write_parquet(records: Sequence[dict], path: str | Path) -> Path:
    """Write ``records`` with :func:`parquet_schema` to ``path`` atomically (tmp file + rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = pa.Table.from_pylist(list(records), schema=parquet_schema())
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return path


#: Keys of :func:`verl_overrides` that are new to verl's config tree (a Hydra override adds them
#: with a leading ``+``); ``rl.presets.build_plan`` applies the manifest's overrides with it.
NEW_VERL_KEYS: frozenset[str] = frozenset({"data.apply_chat_template_kwargs.chat_template"})


def verl_overrides(data: RLData, style: str = "chat") -> dict[str, Any]:
    """verl config values that use ``data``: file paths, and for ``style='base'`` the base frame's
    chat template in both places verl 0.9.1 reads one (see the module doc).

    Keys are verl's dotted config paths. ``data.apply_chat_template_kwargs`` exists in verl's
    tree (a dict), so its new ``chat_template`` key needs a leading ``+`` on a Hydra command line.
    """
    out: dict[str, Any] = {"data.train_files": str(data.train), "data.val_files": str(data.val)}
    if style == "base":
        out["actor_rollout_ref.model.custom_chat_template"] = BASE_CHAT_TEMPLATE
        out["data.apply_chat_template_kwargs.chat_template"] = BASE_CHAT_TEMPLATE
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_rl_data(
    prompts_file: str | Path,
    out_dir: str | Path,
    *,
    val_fraction: float = 0.05,
    style: str = "chat",
    template: str = "plan_write",
    length_endpoint: str | None = None,
    length_model: str | None = None,
    seed: int = 0,
    data_source: str = DATA_SOURCE,
    progress: bool = False,
    cross_check_lengths: bool = False,
    select_by_margin: int | None = None,
    policy_endpoint: str | None = None,
    policy_model: str | None = None,
    judge_endpoint: str | None = None,
    judge_model: str | None = None,
    margin_samples: int = 1,
    prompt_budget: Any = None,
    overlong: str = "refuse",
    checklist_endpoint: str | None = None,
    checklist_model: str | None = None,
    checklist_missing: str = "refuse",
) -> RLData:
    """Turn a request jsonl into ``out_dir/train.parquet`` and ``out_dir/val.parquet``.

    Also writes ``manifest.json`` (settings, counts, target sources, input hash, the verl
    overrides) and, for ``style='base'``, ``chat_template.jinja``. ``length_endpoint`` +
    ``length_model`` name an OpenAI-compatible endpoint that predicts ranges for requests without
    an explicit length (cached in ``out_dir/length_cache.jsonl``, so a re-run asks only for new
    requests). With ``cross_check_lengths`` (needs the endpoint) explicit ranges are also
    checked against the endpoint's prediction: each row's ``extra_info.target_check`` and the
    manifest's ``length_cross_check`` (counts and the disagreeing ids) record it. Returns the
    paths and counts. Bad input raises ValueError / FileNotFoundError with the file and line
    before anything is written.

    ``select_by_margin=K`` keeps only the K requests with the largest margin between the starting
    policy (``policy_endpoint`` / ``policy_model``, ``margin_samples`` answers each) and their
    strongest reference, judged at ``judge_endpoint`` / ``judge_model`` (:mod:`rl.margin`, which
    defines the margin); every request's score goes to ``out_dir/margin_scores.jsonl``.

    ``prompt_budget`` (a :class:`rl.prompt_budget.PromptBudget`: the policy's tokenizer and
    ``data.max_prompt_length``) counts each chat prompt's tokens as verl does; a prompt over the
    limit is refused (:class:`rl.prompt_budget.OverlongPromptsError` listing file:line, id and
    tokens, nothing written) or, with ``overlong="drop"``, dropped and listed in the manifest's
    ``prompt_tokens``. Without a budget the manifest's ``prompt_tokens`` is null (not checked, with
    a warning): ``longwrite prepare-rl`` always checks.

    ``checklist_endpoint`` (+ ``checklist_model``) makes each request's checklist
    (:func:`rewards.checklist.generate.generate_checklists`: ``out_dir/checklists.jsonl``, cached and
    resumable, and the editable ``out_dir/checklists_review.yaml``) and puts it in each row's
    ``extra_info.checklist``. A request left without one is refused (:class:`ChecklistsMissingError`
    listing each id and reason, no parquet written; a re-run asks only for those) or, with
    ``checklist_missing="drop"``, dropped and listed in the manifest's ``checklists.failed``.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose one of {', '.join(STYLES)}")
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")
    if (length_endpoint is None) != (length_model is None):
        raise ValueError("--length-endpoint and --length-model go together (give both or neither)")
    if cross_check_lengths and length_endpoint is None:
        raise ValueError("cross-checking lengths needs --length-endpoint and --length-model")
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    prompts_file = Path(prompts_file)
    rows = read_prompts(prompts_file)
    margin_needs = (policy_endpoint, policy_model, judge_endpoint, judge_model)
    if select_by_margin is not None and any(v is None for v in margin_needs):
        raise ValueError(
            "--select-by-margin needs --policy-endpoint, --policy-model, --judge-endpoint and --judge-model"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n_requests = len(rows)
    if select_by_margin is not None:
        from rl.margin import SCORES_FILE, score_margins, write_scores
        from rl.margin import select_by_margin as select
        from rollout.endpoint import EndpointClient

        scores = score_margins(
            rows,
            EndpointClient(policy_endpoint, policy_model),
            {"base_url": judge_endpoint, "model": judge_model},
            samples=margin_samples,
        )
        keep = set(select(scores, int(select_by_margin)))
        write_scores(scores, out_dir / SCORES_FILE)
        rows = [r for r in rows if r.id in keep]
        if not rows:
            raise ValueError(f"--select-by-margin: no request has a margin (see {out_dir / SCORES_FILE})")

    endpoint = None
    if length_endpoint is not None:
        from rollout.endpoint import EndpointClient

        endpoint = EndpointClient(length_endpoint, length_model)
    cache = out_dir / "length_cache.jsonl"
    targets, evidence = resolve_target_records(rows, endpoint, cache, progress)
    checks = _cross_check(rows, targets, endpoint, cache) if cross_check_lengths else None
    checklists = None
    if checklist_endpoint is not None:
        checklists = _checklists(
            rows, out_dir, checklist_endpoint, checklist_model, checklist_missing, progress
        )
        if checklist_missing == "drop":
            dropped = {f["key"] for f in checklists.failed}
            keep = [_key(r) not in dropped for r in rows]
            rows = [x for x, k in zip(rows, keep, strict=True) if k]
            targets = [x for x, k in zip(targets, keep, strict=True) if k]
            evidence = [x for x, k in zip(evidence, keep, strict=True) if k]
            if checks is not None:
                checks = [x for x, k in zip(checks, keep, strict=True) if k]
            if not rows:
                raise ValueError("--checklist-missing drop: no request has a checklist")
    splits = split_train_val([r.id for r in rows], val_fraction, seed)
    records = build_records(
        rows,
        targets,
        splits,
        template,
        style,
        data_source,
        progress,
        evidence,
        checks,
        checklists.by_key if checklists is not None else None,
    )
    prompt_tokens = None
    if prompt_budget is not None:
        records, prompt_tokens = prompt_budget.check(records, rows, style, overlong)
        if not any(r["extra_info"]["split"] == "train" for r in records):
            raise ValueError(
                f"every training prompt exceeds max_prompt_length={prompt_budget.max_prompt_length} "
                "tokens: nothing left to train on"
            )
    else:
        log.warning("prompt lengths not checked against a policy tokenizer (no prompt_budget)")

    train = write_parquet(
        [r for r in records if r["extra_info"]["split"] == "train"], out_dir / "train.parquet"
    )
    val = write_parquet([r for r in records if r["extra_info"]["split"] == "val"], out_dir / "val.parquet")
    chat_template = None
    if style == "base":
        chat_template = out_dir / "chat_template.jinja"
        chat_template.write_text(BASE_CHAT_TEMPLATE, encoding="utf-8")
    sources = Counter((r["extra_info"]["target"] or {}).get("source", "none") for r in records)
    data = RLData(
        train=train,
        val=val,
        manifest=out_dir / "manifest.json",
        chat_template=chat_template,
        n_train=sum(r["extra_info"]["split"] == "train" for r in records),
        n_val=sum(r["extra_info"]["split"] == "val" for r in records),
        target_sources=dict(sorted(sources.items())),
    )
    manifest = {
        "prompts_file": str(prompts_file.resolve()),
        "prompts_sha256": _sha256(prompts_file),
        "data_source": data_source,
        "style": style,
        "template": template,
        "seed": seed,
        "val_fraction": val_fraction,
        "n_train": data.n_train,
        "n_val": data.n_val,
        "languages": dict(sorted(Counter(r["extra_info"]["language"] for r in records).items())),
        "target_sources": data.target_sources,
        "length_endpoint": length_endpoint,
        "length_model": length_model,
        "target_reasons": dict(
            sorted(
                Counter(e["reason"] for e, t in zip(evidence, targets, strict=True) if e["reason"]).items()
            )
        ),
        "length_cross_check": _check_summary(rows, checks) if checks is not None else None,
        "select_by_margin": select_by_margin,
        "requests_before_selection": n_requests,
        "prompt_tokens": prompt_tokens,
        "checklists": None
        if checklists is None
        else {
            **checklists.summary(),
            "endpoint": checklist_endpoint,
            "model": checklist_model,
            "missing": checklist_missing,
        },
        "verl_overrides": verl_overrides(data, style),
    }
    data.manifest.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return data


class ChecklistsMissingError(ValueError):
    """Requests left without a checklist under ``checklist_missing="refuse"`` (each id and reason)."""


def _key(row: PromptRow) -> str:
    from rewards.checklist.generate import prompt_key

    return prompt_key(row.prompt)


def _checklists(rows, out_dir: Path, endpoint: str, model: str | None, missing: str, progress: bool):
    """Every row's checklist (:func:`rewards.checklist.generate.generate_checklists`); under
    ``missing="refuse"`` a :class:`ChecklistsMissingError` listing the requests without one."""
    from rewards.checklist.generate import generate_checklists
    from rollout.endpoint import EndpointClient

    if missing not in ("refuse", "drop"):
        raise ValueError(f"checklist_missing must be 'refuse' or 'drop', got {missing!r}")
    if not model:
        raise ValueError("--checklists needs --checklist-model (the model name at the endpoint)")
    result = generate_checklists(
        [(r.id, r.prompt) for r in rows], EndpointClient(endpoint, model), out_dir, progress=progress
    )
    if result.failed and missing == "refuse":
        listed = "\n".join(f"  {f['id']}: {f['reason']}" for f in result.failed)
        raise ChecklistsMissingError(
            f"{len(result.failed)} of {len(rows)} requests have no checklist (nothing written; a re-run asks "
            f"only for these, or edit {result.review}, or pass --checklist-missing drop):\n{listed}"
        )
    return result


def _check_summary(rows: Sequence[PromptRow], checks: Sequence[dict | None]) -> dict[str, Any]:
    done = [(r, c) for r, c in zip(rows, checks, strict=True) if c is not None]
    return {
        "checked": len(done),
        "agree": sum(c["agrees"] is True for _, c in done),
        "disagree_ids": [r.id for r, c in done if c["agrees"] is False],
        "not_compared_ids": [r.id for r, c in done if c["agrees"] is None],
    }


def explain_targets(
    prompts_file: str | Path,
    *,
    length_endpoint: str | None = None,
    length_model: str | None = None,
    cache_path: str | Path | None = None,
    progress: bool = False,
) -> list[dict[str, Any]]:
    """Per request of ``prompts_file``: its target, the target's source and the evidence, for an
    audit before training (``longwrite prepare-rl --explain-lengths``). Writes no data files.

    Each item: ``{"id", "path", "line", "target", "evidence", "check"}``; ``check`` (with an
    endpoint) is the endpoint's predicted range for an explicit target and whether the two
    overlap (:func:`rewards.length.reward.cross_check_ranges`), else None.
    """
    if (length_endpoint is None) != (length_model is None):
        raise ValueError("--length-endpoint and --length-model go together (give both or neither)")
    rows = read_prompts(prompts_file)
    endpoint = None
    if length_endpoint is not None:
        from rollout.endpoint import EndpointClient

        endpoint = EndpointClient(length_endpoint, length_model)
    targets, evidence = resolve_target_records(rows, endpoint, cache_path, progress)
    checks: list[dict | None] = [None] * len(rows)
    if endpoint is not None:
        from rewards.length.reward import cross_check_ranges

        checks = cross_check_ranges([r.prompt for r in rows], targets, endpoint, cache_path)
    return [
        {"id": r.id, "path": r.path, "line": r.line, "target": t, "evidence": e, "check": c}
        for r, t, e, c in zip(rows, targets, evidence, checks, strict=True)
    ]


def format_explanations(items: Sequence[dict[str, Any]]) -> str:
    """The text ``--explain-lengths`` prints: one block per request (target, source, evidence,
    rejected candidates, the endpoint's check), then a summary with the disagreements listed."""
    lines: list[str] = []
    disagree: list[str] = []
    for item in items:
        t, ev, check = item["target"], item["evidence"], item["check"]
        head = f"[{t['lower']}, {t['upper']}] {t['unit']}, {t['source']}" if t else "no target"
        lines.append(f"{item['id']}  {head}")
        if ev.get("text"):
            lines.append(
                f"    from: {ev['text']!r} (chars {ev['span_start']}-{ev['span_end']}), rule: {ev['rule']}"
            )
        elif ev.get("rule"):
            lines.append(f"    from: {ev['rule']}")
        if ev.get("reason"):
            lines.append(f"    no explicit length: {ev['reason']}")
        for r in ev.get("rejected") or []:
            lines.append(f"    rejected: {r['text']!r} (chars {r['start']}-{r['end']}): {r['why']}")
        if ev.get("material"):
            n = sum(m["end"] - m["start"] for m in ev["material"])
            lines.append(f"    pasted material skipped: {len(ev['material'])} block(s), {n} chars")
        for note in ev.get("notes") or []:
            lines.append(f"    note: {note}")
        if check is not None:
            pred = check["predicted"]
            got = f"[{pred['lower']}, {pred['upper']}] {pred['unit']}" if pred else "none"
            verdict = {True: "agrees", False: "DISAGREES", None: "not compared"}[check["agrees"]]
            lines.append(f"    endpoint predicts {got}: {verdict} ({check['note']})")
            if check["agrees"] is False:
                disagree.append(f"{item['id']} ({item['path']}:{item['line']})")
    sources = Counter((i["target"] or {}).get("source", "none") for i in items)
    lines.append("")
    lines.append(f"{len(items)} requests: " + ", ".join(f"{k} {v}" for k, v in sorted(sources.items())))
    if any(i["check"] is not None for i in items):
        lines.append(f"explicit ranges that disagree with the endpoint: {len(disagree)}")
        lines += [f"  {d}" for d in disagree]
    return "\n".join(lines)
