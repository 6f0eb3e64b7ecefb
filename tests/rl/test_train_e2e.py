"""End to end: GRPO on the tiny preset through verl, as a Ray job and locally with resume.

Two verl runs in all (each a few minutes on 2 cores), sharing one run directory:

1. ``longwrite submit`` to a Ray head this test starts on 127.0.0.1 (free, non-default ports):
   2 steps, with a user reward (a module in a temporary folder outside the project, shipped with
   ``--py-module``) next to the built-ins; the job must end SUCCEEDED, our trainer mode's
   per-component metrics (the user's included) must be logged for both steps and the step-2
   checkpoint written. Before it, a job whose reward module cannot be imported must fail at its
   start (seconds, no verl) with the module's name.
2. ``longwrite train`` locally on the same directory with 4 steps and ``resume_mode=auto``, the
   user reward the only weighted one: it must load the step-2 checkpoint, log steps 3 and 4 only,
   and the advantage must come from the user's component.

And ``longwrite submit --sft``: the SFT baseline's trainer (torchrun inside the job's entrypoint)
as a Ray job on a head of the same kind, 2 steps.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

COMPONENTS = ("length", "quality", "format")
#: A user reward in a folder outside the project (written by the ``user_rewards`` fixture).
USER_REWARD = "lw_e2e_brevity:brevity"
USER_METRIC = "lw_e2e_brevity.brevity"  # rl.reward_source.metric_name: ":" -> "."
USER_MODULE = """
def brevity(prompt, response, metadata, target_words=20):
    '''1 / (1 + words / target_words): strictly falls with the response's length.'''
    return 1.0 / (1.0 + len(response.split()) / target_words)
"""


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="module")
def run_dir():
    path = Path(tempfile.mkdtemp(prefix="lw-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def data_dir(run_dir):
    import json

    from rl.prepare import prepare_rl_data
    from rl.prompt_budget import budget_from_preset

    out = run_dir / "data"
    budget = budget_from_preset("tiny-cpu")  # the tiny tokenizer, 512 prompt tokens
    data = prepare_rl_data(
        Path(__file__).resolve().parents[2] / "rl" / "data" / "prompts.jsonl", out, prompt_budget=budget
    )
    checked = json.loads(data.manifest.read_text())["prompt_tokens"]
    assert checked["dropped"] == [] and checked["longest_kept"] <= 512  # verl's filter drops nothing
    return out


@pytest.fixture(scope="module")
def user_rewards():
    """A good reward module and one that cannot be imported (its dependency does not exist).

    Beside the good one lies a stray ``yaml.py``: the run ships and imports ``lw_e2e_brevity.py``
    alone, so it never shadows PyYAML in verl's processes (if the folder were put on the path,
    verl's config loading would fail on it)."""
    folder = Path(tempfile.mkdtemp(prefix="lw-user-"))
    (folder / "lw_e2e_brevity.py").write_text(USER_MODULE)
    (folder / "yaml.py").write_text(
        "raise ImportError('a stray yaml.py beside the user module shadowed PyYAML')\n"
    )
    (folder / "broken").mkdir()
    (folder / "broken" / "lw_e2e_broken.py").write_text(
        "import lw_no_such_dependency_xyz\n\ndef score(prompt, response, metadata):\n    return 1.0\n"
    )
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def ray_head(tmp_path_factory, monkeypatch):
    """A Ray head on 127.0.0.1 with one logical GPU, in its own process group (killed after).

    Token authentication is off on this throwaway loopback cluster (head and client agree).
    """
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    gcs, dash, client, agent_grpc, agent_http, metrics, rtenv, node_mgr, obj_mgr = _free_ports(9)
    temp_dir = tempfile.mkdtemp(prefix="lwray", dir="/tmp")  # short: Ray's socket paths are limited
    ray_bin = str(Path(sys.executable).parent / "ray")
    cmd = [
        ray_bin, "start", "--head", "--block",
        "--node-ip-address=127.0.0.1", f"--port={gcs}",
        "--include-dashboard=true", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}",
        f"--ray-client-server-port={client}", f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--dashboard-agent-listen-port={agent_http}", f"--metrics-export-port={metrics}",
        f"--runtime-env-agent-port={rtenv}", f"--node-manager-port={node_mgr}",
        f"--object-manager-port={obj_mgr}",
        "--num-cpus=16", "--num-gpus=1", "--object-store-memory=300000000", f"--temp-dir={temp_dir}",
    ]  # fmt: skip
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    env["RAY_AUTH_MODE"] = "disabled"
    log = open(tmp_path_factory.mktemp("ray") / "head.log", "w")  # noqa: SIM115 - outlives the fixture body
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    address = f"http://127.0.0.1:{dash}"
    try:
        from ray.job_submission import JobSubmissionClient

        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"ray head exited early, see {log.name}"
            try:
                JobSubmissionClient(address).list_jobs()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        yield address
    finally:
        # SIGTERM lets `ray start --block` stop its daemons; SIGKILL then takes whatever is left
        # of this cluster's process group (never `ray stop`: it would stop other people's Ray).
        # (measured: `ray start --block` outlives 20 s of SIGTERM here, so waiting longer only costs)
        for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait_s)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _our_metrics(rows: list[dict]) -> dict[int, dict]:
    return {row["step"]: row for row in rows if any(k.startswith("longwriter/") for k in row)}


