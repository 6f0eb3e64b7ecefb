"""`make test` (LONGWRITE_NO_SKIPS=1) and CI fail when a test other than a gpu-marked one skips."""

import os
import shutil
import subprocess
import sys

SKIPPING = """
import pytest

def test_runs():
    pass

@pytest.mark.gpu
def test_needs_a_gpu():
    pytest.skip("no GPU here")
"""


def _run(tmp_path, repo_root, body: str, **env: str) -> subprocess.CompletedProcess:
    shutil.copy(repo_root / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_x.py").write_text(body)
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "LONGWRITE_NO_SKIPS")}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
        str(tmp_path),
    ]
    return subprocess.run(
        cmd, capture_output=True, text=True, env={**clean, **env}, cwd=tmp_path, timeout=120
    )


def test_gpu_skips_are_allowed_under_make_test(tmp_path, repo_root):
    proc = _run(tmp_path, repo_root, SKIPPING, LONGWRITE_NO_SKIPS="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_any_other_skip_fails_under_make_test_and_ci(tmp_path, repo_root):
    body = SKIPPING + '\ndef test_quietly_skipped():\n    import pytest\n    pytest.skip("data missing")\n'
    for env in ({"LONGWRITE_NO_SKIPS": "1"}, {"CI": "true"}):
        proc = _run(tmp_path, repo_root, body, **env)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "test_x.py::test_quietly_skipped" in proc.stdout
    assert _run(tmp_path, repo_root, body).returncode == 0  # outside make/CI a skip is listed, not fatal
