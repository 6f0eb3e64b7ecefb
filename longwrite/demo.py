"""``make demo`` / ``longwrite demo``: SFT baseline -> GRPO -> export -> evaluation -> one report.

The whole story on a CPU host, with the same code paths users run on GPUs:

1. build or reuse the tiny writer (:func:`sft_baseline.writer.tiny_writer_path`: the tiny
   random Qwen2 taught plan-then-write by verl's SFT trainer) - the SFT baseline;
2. GRPO from it (``tiny-cpu`` preset, verl's V1 trainer, our rewards and trainer mode) on
   bundled prompts whose targets ask for more than it writes (:mod:`longwrite.learning`);
   prints the per-step reward table;
3. export the last RL checkpoint to a Hugging Face folder (verl's model merger);
4. evaluate the tiny base model, the SFT writer and the RL checkpoint on the LongBench-Write items
   within the tiny models' reach (required length <= ``--max-required`` words) plus
   LongWrite-Ruler's shortest items, S_l only unless a judge endpoint is given (S_q then shows
   "not judged", never 0);
5. one comparative report (``longwrite report``) and the verdict: RL against the SFT writer on
   LongBench-Write S_l over the same items (the runs' scored item ids must be identical, else
   no comparison), with the reward-hacking monitors (distinct-1, compression) beside the gain.

Exit status: 0 only when every stage ran and RL beats the SFT writer; 1 (one line on stderr
saying why) when it does not or the runs scored different items; 2 for a bad option, found
before any work starts. Each stage prints one line of ours; verl's, vLLM's and Ray's output goes
to ``<out>/logs/`` (the path is printed; a failing stage's tail is shown); ``--verbose`` streams it.

Data: ``--data DIR`` (a folder with longbench_write.jsonl and longwrite_ruler.jsonl); else the
cache ``longwrite data get longbench-write`` / ``longwrite data get ruler`` fill (what
``longwrite eval`` reads without --data); else ``../shared/data/longbench-write`` beside the
repository; else a clear error naming ``longwrite data get``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rl.local_run import print_tail

if TYPE_CHECKING:
    from longwrite.learning import LearningRun

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "longbench-write"

COLUMNS = (
    ("step", "step", "{:>4}"),
    ("longwriter/reward/length/mean", "length", "{:>7.3f}"),
    ("longwriter/reward/quality/mean", "quality", "{:>7.3f}"),
    ("longwriter/reward/format/mean", "format", "{:>7.3f}"),
    ("longwriter/reward/score/mean", "score", "{:>7.3f}"),
    ("longwriter/advantage/std", "adv std", "{:>7.3f}"),
    ("longwriter/groups/zero_var_ratio", "0-var", "{:>6.2f}"),
    ("longwriter/length/answer/p50", "ans p50", "{:>7.0f}"),
    ("longwriter/length/answer/p90", "ans p90", "{:>7.0f}"),
    ("longwriter/truncated_ratio", "trunc", "{:>6.2f}"),
    ("longwriter/well_formed_ratio", "formed", "{:>6.2f}"),
    ("timing_s/step", "step s", "{:>7.1f}"),
)


def format_table(rows: Sequence[dict]) -> str:
    """One line per logged step with the reward components and our trainer mode's statistics."""

    def width(fmt: str) -> int:
        return len(fmt.format(0)) if "f" in fmt else 4

    lines = [" ".join(f"{label:>{width(fmt)}}" for _, label, fmt in COLUMNS)]
    for row in rows:
        cells = []
        for key, _label, fmt in COLUMNS:
            value = row.get(key)
            cells.append(fmt.format(value) if isinstance(value, (int, float)) else f"{'-':>{width(fmt)}}")
        lines.append(" ".join(cells))
    return "\n".join(lines)