def test_submit_job_then_resume_locally(ray_head, run_dir, data_dir, user_rewards, tiny_model, capsys):
    from longwrite.cli import main
    from rl.metrics import latest_checkpoint_step, read_metrics

    # A reward module the cluster cannot import fails the job at its start, naming the module.
    start = time.monotonic()
    rc = main(
        [
            "submit", "--address", ray_head, "--preset", "tiny-cpu", "--python", sys.executable,
            "--data-dir", str(data_dir), "--output-dir", str(run_dir / "broken"), "--timeout", "300",
            "--py-module", str(user_rewards / "broken" / "lw_e2e_broken.py"), "rewards.lw_e2e_broken:score=1",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert rc == 1 and "ended FAILED" in logs, logs[-3000:]
    assert (
        "reward config check failed" in logs
        and "lw_e2e_broken" in logs
        and "lw_no_such_dependency_xyz" in logs
    )
    assert "verl.trainer.main_ppo" not in logs.split("reward config check failed")[1]  # verl never started
    assert time.monotonic() - start < 120

    # The user reward shipped with --py-module, next to the three built-ins.
    out = run_dir / "run"
    rc = main(
        [
            "submit", "--address", ray_head, "--preset", "tiny-cpu", "--python", sys.executable,
            "--data-dir", str(data_dir), "--output-dir", str(out), "--timeout", "900",
            "--py-module", str(user_rewards / "lw_e2e_brevity.py"),
            f"rewards.{USER_REWARD}=1", f"reward_options.{USER_REWARD}.target_words=10",
            "trainer.total_training_steps=2", "trainer.save_freq=2",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    assert rc == 0, "the Ray job did not end SUCCEEDED:\n" + logs[-3000:]
    ok_line = next(line for line in logs.splitlines() if "reward config OK" in line)
    assert "lw_e2e_brevity:brevity (weight 1) from " in ok_line
    assert str(user_rewards) not in ok_line  # imported on the cluster from the shipped copy

    # Our trainer mode ran: its per-component metrics are there for both steps.
    steps = _our_metrics(read_metrics(out))
    assert sorted(steps) == [1, 2]
    for row in steps.values():
        assert 0.0 < row[f"longwriter/reward/{USER_METRIC}/mean"] <= 1.0
        assert row[f"longwriter/reward/{USER_METRIC}/weight"] == 1.0
        assert row[f"longwriter/reward/{USER_METRIC}/missing_ratio"] == 0.0
        # Every component scored every sample, so the reward function's per-sample total (the
        # weighted mean of its components) averages to the weighted mean of the component means:
        # the total, the components and the weights reached the trainer consistently.
        names = (USER_METRIC, *COMPONENTS)
        assert all(row[f"longwriter/reward/{n}/missing_ratio"] == 0.0 for n in names)
        weights = {n: row[f"longwriter/reward/{n}/weight"] for n in names}
        assert weights == dict.fromkeys(names, 1.0)
        expected = sum(w * row[f"longwriter/reward/{n}/mean"] for n, w in weights.items()) / sum(
            weights.values()
        )
        assert row["longwriter/reward/score/mean"] == pytest.approx(expected, abs=1e-5)
        # The group statistics cannot say more groups are constant than each component alone.
        assert row["longwriter/groups/zero_var_ratio"] <= min(
            row[f"longwriter/groups/{n}/zero_var_ratio"] for n in names
        )
        for part in ("answer", "plan"):
            stats = [row[f"longwriter/length/{part}/{s}"] for s in ("p50", "p90", "max")]
            assert stats == sorted(stats) and row[f"longwriter/length/{part}/mean"] <= stats[-1]
        # The balanced advantage is centred per group: its batch mean is ~0.
        assert abs(row["longwriter/advantage/mean"]) < 1e-4
        assert row["longwriter/samples"] == 16  # 4 prompts x 4 samples, padding excluded
        assert row["longwriter/groups/count"] == 4  # one group per prompt, never merged or split
        # Advantages reached the samples: not all zero (a group with any spread gives some).
        assert row["longwriter/groups/zero_var_ratio"] < 1.0
        assert row["longwriter/advantage/abs_mean"] > 0.0
        assert row["longwriter/advantage/zero_ratio"] < 1.0
        # The truncation tag reached the metrics: 96-token responses from a random model rarely
        # stop by themselves, so some hit the budget (a missing tag used to read as 0 tokens).
        assert 0.0 < row["longwriter/response_tokens/mean"] <= 96
        assert row["longwriter/truncated_ratio"] > 0.0
        # Each reward's cuts flow from the reward function through verl to the step metrics: the
        # MiniLM quality reward records them (a random model's 96 tokens can decode to more than
        # MiniLM's 256 word pieces: 1 of 16 answers in a run here); length records none.
        assert 0.0 <= row["longwriter/reward/quality/cut_ratio"] <= 1.0
        assert "longwriter/reward/length/cut_ratio" not in row
        # The reward-hacking monitors ran on the decoded responses (rewards.monitors).
        assert row["longwriter/monitor/compression_ratio"] > 0.0
        assert 0.0 < row["longwriter/monitor/distinct_1"] <= 1.0
    assert latest_checkpoint_step(out / "checkpoints") == 2
    assert (out / "checkpoints" / "global_step_2" / "actor").is_dir()

    # Resume locally to 4 steps: the step counter continues from the checkpoint. Here the user
    # reward alone has a weight: the built-ins are computed and logged but left out, so a non-zero
    # advantage can only come from the user's component.
    capsys.readouterr()  # only the resume's own output is checked below
    rc = main(
        [
            "train", "--preset", "tiny-cpu", "--data-dir", str(data_dir), "--output-dir", str(out),
            "--timeout", "900", "--py-module", str(user_rewards / "lw_e2e_brevity.py"),
            f"rewards.{USER_REWARD}=1", "rewards.length=0", "rewards.quality=0", "rewards.format=0",
            "trainer.total_training_steps=4", "trainer.save_freq=2", "trainer.resume_mode=auto",
        ]
    )  # fmt: skip
    assert rc == 0
    # The default terminal: our lines only - where verl's output goes, then one line per step;
    # verl's own stream (its config dump, its per-step metrics lines) is in the log, not here.
    shown = capsys.readouterr().out
    assert "verl started (4 steps); its full output: " in shown, shown[-3000:]
    assert [ln.split(",")[0].strip() for ln in shown.splitlines() if ln.startswith("  step ")] == [
        "step 3/4",
        "step 4/4",
    ], shown[-3000:]
    assert "step:3 - " not in shown and "actor_rollout_ref" not in shown, shown[-3000:]
    rows = read_metrics(out)
    files = sorted({row["_file"] for row in rows})
    assert len(files) == 2, files  # one metrics file per launch
    resumed = _our_metrics([row for row in rows if row["_file"] == files[-1]])
    assert sorted(resumed) == [3, 4]  # continued, not restarted
    for row in resumed.values():
        assert row[f"longwriter/reward/{USER_METRIC}/weight"] == 1.0
        assert all(row[f"longwriter/reward/{name}/weight"] == 0.0 for name in COMPONENTS)
        assert 0.0 < row[f"longwriter/reward/{USER_METRIC}/mean"] <= 1.0
        assert row[f"longwriter/groups/{USER_METRIC}/zero_var_ratio"] < 1.0
        assert row["longwriter/advantage/abs_mean"] > 0.0  # from the user reward alone
        assert 0.0 < row["longwriter/response_tokens/mean"] <= 96
    log = sorted((out / "logs").glob("train-*.log"))[-1].read_text(errors="replace")
    assert "global_step_2" in log  # the checkpoint it loaded
    assert f"'{USER_REWARD}': 1.0" in log  # the trainer mode's weights (its start-up line)
    assert latest_checkpoint_step(out / "checkpoints") == 4
    assert (out / "checkpoints" / "global_step_4" / "actor").is_dir()
    _export_then_generate(out, tiny_model, run_dir, capsys)


def _export_then_generate(out: Path, tiny_model: Path, run_dir: Path, capsys) -> None:
    """`longwrite export` of the run folder takes its latest step (4, not 2) and writes the trained
    weights (tests/helpers/export_checks.py); `longwrite generate` takes the run folder directly."""
    import json

    from export_checks import check_export

    capsys.readouterr()
    export = check_export(out, out / "checkpoints" / "global_step_4", tiny_model, capsys)
    prompts = run_dir / "gen-prompts.jsonl"
    prompts.write_text(json.dumps({"id": "a", "prompt": "Write about rivers."}) + "\n")
    gen = run_dir / "gen.jsonl"
    args = [
        "--prompts",
        str(prompts),
        "--out",
        str(gen),
        "--n",
        "2",
        "--max-tokens",
        "16",
        "--max-model-len",
        "1024",
    ]
    # As a user runs it, in its own process: vLLM asks for stdout's fileno, which a stream that
    # pytest's capture (or a logging handler bound to it earlier in the session) lacks.
    proc = subprocess.run(
        [sys.executable, "-m", "longwrite.cli", "generate", "--model", str(out), *args],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(line) for line in gen.read_text().splitlines()]
    assert [r["sample_index"] for r in rows] == [0, 1]  # both samples, from the exported checkpoint
    assert (export / "model.safetensors").is_file()


def test_submit_sft_job(ray_head, run_dir, tiny_model):
    """`longwrite submit --sft`: the SFT baseline's trainer as a Ray job on the same kind of head."""
    import json

    from longwrite.cli import main
    from sft_baseline.data import prepare_sft

    rows = run_dir / "sft.jsonl"
    texts = [
        "Rivers shape the cities built beside them.",
        "秋天的图书馆很安静。",
        "A lighthouse keeper's last night.",
    ]
    with rows.open("w") as f:
        for i in range(8):
            text = texts[i % len(texts)]
            msgs = [
                {"role": "user", "content": f"Write about item {i}."},
                {"role": "assistant", "content": text * 5},
            ]
            f.write(json.dumps({"messages": msgs}, ensure_ascii=False) + "\n")
    data = prepare_sft(rows, run_dir / "sft-data", tiny_model, max_length=1024, progress=False)
    train = data.paths["train"]
    out = run_dir / "sft-run"
    rc = main(
        [
            "submit", "--sft", "--address", ray_head, "--preset", "tiny-cpu", "--python", sys.executable,
            "--output-dir", str(out), "--timeout", "600",
            f"data.train_files={train}", "trainer.total_training_steps=2",
        ]
    )  # fmt: skip
    assert rc == 0, "the SFT Ray job did not end SUCCEEDED"
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    assert [m["step"] for m in metrics if "train/loss" in m["data"]] == [1, 2]
