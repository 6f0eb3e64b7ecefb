"""The kit as a user meets it: the documented pytest file runs as written (through the plugin's
fixtures), the entry point names the plugin, `import rewards.testing` stays light, and
`longwrite rm check` prints the table with the documented exit statuses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from longwrite.cli import main as longwrite_main

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "rewards.md"


def _block(marker: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"```python\n(# " + re.escape(marker) + r".*?)```", text, re.S)
    assert m, f"docs/rewards.md lost its {marker} example"
    return m.group(1)


def _user_folder(tmp_path: Path) -> Path:
    """my_rewards/ with the reward and its test file exactly as docs/rewards.md shows them."""
    package = tmp_path / "my_rewards"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "brevity.py").write_text(_block("my_rewards/brevity.py"))
    (package / "test_brevity.py").write_text(_block("my_rewards/test_brevity.py"))
    return package


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path}"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "rewards.testing.plugin",
            *args,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_documented_test_file_passes_as_written(tmp_path):
    package = _user_folder(tmp_path)
    out = _pytest(tmp_path, "-rA", str(package / "test_brevity.py"))
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "4 passed" in out.stdout, out.stdout[-2000:]
    assert "contract of reward `my_rewards.brevity:brevity`: PASS" in out.stdout  # the fixture's table
    assert "| pad_repeat |" in out.stdout


def test_the_documented_test_file_fails_on_a_gameable_reward(tmp_path):
    """The same file, the reward swapped for one that pays for words: the probe test fails."""
    package = _user_folder(tmp_path)
    (package / "brevity.py").write_text(
        "def brevity(prompt, response, metadata, target_words=200):\n"
        "    return min(1.0, len(response.split()) / (10 * target_words))\n"
    )
    out = _pytest(tmp_path, str(package / "test_brevity.py"))
    assert out.returncode == 1
    assert "FAILED my_rewards/test_brevity.py::test_padding_does_not_pay" in out.stdout
    assert "test_keeps_the_reward_contract" not in out.stdout.split("short test summary")[-1]


def test_the_plugin_fixtures_fail_a_broken_reward_naming_the_case(tmp_path):
    (tmp_path / "broken_reward.py").write_text(
        "def broken(prompt, response, metadata):\n"
        "    if not response:\n"
        "        raise ValueError('empty')\n"
        "    return 0.5\n"
    )
    (tmp_path / "test_broken.py").write_text(
        "def test_it(reward_contract):\n    reward_contract('broken_reward:broken', threads=0)\n"
    )
    out = _pytest(tmp_path, "test_broken.py")
    assert out.returncode == 1
    assert "case 'empty': reward 'broken_reward:broken' raised ValueError" in out.stdout, out.stdout[-3000:]


def test_the_entry_point_names_the_plugin_module():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    [(name, target)] = project["entry-points"]["pytest11"].items()
    assert name == target == "rewards.testing.plugin"  # the same name: -p or pytest_plugins loads it once
    import importlib

    plugin = importlib.import_module(target)
    assert callable(plugin.reward_contract) and callable(plugin.hacking_probe)


def test_import_is_light():
    code = (
        "import sys, rewards.testing as t; t.__all__; "
        "heavy = [m for m in ('torch', 'hypothesis', 'pytest', 'sentence_transformers', 'transformers') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


# --- longwrite rm check ----------------------------------------------------------------------------


def test_rm_check_prints_the_table_and_exits_0(capsys, tmp_path):
    out = tmp_path / "check.json"
    argv = [
        "rm",
        "check",
        "length",
        "--option",
        "max_ratio=2",
        "--probe",
        "--threads",
        "2",
        "--out",
        str(out),
    ]
    assert longwrite_main(argv) == 0
    printed = capsys.readouterr().out
    assert "contract of reward `length`: PASS" in printed and "| long_en_10k_words |" in printed
    assert "hacking probes of reward `length`" in printed and "| pad_repeat |" in printed
    data = json.loads(out.read_text())
    assert data["contract"]["ok"] is True and data["contract"]["options"] == {"max_ratio": 2}
    assert data["probes"]["probes"]["pad_repeat"]["raised_share"] == 0


def test_rm_check_exits_1_on_a_broken_dotted_path_reward(capsys, tmp_path, monkeypatch):
    (tmp_path / "cli_broken_reward.py").write_text(
        "def over(prompt, response, metadata):\n    return 1.5 if '<think>' in response else 0.5\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert longwrite_main(["rm", "check", "cli_broken_reward:over", "--threads", "0"]) == 1
    printed = capsys.readouterr().out
    assert "FAIL case 'well_formed_en': reward 'cli_broken_reward:over' gave 1.5" in printed


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rm", "check", "no_such_reward"], "unknown reward 'no_such_reward'"),
        (["rm", "check", "length", "--option", "max_ration=2"], "unknown option(s) max_ration"),
        (["rm", "check", "length", "--metadata", "[1]"], "--metadata must be a JSON object"),
        (["rm", "check", "length", "--option", "max_ratio"], "--option 'max_ratio' must look like key=value"),
        (["rm", "check", "no_such_module_xyz:fn"], "cannot import module 'no_such_module_xyz'"),
    ],
)
def test_rm_check_exits_2_on_bad_input(argv, message, capsys):
    assert longwrite_main(argv) == 2
    assert message in capsys.readouterr().err