def resolve_data(data: str | Path | None) -> tuple[Path, Path]:
    """The demo's two data files: (longbench_write.jsonl, longwrite_ruler.jsonl).

    ``data`` (a folder holding both) when given; else the cache ``longwrite data get`` fills (the
    files ``longwrite eval`` reads without --data, checked against their sha256); else the shared
    folder beside the repository. Raises FileNotFoundError naming ``longwrite data get`` when
    neither holds them, before any work starts.
    """
    if data:
        path = Path(data)
        files = (path / "longbench_write.jsonl", path / "longwrite_ruler.jsonl")
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise FileNotFoundError(
                f"--data {path} lacks {' and '.join(missing)}; fetch the data with "
                "`longwrite data get longbench-write` and `longwrite data get ruler` and leave out --data"
            )
        return files
    from eval.benchdata import data_dir
    from eval.benchdata import resolve_data as cached

    try:
        return cached(None, "longbench-write"), cached(None, "ruler")
    except FileNotFoundError:
        shared = (DEFAULT_DATA / "longbench_write.jsonl", DEFAULT_DATA / "longwrite_ruler.jsonl")
        if all(f.is_file() for f in shared):
            return shared
        raise FileNotFoundError(
            f"no LongBench-Write data: neither the cache {data_dir()} nor {DEFAULT_DATA} holds "
            "longbench_write.jsonl and longwrite_ruler.jsonl; run `longwrite data get longbench-write` "
            "and `longwrite data get ruler` (or pass --data DIR)"
        ) from None


def _subset(src: Path, dst: Path, max_required: int, limit: int | None = None) -> int:
    """Copy the rows of ``src`` whose required ``length`` <= ``max_required`` to ``dst``; return the count."""
    from rollout.jsonl import read_jsonl

    rows = [rec for _, rec in read_jsonl(src).records if int(rec["length"]) <= max_required]
    rows = rows[:limit] if limit else rows
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


def export_latest(run_dir: Path, out: Path) -> Path:
    """The run's latest verl checkpoint as a Hugging Face folder (``rollout.checkpoint``, verl's merger)."""
    from rollout.checkpoint import export_checkpoint

    return Path(export_checkpoint(run_dir / "checkpoints", out))


@dataclass(frozen=True)
class Options:
    """The demo's checked options (see :func:`check_options`)."""

    out: Path
    lbw: Path
    ruler: Path
    steps: int
    max_required: int
    ruler_items: int
    max_tokens: int
    judge: tuple[str, ...]
    verbose: bool
    dpo: bool = False  # DEMO_ARGS=--dpo: DPO from the writer beside GRPO, evaluated with the rest


def check_options(
    out: str | Path | None = None,
    data: str | Path | None = None,
    steps: int | None = None,
    max_required: int = 300,
    ruler_items: int = 8,
    max_tokens: int = 512,
    judge_endpoint: str | None = None,
    judge_model: str | None = None,
    verbose: bool = False,
    dpo: bool = False,
) -> Options:
    """Every option checked before any work starts; ValueError / FileNotFoundError with the reason.

    A judge needs both ``judge_endpoint`` and ``judge_model`` (one without the other is refused
    here, not after training); the data must resolve (:func:`resolve_data`); counts are >= 1.
    """
    from longwrite.learning import DEFAULT_STEPS

    steps = DEFAULT_STEPS if steps is None else steps
    for name, value in (("steps", steps), ("max-required", max_required), ("ruler-items", ruler_items),
                        ("max-tokens", max_tokens)):  # fmt: skip
        if value < 1:
            raise ValueError(f"--{name} must be >= 1, got {value}")
    if bool(judge_endpoint) != bool(judge_model):
        given, lacking = (
            ("--judge-endpoint", "--judge-model") if judge_endpoint else ("--judge-model", "--judge-endpoint")
        )
        raise ValueError(f"{given} needs {lacking} too (the judge scores S_q; leave both out for S_l only)")
    judge = ("--judge-endpoint", judge_endpoint, "--judge-model", judge_model) if judge_endpoint else ()
    lbw, ruler = resolve_data(data)
    out_dir = Path(out or REPO / "outputs" / "demo").resolve()
    return Options(out_dir, lbw, ruler, steps, max_required, ruler_items, max_tokens, judge, verbose, dpo)  # type: ignore[arg-type]


