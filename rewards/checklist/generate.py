"""Each request's checklist, made once by an LLM and kept: ``longwrite prepare-rl --checklists``.

For every request a model behind an OpenAI-compatible endpoint writes 3-7 criteria in WritingBench's
shape (name, description, the five score bands ``1-2`` ... ``9-10``) and marks as ``hard`` those that
are explicit demands of the request (a required section, a term, a format, an audience); length is
left out (the length reward measures it). :data:`GENERATION_PROMPT` (:data:`GENERATION_PROMPT_VERSION`)
asks for it; :func:`parse_checklist` checks the reply; an unreadable or invalid one is asked again
with a correction turn (:func:`rewards.judging.ask_judge`), and a request whose checklist still
fails is **listed with its reason**, never given made-up criteria.

Files (beside the prepared data; keyed by :func:`prompt_key`, a hash of the request text):

``checklists.jsonl``
    the store: one ``{"key", "id", "model", "prompt_version", "criteria"}`` line per request,
    appended as each generation settles (one locked write per line), so a run killed mid-way keeps
    what it finished and the next run asks only for the rest (a torn last line is skipped).
``checklists_review.yaml``
    the review file, rewritten on every run: per request its id, key, the request (for reading) and
    the criteria in use. A person may edit the criteria (or add them for a request whose generation
    failed); the next run reads the file back, validates every entry (a bad one is an error naming
    the file and the id) and uses the edited criteria, counting them as ``edited``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewards.checklist.criteria import BANDS, criteria_from_list
from rewards.judging import fill_template, json_objects

__all__ = [
    "GENERATION_PROMPT",
    "GENERATION_PROMPT_VERSION",
    "STORE_FILE",
    "REVIEW_FILE",
    "MIN_CRITERIA",
    "MAX_CRITERIA",
    "prompt_key",
    "parse_checklist",
    "validate_checklist",
    "Checklists",
    "generate_checklists",
]

log = logging.getLogger(__name__)

GENERATION_PROMPT_VERSION = "lw-checklist-gen-v1"
STORE_FILE = "checklists.jsonl"
REVIEW_FILE = "checklists_review.yaml"
MIN_CRITERIA, MAX_CRITERIA = 3, 7

GENERATION_PROMPT = """\
You write the grading checklist for one writing request. A judge will later score answers to the
request on each criterion from 1 to 10.

[Writing request]
{{request}}

Write 3 to 7 criteria that together decide whether an answer serves this request well: content
coverage (what it must discuss), structure, style and format, and every explicit constraint of the
request (a required section or heading, a term or item to include, a format, an audience, a
language). Mark a criterion "hard": true only when it is such an explicit demand of the request;
everything else is "hard": false. Do not write a criterion about length or word count (another
metric measures length). Give each criterion a short unique name, a one-sentence description and
the five score bands.

Reply with one JSON object and nothing else:
{"criteria": [{"name": "...", "description": "...", "hard": false,
  "bands": {"1-2": "...", "3-4": "...", "5-6": "...", "7-8": "...", "9-10": "..."}}]}
"""
_CORRECTION = (
    "Your checklist could not be used ({reason}). Reply again with only the JSON object "
    '{{"criteria": [...]}}: 3 to 7 criteria, each with a unique "name", a "description", "hard" '
    '(true or false) and "bands" with the keys "1-2", "3-4", "5-6", "7-8", "9-10".'
)


def prompt_key(request: str) -> str:
    """The key of a request's checklist: the first 16 hex digits of the SHA-256 of its text
    (stripped), so the same request finds its checklist whatever its id or file."""
    return hashlib.sha256(request.strip().encode("utf-8")).hexdigest()[:16]


def validate_checklist(raw: Any, where: str) -> list[dict]:
    """``raw`` (a list of criterion objects) as stored criteria, or a ``ValueError`` naming
    ``where``: 3-7 criteria, unique names, a description, ``hard`` true/false and all five bands."""
    criteria = criteria_from_list(raw, where)
    if not MIN_CRITERIA <= len(criteria) <= MAX_CRITERIA:
        raise ValueError(f"{where}: {len(criteria)} criteria; a checklist has {MIN_CRITERIA}-{MAX_CRITERIA}")
    for c in criteria:
        bands = c.raw.get("bands")
        if not isinstance(bands, dict) or set(bands) != set(BANDS):
            raise ValueError(f"{where}: criterion {c.name!r} needs the five bands {', '.join(BANDS)}")
        if not isinstance(c.raw.get("hard"), bool):
            raise ValueError(f"{where}: criterion {c.name!r} needs 'hard': true or false")
    return [c.to_dict() for c in criteria]


def parse_checklist(text: Any) -> tuple[list[dict] | None, str | None]:
    """``(criteria, None)`` from a generator's reply (JSON alone, fenced or in prose), or
    ``(None, reason)`` when it holds no valid checklist (:func:`validate_checklist`); never raises."""
    if not isinstance(text, str) or not text.strip():
        return None, "empty reply"
    objs = [o for o in json_objects(text) if isinstance(o.get("criteria"), list)]
    if not objs:
        return None, "no JSON object with a 'criteria' list"
    try:
        return validate_checklist(objs[0]["criteria"], "checklist"), None
    except ValueError as exc:
        return None, str(exc).removeprefix("checklist: ")


@dataclass
class Checklists:
    """The outcome of :func:`generate_checklists`: criteria by request key, and what happened.

    ``failed`` lists ``{"id", "key", "reason"}`` per request without a usable checklist;
    ``generated`` / ``cached`` / ``edited`` count requests answered now, found in the store, and
    taken from a person's edit of the review file.
    """

    by_key: dict[str, list[dict]]
    failed: list[dict] = field(default_factory=list)
    generated: int = 0
    cached: int = 0
    edited: int = 0
    store: Path | None = None
    review: Path | None = None

    def summary(self) -> dict[str, Any]:
        """The manifest's ``checklists`` entry (counts, files, every failure)."""
        return {
            "ok": len(self.by_key),
            "generated": self.generated,
            "cached": self.cached,
            "edited": self.edited,
            "failed": list(self.failed),
            "store": str(self.store) if self.store else None,
            "review": str(self.review) if self.review else None,
            "prompt_version": GENERATION_PROMPT_VERSION,
        }


