"""Continued pre-training (LongWriter-Zero's stage before RL) on verl's SFT engine: ``longwrite cpt``.

A CPT preset (``configs/cpt/<name>.yaml``) is an SFT preset (``description``, ``launch``,
``verl``: see :mod:`sft_baseline.train`) plus a ``cpt`` section:

* ``sources``: the weighted source list, ``[{path, weight}, ...]`` (``--data PATH[:WEIGHT]`` on
  the command line replaces it; a weight left out is 1);
* ``tokens``: the token budget of the mix (null: each source at its share, the most constrained
  one used exactly once; see :mod:`sft_baseline.cpt_data`);
* ``shard_tokens``, ``append_eos``, ``seed``: tokenisation and sampling.

``cpt.KEY=VALUE`` overrides set that section; every other ``key=value`` goes to verl's SFT config.
The sequence length of the packs is verl's ``data.max_length``.

:func:`run_cpt` composes and checks everything first (a value still holding an ``UNKNOWN: ...``
or ``REQUIRED: ...`` placeholder - the unpublished settings of the 32B preset - is refused with
the override to give), tokenises each source into ``OUT/tokens/`` (reused and resumable,
:mod:`sft_baseline.cpt_corpus`), writes the mix into ``OUT/data/`` (``packs.parquet``,
``plan.json``), runs verl's SFT trainer with :class:`sft_baseline.cpt_data.CPTDataset` into
``OUT/run/``, exports the last checkpoint as a Hugging Face folder ``OUT/hf/`` (verl's model
merger) and writes ``OUT/cpt.json`` (sources, realised mix, bad rows, losses, the export).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = [
    "PRESET_DIR",
    "PLACEHOLDER_PREFIXES",
    "list_cpt_presets",
    "load_cpt_preset",
    "parse_data_arg",
    "CPTPlan",
    "build_cpt_plan",
    "prepare_cpt_data",
    "format_mix",
    "run_cpt",
    "cpt_job_entrypoint",
    "cpt_preset_gpus",
]

PRESET_DIR = Path(__file__).resolve().parents[1] / "configs" / "cpt"
#: A string value starting with one of these is a placeholder a run refuses.
PLACEHOLDER_PREFIXES = ("UNKNOWN", "REQUIRED")
CPT_DEFAULTS: dict[str, Any] = {
    "sources": [],
    "tokens": None,
    "shard_tokens": 64 * 1024 * 1024,
    "append_eos": True,
    "seed": 0,
}
DATASET_OVERRIDES = ("data.custom_cls.path=pkg://sft_baseline.cpt_data", "data.custom_cls.name=CPTDataset")


def list_cpt_presets() -> list[str]:
    """Names of the shipped CPT presets (``configs/cpt/*.yaml``)."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_cpt_preset(name: str | Path) -> dict[str, Any]:
    """A CPT preset by name (``configs/cpt/NAME.yaml``) or path: an SFT preset dict with ``cpt``.

    Unknown ``cpt`` keys are refused (listing the valid ones).
    """

    path = Path(name)
    if not (path.suffix in (".yaml", ".yml") and path.exists()):
        path = PRESET_DIR / f"{name}.yaml"
    if not path.exists():
        raise ValueError(
            f"unknown CPT preset {str(name)!r}; choose one of {', '.join(list_cpt_presets())} or a yaml path"
        )
    from sft_baseline.train import load_preset

    preset = load_preset(path)
    cpt = preset.get("cpt") or {}
    unknown = set(cpt) - set(CPT_DEFAULTS)
    if unknown:
        raise ValueError(f"{path}: unknown cpt keys {sorted(unknown)}; valid: {sorted(CPT_DEFAULTS)}")
    preset["cpt"] = {**CPT_DEFAULTS, **cpt}
    return preset


def parse_data_arg(text: str) -> dict[str, Any]:
    """``PATH`` or ``PATH:WEIGHT`` (a positive number) as ``{"path", "weight"}``; weight 1 by default."""
    path, sep, tail = text.rpartition(":")
    if sep and path:
        try:
            weight = float(tail)
        except ValueError:
            return {"path": text, "weight": 1.0}
        if not weight > 0:
            raise ValueError(f"--data {text}: the weight must be a positive number")
        return {"path": path, "weight": weight}
    return {"path": text, "weight": 1.0}


def _placeholders(value: Any, where: str) -> list[str]:
    if isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIXES):
        return [f"{where}: {value}"]
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _placeholders(v, f"{where}.{k}" if where else str(k))]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _placeholders(v, f"{where}[{i}]")]
    return []


@dataclass
class CPTPlan:
    """Everything a CPT run needs, composed and checked: no file has been written yet."""

    preset_path: str
    cpt: dict[str, Any]
    verl_overrides: list[str]
    cfg: Any  # verl's composed SFT config (omegaconf DictConfig)
    out: Path

    @property
    def packs_file(self) -> Path:
        """``data.train_files`` of the run."""
        return self.out / "data" / "packs.parquet"

    @property
    def run_dir(self) -> Path:
        """verl's ``trainer.default_local_dir``."""
        return Path(self.cfg.trainer.default_local_dir)


def build_cpt_plan(
    preset: str | Path,
    out: str | Path,
    data: Sequence[str] = (),
    overrides: Sequence[str] = (),
) -> CPTPlan:
    """Compose and check a CPT run (see the module doc); ValueError naming every problem.

    ``data``: ``PATH[:WEIGHT]`` strings replacing the preset's sources. ``overrides``:
    ``cpt.KEY=VALUE`` for the cpt section, anything else for verl's SFT config.
    """
    import yaml
    from omegaconf import OmegaConf

    from sft_baseline.train import compose_sft_config, validate_sft_config

    p = load_cpt_preset(preset)
    out = Path(out).resolve()
    cpt = dict(p["cpt"])
    verl_overrides: list[str] = []
    for text in overrides:
        key, sep, value = text.partition("=")
        if key.startswith("cpt."):
            name = key[len("cpt.") :]
            if not sep or name not in CPT_DEFAULTS or name == "sources":
                raise ValueError(
                    f"override {text!r}: cpt keys are {sorted(set(CPT_DEFAULTS) - {'sources'})} "
                    "(sources: --data PATH[:WEIGHT])"
                )
            cpt[name] = yaml.safe_load(value)
        else:
            verl_overrides.append(text)
    if data:
        cpt["sources"] = [parse_data_arg(d) for d in data]
    forced = [
        f"data.train_files={out / 'data' / 'packs.parquet'}",
        *DATASET_OVERRIDES,
        "data.pad_mode=no_padding",
    ]
    if not any(o.startswith("trainer.default_local_dir=") for o in verl_overrides):
        forced.append(f"trainer.default_local_dir={out / 'run'}")
    verl_overrides = [*verl_overrides, *forced]
    # Placeholders are looked for after the overrides: an override is how a user gives the value.
    cfg = compose_sft_config(p, verl_overrides)
    problems = _placeholders(cpt, "cpt") + _placeholders(OmegaConf.to_container(cfg), "")
    if problems:
        raise ValueError(
            f"CPT preset {p['_path']} has settings left to give (unpublished or site-specific); "
            "give each as an override (key=value; cpt sources as --data PATH[:WEIGHT]):\n"
            + "\n".join(problems)
        )
    if not cpt["sources"]:
        raise ValueError(
            "no CPT sources: give --data PATH[:WEIGHT] (repeatable) or cpt.sources in the preset"
        )
    for s in cpt["sources"]:
        if not isinstance(s, Mapping) or "path" not in s:
            raise ValueError(f"cpt.sources: each source needs a 'path' (got {s!r})")
        s.setdefault("weight", 1.0)
        if not (isinstance(s["weight"], int | float) and s["weight"] > 0):
            raise ValueError(f"cpt source {s['path']}: weight must be a positive number, got {s['weight']!r}")
    for key in ("shard_tokens",):
        if not (isinstance(cpt[key], int) and cpt[key] >= 1):
            raise ValueError(f"cpt.{key} must be a positive integer, got {cpt[key]!r}")
    if cpt["tokens"] is not None and not (isinstance(cpt["tokens"], int) and cpt["tokens"] >= 1):
        raise ValueError(f"cpt.tokens must be a positive integer or null, got {cpt['tokens']!r}")
    if cfg.data.pad_mode != "no_padding":
        raise ValueError("CPT packs need data.pad_mode=no_padding")
    if cfg.data.use_dynamic_bsz and cfg.data.max_token_len_per_gpu < cfg.data.max_length:
        raise ValueError(
            f"data.max_token_len_per_gpu ({cfg.data.max_token_len_per_gpu}) must hold one pack of "
            f"data.max_length ({cfg.data.max_length}) tokens"
        )
    validate_sft_config(cfg)
    return CPTPlan(p["_path"], cpt, verl_overrides, cfg, out)


def _token_dir(out: Path, source: str) -> Path:
    resolved = str(Path(source).resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:10]
    return out / "tokens" / f"{Path(resolved).stem}-{digest}"


def prepare_cpt_data(plan: CPTPlan, tokenizer=None) -> dict[str, Any]:
    """Tokenise every source (reused / resumed) and write the packs; return the plan summary.

    ``tokenizer`` defaults to the model's (``model.path``). The summary (``OUT/data/plan.json``)
    carries the realised mix and, per source, its bad rows (``FILE:LINE: reason``).
    """
    from sft_baseline.cpt_corpus import ShardReader, tokenize_source
    from sft_baseline.cpt_data import plan_packs, write_plan

    if tokenizer is None:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(plan.cfg.model.path)
    readers = []
    for s in plan.cpt["sources"]:
        folder = _token_dir(plan.out, s["path"])
        tokenize_source(
            s["path"],
            folder,
            tokenizer,
            shard_tokens=plan.cpt["shard_tokens"],
            append_eos=plan.cpt["append_eos"],
        )
        readers.append(ShardReader(folder))
    packs, summary = plan_packs(
        readers,
        [s["weight"] for s in plan.cpt["sources"]],
        int(plan.cfg.data.max_length),
        tokens=plan.cpt["tokens"],
        seed=int(plan.cpt["seed"]),
    )
    for stat, reader in zip(summary["sources"], readers, strict=True):
        stat["bad_row_list"] = list(reader.manifest["bad_rows"])
    write_plan(packs, summary, plan.packs_file.parent)
    return summary


def format_mix(summary: Mapping[str, Any]) -> str:
    """The realised mix as a few lines (tokens, share asked and realised, splits, bad rows)."""
    lines = [
        f"{summary['packs']} packs of <= {summary['seq_len']} tokens ({summary['fill']:.1%} full), "
        f"{summary['tokens']} tokens, {summary['loss_tokens']} scored ({summary['segments']} segment starts masked)"
    ]
    for s in summary["sources"]:
        lines.append(
            f"  {s['source']}: {s['tokens']} tokens, share asked {s['share_asked']:.3f} realised "
            f"{s['share_realised']:.3f}, {s['documents']} documents ({s['passes']} passes), "
            f"{s['documents_split']} split into chunks, {s['bad_rows']} bad rows"
        )
        for row in s.get("bad_row_list", [])[:20]:
            lines.append(f"    bad row: {row}")
    return "\n".join(lines)


def run_cpt(
    plan: CPTPlan,
    *,
    nproc_per_node: int | None = None,
    timeout: float | None = None,
    export: bool = True,
) -> dict[str, Any]:
    """Run a composed CPT plan end to end (module doc); return what ``OUT/cpt.json`` holds.

    ``nproc_per_node`` overrides the preset's processes per node; ``export=False`` skips the
    Hugging Face export (``hf`` is then null).
    """
    from sft_baseline.train import launch, read_metrics

    summary = prepare_cpt_data(plan)
    log.info("CPT mix:\n%s", format_mix(summary))
    run_dir = launch(plan.preset_path, plan.verl_overrides, nproc_per_node=nproc_per_node, timeout=timeout)
    losses = [m["data"]["train/loss"] for m in read_metrics(run_dir) if "train/loss" in m["data"]]
    meta: dict[str, Any] = {
        "preset": plan.preset_path,
        "cpt": plan.cpt,
        "model": str(plan.cfg.model.path),
        "mix": summary,
        "run_dir": str(run_dir),
        "steps": len(losses),
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "hf": None,
    }
    if export:
        from rollout.checkpoint import export_checkpoint

        meta["hf"] = str(export_checkpoint(run_dir, plan.out / "hf"))
    (plan.out / "cpt.json").write_text(
        json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return meta


def cpt_preset_gpus(preset: str) -> int:
    """Processes per node (one per GPU) a CPT preset launches: its ``launch.nproc_per_node``."""
    return int(load_cpt_preset(preset)["launch"].get("nproc_per_node", 1))


def cpt_job_entrypoint(
    preset: str,
    data: Sequence[str],
    out: str,
    overrides: Sequence[str] = (),
    python: str = "python",
    nproc_per_node: int | None = None,
) -> str:
    """The shell command of a CPT Ray job: ``longwrite cpt`` on the node that takes it.

    Only a command line: the job composes and checks the preset itself (a placeholder or a bad
    key fails at the job's start; ``longwrite submit --cpt --dry-run`` checks it here first).
    """
    argv = [python, "-m", "longwrite.cli", "cpt", "--preset", preset, "--out", out]
    for d in data:
        argv += ["--data", d]
    if nproc_per_node:
        argv.append(f"--nproc-per-node={nproc_per_node}")
    return shlex.join([*argv, *overrides])