def run(opts: Options) -> int:
    """The whole demo; 0 only when every stage ran and RL beats the SFT writer on the same items.

    Stages print one line each; their full output (verl, vLLM, Ray) goes to a log file in the
    output folder, whose tail is printed when a stage fails (``opts.verbose`` streams it instead).
    """
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rl.local_run import filter_verl_warnings
    from sft_baseline.writer import tiny_writer_path

    filter_verl_warnings()
    t0 = time.monotonic()
    out = opts.out
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    print("[1/5] the SFT baseline: tiny writer (built once per machine, then reused) ...", flush=True)
    with stage("writer", logs / "writer.log", opts.verbose, timings, progress=sft_progress):
        writer = tiny_writer_path(0)
    print(f"      {writer}")
    print(f"[2/5] GRPO from the writer, {opts.steps} steps (targets above what it writes) ...", flush=True)
    t = time.monotonic()
    rl = grpo(opts, writer, progress=not opts.verbose, echo=opts.verbose)
    timings["grpo"] = time.monotonic() - t
    print()
    print(format_table(rl.rows) if rl.rows else "(no steps were logged)")
    print(f"\n      rewards in [0, 1]; lengths in words / Chinese characters; log: {rl.log_file}")
    if rl.returncode != 0:
        if rl.log_file is not None and not opts.verbose:
            print_tail(rl.log_file)
        print(f"demo failed: GRPO exited {rl.returncode}; log: {rl.log_file}", file=sys.stderr)
        return rl.returncode or 1
    extra = {}
    if opts.dpo:
        print("[2+/5] DPO from the writer on its own length-scored pairs (--dpo) ...", flush=True)
        with stage("dpo", logs / "dpo.log", opts.verbose, timings):
            extra["dpo"], summary = dpo_stage(opts, out / "dpo")
        print(f"      {extra['dpo']}\n      {summary}")
    return evaluate_and_compare(opts, writer, rl, timings, t0, extra_models=extra)


def dpo_stage(opts: Options, out: Path) -> tuple[Path, str]:
    """``--dpo``: pairs from the writer (``longwrite pairs``, length + format scored), ``longwrite dpo``
    with the ``tiny-cpu`` preset, and its own paired check against the writer
    (:func:`longwrite.dpo_learning.run_dpo_learning`); returns the DPO model folder, which the demo
    then evaluates and reports beside base, SFT and RL on the same items, and a one-line summary."""
    from longwrite.dpo_learning import run_dpo_learning

    res = run_dpo_learning(out, opts.lbw, max_required=opts.max_required, max_tokens=opts.max_tokens)
    s = res.stats
    summary = (
        f"DPO vs the SFT writer, paired over {len(res.s_l['dpo'])} items: S_l {res.overall['dpo']:.1f} vs "
        f"{res.overall['sft-writer']:.1f}; better on {s.wins}, worse on {s.losses}, tied {s.ties} "
        f"(sign test p {s.sign_p:.3g}); mean difference {s.mean_diff:+.1f} [{s.ci_low:+.1f}, {s.ci_high:+.1f}]"
    )
    return out / "dpo" / "final", summary


def grpo(opts: Options, writer: Path, **io: Any) -> LearningRun:
    """The demo's GRPO run: :func:`longwrite.learning.run_learning`'s ``long`` direction from the
    writer for ``opts.steps`` steps into ``opts.out/rl`` (``io``: ``progress`` / ``echo``).

    The slow tests share this very run (``tests/helpers/grpo_long.py``): the learning test's
    ``long`` case and the demo-path test.
    """
    from longwrite.learning import run_learning

    return run_learning("long", opts.out / "rl", steps=opts.steps, model=writer, **io)