def _read_store(path: Path) -> dict[str, dict]:
    from rollout.jsonl import read_jsonl

    if not path.exists():
        return {}
    out: dict[str, dict] = {}
    for line, rec in read_jsonl(path).records:
        try:
            out[str(rec["key"])] = {**rec, "criteria": validate_checklist(rec["criteria"], f"{path}:{line}")}
        except (KeyError, TypeError, ValueError) as exc:  # a stored line we cannot use: asked again
            log.warning("%s:%d: stored checklist unusable, asking again: %s", path, line, exc)
    return out


def _read_review(path: Path) -> dict[str, list[dict]]:
    """Key -> criteria from a (possibly edited) review file; a bad entry is a ValueError naming it."""
    import yaml

    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise ValueError(f"{path}: the review file is a list of entries (id, key, request, criteria)")
    out: dict[str, list[dict]] = {}
    for k, entry in enumerate(data, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise ValueError(f"{path}: entry {k} needs a 'key' (the request's hash)")
        criteria = entry.get("criteria")
        if criteria in (None, []):
            continue  # no checklist yet (a failed request nobody filled in)
        out[entry["key"]] = validate_checklist(criteria, f"{path}: entry {k} (id {entry.get('id')!r})")
    return out


def _write_review(
    path: Path, requests: Sequence[tuple[str, str]], by_key: dict[str, list[dict]], failed: dict
) -> None:
    import yaml

    entries = []
    for rid, request in requests:
        key = prompt_key(request)
        entry: dict[str, Any] = {"id": rid, "key": key, "request": request}
        if key in failed:
            entry["failed"] = failed[key]
        entry["criteria"] = by_key.get(key, [])
        entries.append(entry)
    header = (
        "# Checklists of the prepared requests (longwrite prepare-rl --checklists). Edit the criteria\n"
        "# (3-7 each: name, description, hard true/false, bands 1-2 .. 9-10) or fill in a failed one;\n"
        "# the next prepare-rl run validates and uses them. 'request' is for reading only.\n"
    )
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        header + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8"
    )
    tmp.replace(path)


def generate_checklists(
    requests: Sequence[tuple[str, str]],
    client: Any,
    out_dir: str | Path,
    *,
    attempts: int = 3,
    max_tokens: int = 2048,
    progress: bool = False,
) -> Checklists:
    """The checklist of every ``(id, request)``: from the review file (a person's edit), else the
    store, else generated now at ``client`` (an :class:`rollout.endpoint.EndpointClient`), each
    appended to the store as it settles. Writes the review file. Never raises for a request whose
    generation fails: it is listed in :attr:`Checklists.failed` with the reason."""
    from rewards.judging import ask_judge
    from rollout.endpoint import run_sync
    from rollout.jsonl import append_records

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    store_path, review_path = out_dir / STORE_FILE, out_dir / REVIEW_FILE
    stored = _read_store(store_path)
    reviewed = _read_review(review_path)
    result = Checklists({}, store=store_path, review=review_path)
    todo: dict[str, tuple[str, str]] = {}
    for rid, request in requests:
        key = prompt_key(request)
        if key in result.by_key or key in todo:
            continue
        if key in reviewed:
            result.by_key[key] = reviewed[key]
            same = key in stored and stored[key]["criteria"] == reviewed[key]
            result.edited += 0 if same else 1
            result.cached += 1 if same else 0
        elif key in stored:
            result.by_key[key] = stored[key]["criteria"]
            result.cached += 1
        else:
            todo[key] = (rid, request)

    model = getattr(client, "model", "?")

    def keep(outcome: Any) -> None:
        if outcome.value is None:
            return
        rid, _ = todo[outcome.id]
        rec = {
            "key": outcome.id,
            "id": rid,
            "model": model,
            "prompt_version": GENERATION_PROMPT_VERSION,
            "criteria": outcome.value,
        }
        append_records(store_path, [rec])

    failed: dict[str, str] = {}
    if todo:
        calls = [
            (key, fill_template(GENERATION_PROMPT, {"{{request}}": request}))
            for key, (_, request) in todo.items()
        ]

        async def main() -> list[Any]:
            try:
                return await ask_judge(
                    client,
                    calls,
                    parse_checklist,
                    lambda reason: _CORRECTION.format(reason=reason),
                    max_attempts=attempts,
                    params={"temperature": 0.0, "max_tokens": max_tokens},
                    progress="checklists" if progress else False,
                    on_settled=keep,
                )
            finally:
                await client.aclose()

        for outcome in run_sync(main()):
            if outcome.value is None:
                failed[outcome.id] = outcome.error or "no checklist"
                rid, _ = todo[outcome.id]
                result.failed.append({"id": rid, "key": outcome.id, "reason": failed[outcome.id]})
                log.warning("checklist of request %s not made: %s", rid, failed[outcome.id])
            else:
                result.by_key[outcome.id] = outcome.value
                result.generated += 1
    _write_review(review_path, requests, result.by_key, failed)
    return result