def evaluate_and_compare(
    opts: Options,
    writer: Path,
    rl: LearningRun,
    timings: dict[str, float] | None = None,
    t0: float | None = None,
    extra_models: dict[str, Path] | None = None,
) -> int:
    """Stages 3-5 after a finished GRPO run ``rl``: export, evaluate base / SFT / RL (and
    ``extra_models``, e.g. ``{"dpo": folder}``) on the same items, report, and the verdict; 0 only
    when RL beats the SFT writer on those items."""
    from rollout.tiny import tiny_model_path

    t0 = time.monotonic() if t0 is None else t0
    timings = {} if timings is None else timings
    out = opts.out
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    print("[3/5] export the last RL checkpoint ...", flush=True)
    with stage("export", logs / "export.log", opts.verbose, timings):
        rl_model = export_latest(rl.output_dir, out / "rl-export")
    print(f"      {rl_model}")

    print("[4/5] evaluate base, SFT and RL with LongBench-Write (S_l) and LongWrite-Ruler ...", flush=True)
    lbw = out / "eval-data" / "longbench_write.jsonl"
    ruler = out / "eval-data" / "longwrite_ruler.jsonl"
    n_lbw = _subset(opts.lbw, lbw, opts.max_required)
    n_ruler = _subset(opts.ruler, ruler, 10**9, opts.ruler_items)
    print(f"      {n_lbw} LongBench-Write items with required length <= {opts.max_required} "
          f"(from {opts.lbw}); {n_ruler} Ruler items")  # fmt: skip
    judge_args = list(opts.judge) or ["--no-judge"]
    runs = []
    models = [
        ("tiny-base", tiny_model_path(0)),
        ("sft-writer", writer),
        *(extra_models or {}).items(),
        ("rl", rl_model),
    ]
    for name, model in models:
        common = ["--model", str(model), "--name", name, "--max-model-len", "1024",
                  "--max-tokens", str(opts.max_tokens), "--temperature", "0.8", "--no-progress"]  # fmt: skip
        d = out / "eval" / name
        for bench, data, extra in (("longbench-write", lbw, judge_args), ("ruler", ruler, [])):
            sub = "lbw" if bench == "longbench-write" else "ruler"
            argv = ["eval", bench, *common, "--data", str(data), "--out", str(d / sub), *extra]
            rc = cli_stage(f"eval {name} {sub}", argv, logs / f"eval-{name}-{sub}.log", opts.verbose, timings)
            if rc:
                return rc
            runs.append(str(d / sub))

    print("[5/5] one comparative report ...", flush=True)
    rc = cli_stage("report", ["report", *runs, str(rl.output_dir), "--out", str(out / "report")],
                   logs / "report.log", opts.verbose, timings)  # fmt: skip
    if rc:
        return rc
    print()
    verdict = compare_runs({name: out / "eval" / name / "lbw" for name in ("tiny-base", "sft-writer", "rl")})
    print(verdict.text)
    for name in extra_models or {}:  # reported beside RL; the demo's verdict stays RL vs SFT
        extra_score, _ = _scored(out / "eval" / name / "lbw")
        sft_score, _ = _scored(out / "eval" / "sft-writer" / "lbw")
        print(f"  {name}: S_l {extra_score} on the same items (SFT writer {sft_score})")
    print("\nstage times: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    print(
        f"demo done in {time.monotonic() - t0:.0f} s; report: {out / 'report' / 'report.html'}; logs: {logs}"
    )
    if not verdict.ok:
        print(f"demo failed: {verdict.reason}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# stages: one line of ours each; the full output in a log file
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def captured(log: Path, verbose: bool = False) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2, so C extensions and child
    processes too) to ``log`` for the block; ``verbose`` leaves them on the terminal."""
    if verbose:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "ab", buffering=0) as f, open(log, "a", encoding="utf-8", buffering=1) as text:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
        try:  # sys.stdout/err too: they need not write to fds 1/2 (e.g. replaced by a wrapper)
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


_SFT_BAR = re.compile(r"Epoch (\d+)/(\d+):\s*\d+%\|[^|]*\|\s*(\d+)/(\d+) \[")


def sft_progress(chunk: str) -> tuple[int, int] | None:
    """(step, total steps) from a line of verl's SFT trainer progress bar, else None.

    The bar reads ``Epoch e/E:  45%|####  | n/N [...]`` (N steps an epoch): step (e-1)*N + n of E*N.
    """
    m = _SFT_BAR.search(chunk)
    if not m:
        return None
    epoch, epochs, n, per = map(int, m.groups())
    return (epoch - 1) * per + n, epochs * per


class _Watcher:
    """A thread that reads a growing log, and prints ``name: step n/N, elapsed`` to ``fd`` each
    time ``parse`` reports another tenth of the stage done (a long stage's one line of ours)."""

    def __init__(self, name: str, log: Path, parse, fd: int, interval: float = 2.0) -> None:
        self.name, self.log, self.parse, self.fd, self.interval = name, log, parse, fd, interval
        self.stop = threading.Event()
        self.start = time.monotonic()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        offset, shown, tail = 0, -1, ""
        while not self.stop.wait(self.interval):
            try:
                with open(self.log, "rb") as f:
                    f.seek(offset)
                    data = f.read()
            except OSError:
                continue
            offset += len(data)
            chunks = re.split(r"[\r\n]", tail + data.decode("utf-8", errors="replace"))
            tail = chunks.pop()
            found = [p for p in map(self.parse, [*chunks, tail]) if p]  # a bar's last state: no \r yet
            if not found:
                continue
            step, total = found[-1]
            tenth = step * 10 // max(total, 1)
            if tenth > shown:
                shown = tenth
                line = f"      {self.name}: step {step}/{total}, {(time.monotonic() - self.start) / 60:.1f} min\n"
                os.write(self.fd, line.encode())

    def close(self) -> None:
        """Stop the thread (it prints nothing more)."""
        self.stop.set()
        self.thread.join(timeout=10)


@contextlib.contextmanager
def stage(name: str, log: Path, verbose: bool, timings: dict[str, float], progress=None) -> Iterator[None]:
    """Run a block as a named stage: its output to ``log``; one line with its seconds when done.

    ``progress`` (e.g. :func:`sft_progress`) parses the log's lines into (step, total): a line of
    ours then shows the stage's step every tenth of the way. On an exception the log's tail and
    path are printed, then the exception propagates.
    """
    t = time.monotonic()
    watcher = None
    if progress is not None and not verbose:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.touch()
        sys.stdout.flush()
        watcher = _Watcher(name, log, progress, os.dup(1))
    try:
        with captured(log, verbose):
            yield
    except BaseException:
        print_tail(log)
        print(f"      {name} failed; log: {log}", file=sys.stderr, flush=True)
        raise
    finally:
        if watcher is not None:
            watcher.close()
            os.close(watcher.fd)
    timings[name] = time.monotonic() - t
    print(f"      {name}: done in {timings[name]:.0f} s (log: {log})", flush=True)


def cli_stage(name: str, argv: Sequence[str], log: Path, verbose: bool, timings: dict[str, float]) -> int:
    """One ``longwrite`` command as a stage (see :func:`stage`); returns its exit code.

    A non-zero exit prints the log's tail and a one-line reason to stderr.
    """
    from longwrite.cli import main as cli

    with stage(name, log, verbose, timings):
        rc = cli(list(argv))
    if rc:
        print_tail(log)
        print(f"demo failed: {name} exited {rc}; log: {log}", file=sys.stderr, flush=True)
    return rc


# ---------------------------------------------------------------------------------------------
# the verdict: RL vs the SFT writer on the same items, with the monitors beside the length gain
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The demo's answer: ``ok`` when RL beats the SFT writer on the same items; ``text`` to print."""

    ok: bool
    reason: str
    text: str


def _scored(run: Path) -> tuple[float | None, set[str]]:
    """A LongBench-Write run's overall S_l and the ids of the items it scored (S_l not None)."""
    scores = json.loads((Path(run) / "scores.json").read_text(encoding="utf-8"))
    ids = {str(i["id"]) for i in scores.get("items", []) if i.get("S_l") is not None}
    return scores["overall"].get("S_l"), ids


def _monitors(run: Path) -> dict:
    """distinct-1 and compression of a run's answers (:func:`eval.scoring.prediction_monitors`)."""
    from eval.scoring import prediction_monitors
    from rollout.jsonl import latest_by_key

    return prediction_monitors(list(latest_by_key(Path(run) / "predictions.jsonl").values()))


def _monitor_line(sft: dict, rl: dict) -> str:
    """e.g. ``monitors: distinct-1 0.47 -> 0.27, compression 1.9 -> 2.6 (padding signs)``."""
    d = sft.get("distinct_1"), rl.get("distinct_1")
    c = sft.get("compression_ratio"), rl.get("compression_ratio")
    if None in d or None in c:
        return "monitors: not computable (a run has no measurable answers)"
    signs = []
    if d[1] < d[0]:
        signs.append("distinct-1 fell")
    if c[1] > c[0]:
        signs.append("compression rose")
    note = (
        "padding signs"
        if len(signs) == 2
        else (signs[0] + ": a padding sign" if signs else "no padding sign")
    )
    return f"monitors: distinct-1 {d[0]:.2f} -> {d[1]:.2f}, compression {c[0]:.1f} -> {c[1]:.1f} ({note})"


def compare_runs(runs: dict[str, Path]) -> Verdict:
    """RL (``rl``) against the SFT writer (``sft-writer``) on LongBench-Write S_l (0-100).

    Reads each run's ``scores.json``; the two runs must have scored the same item ids (else the
    comparison is refused: ``ok`` False, the reason names the differing ids). ``ok`` only when RL's
    S_l is higher. The verdict line carries the reward-hacking monitors of both runs' answers
    (distinct-1, compression), because a length gain bought by repetition is not a better writer.
    """
    scored = {name: _scored(d) for name, d in runs.items()}
    lines = ["LongBench-Write S_l (length score, 0-100) on the evaluated items:"]
    lines += [
        f"  {name:<11} {'-' if v is None else f'{v:.1f}'} ({len(ids)} items)"
        for name, (v, ids) in scored.items()
    ]
    (rl, rl_ids), (sft, sft_ids) = scored["rl"], scored["sft-writer"]
    if rl_ids != sft_ids:
        only_rl, only_sft = sorted(rl_ids - sft_ids), sorted(sft_ids - rl_ids)
        reason = (
            f"RL and the SFT writer scored different items ({len(rl_ids)} vs {len(sft_ids)}; only RL: "
            f"{only_rl[:5]}, only SFT: {only_sft[:5]}): no comparison (see the runs' failures)"
        )
        return Verdict(False, reason, "\n".join([*lines, f"  {reason}"]))
    if rl is None or sft is None:
        reason = "RL vs SFT not comparable: a run has no S_l (no item generated; see its failures)"
        return Verdict(False, reason, "\n".join([*lines, f"  {reason}"]))
    monitors = _monitor_line(_monitors(runs["sft-writer"]), _monitors(runs["rl"]))
    verb = "beats" if rl > sft else "does NOT beat"
    verdict = f"RL {verb} the SFT writer on length: {rl:.1f} vs {sft:.1f} ({rl - sft:+.1f}); {monitors}"
    lines.append(f"  {verdict}")
    return Verdict(rl > sft, verdict, "\n".join(lines))


def _cmd(args: argparse.Namespace) -> int:
    try:
        opts = check_options(args.out, args.data, args.steps, args.max_required, args.ruler_items,
                             args.max_tokens, args.judge_endpoint, args.judge_model, args.verbose,
                             args.dpo)  # fmt: skip
    except (ValueError, FileNotFoundError) as exc:
        print(f"longwrite demo: {exc}", file=sys.stderr)
        return 2
    if not opts.verbose:  # no nanobind leak report at exit (longwrite.quiet_exit); --verbose keeps it
        from longwrite.quiet_exit import end_quietly_at_exit, set_exit_code

        end_quietly_at_exit()  # before vLLM is imported: its atexit handlers run first
        rc = run(opts)
        set_exit_code(rc)
        return rc
    return run(opts)


def register(subparsers) -> None:
    """Add ``longwrite demo``."""
    p = subparsers.add_parser(
        "demo",
        help="the whole story on this machine: SFT writer -> GRPO -> export -> eval -> report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--data", default=None, help="LongBench-Write folder (default: ../shared/data/longbench-write)"
    )
    p.add_argument("--out", default=None, help="output folder (default: outputs/demo)")
    from longwrite.learning import DEFAULT_STEPS
    from rollout.cli import positive_int

    p.add_argument(
        "--steps", type=positive_int, default=DEFAULT_STEPS, help=f"GRPO steps (default: {DEFAULT_STEPS})"
    )
    p.add_argument(
        "--max-required", type=positive_int, default=300, help="LongBench-Write items up to this length"
    )
    p.add_argument(
        "--ruler-items", type=positive_int, default=8, help="LongWrite-Ruler items (the shortest first)"
    )
    p.add_argument(
        "--max-tokens", type=positive_int, default=512, help="tokens per evaluated answer (default: 512)"
    )
    p.add_argument("--judge-endpoint", default=None, help="OpenAI-compatible judge for S_q (default: none)")
    p.add_argument("--judge-model", default=None, help="judge model name (with --judge-endpoint)")
    p.add_argument(
        "--verbose", action="store_true", help="stream every stage's full output (default: a log file each)"
    )
    p.add_argument(
        "--dpo",
        action="store_true",
        help="also DPO from the writer on its own length-scored pairs (about 3 more minutes), evaluated "
        "and reported beside base, SFT and RL",
    )
    p.set_defaults(func=_cmd)


if __name__ == "__main__":
    from longwrite.cli import main

    sys.exit(main(["demo", *sys.argv[1:]]))
