"""The train/submit CLI without running verl: dry runs, help, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from longwrite.cli import main


def test_train_and_submit_have_help(capsys):
    for cmd in ("train", "submit"):
        with pytest.raises(SystemExit) as exc:
            main([cmd, "--help"])
        assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--preset" in out and "--address" in out and "--no-wait" in out


RM_OPTIONS = ["reward_options.quality.model=/ckpt/rm/final", "reward_options.quality.base_url=http://rm:8001"]


def test_submit_dry_run_prints_entrypoint_and_runtime_env(capsys):
    argv = ["submit", "--preset", "qwen2.5-32b", "--nodes", "8", "--gpus-per-node", "8", "--dry-run"]
    # A dry run checks what a real submit checks: the preset's REQUIRED reward options first.
    assert main(argv) == 2
    assert "reward option quality." in capsys.readouterr().err
    assert main([*argv, *RM_OPTIONS]) == 0
    out = capsys.readouterr().out
    assert "reward config OK" in out
    entry, env = out.split("runtime_env:\n")
    assert "-m verl.trainer.main_ppo" in entry and "trainer.nnodes=8" in entry
    runtime_env = json.loads(env)
    assert ".venv" in runtime_env["excludes"] and "outputs" in runtime_env["excludes"]
    assert runtime_env["env_vars"]["VERL_USE_EXTERNAL_MODULES"] == "rl.trainer"
    assert runtime_env["working_dir"]


def test_train_dry_run_composes(tmp_path, capsys):
    data = _data_dir(tmp_path)
    argv = ["train", "--preset", "tiny-cpu", "--dry-run", "--data-dir", str(data)]
    assert main([*argv, "trainer.total_training_steps=3"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert "trainer.total_training_steps=3" in plan["command"]
    assert plan["env"]["VERL_PLATFORM"] == "cpu"
    assert plan["reward_check"].startswith("longwrite: reward config OK: length (weight 1)")
    # ... and fails, as the run would, on a misspelled verl key and on missing data files.
    assert main([*argv, "trainer.total_trainnig_steps=3"]) == 2
    assert "total_trainnig_steps" in capsys.readouterr().err
    (data / "val.parquet").unlink()
    assert main(argv) == 2
    assert "prepare-rl" in capsys.readouterr().err


def _data_dir(tmp_path: Path) -> Path:
    """A data folder with the two files a local run checks for (their content is verl's concern)."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name in ("train.parquet", "val.parquet"):
        (data / name).write_bytes(b"")
    return data


def _user_modules(tmp_path: Path) -> Path:
    """A folder with a good single-file reward module, one that cannot be imported, a package,
    and a stray ``yaml.py`` that would shadow PyYAML if the folder were put on a path."""
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "lw_dry_good.py").write_text("def score(prompt, response, metadata, k=1):\n    return 0.5\n")
    (mods / "lw_dry_broken.py").write_text(
        "import lw_no_such_dependency_dry\n\ndef score(prompt, response, metadata):\n    return 1.0\n"
    )
    (mods / "lw_dry_pkg").mkdir()
    (mods / "lw_dry_pkg" / "__init__.py").write_text(
        "def score(prompt, response, metadata):\n    return 1.0\n"
    )
    (mods / "yaml.py").write_text(
        "raise ImportError('the stray yaml.py beside the module shadowed PyYAML')\n"
    )
    return mods


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and mtime (ns): any write shows up."""
    return {
        str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in sorted(root.rglob("*"))
    }


def test_dry_runs_check_everything_and_write_nothing(tmp_path, capsys, monkeypatch, repo_root):
    import tempfile

    mods = _user_modules(tmp_path)
    data = _data_dir(tmp_path)
    scratch = tmp_path.with_name(tmp_path.name + "-tmp")  # the dry runs' temporary files: empty after
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    run = tmp_path / "run"
    common = ["--preset", "tiny-cpu", "--output-dir", str(run), "--dry-run"]
    good = ["--py-module", str(mods / "lw_dry_good.py"), "rewards.lw_dry_good:score=1"]
    before, outputs_before = (
        _tree(tmp_path),
        _tree(repo_root / "outputs") if (repo_root / "outputs").exists() else {},
    )

    assert (
        main(["train", *common, "--data-dir", str(data), *good, "reward_options.lw_dry_good:score.k=2"]) == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert "lw_dry_good:score (weight 1) from " in plan["reward_check"]
    assert main(["submit", *common, *good]) == 0
    out = capsys.readouterr().out
    assert "reward config OK" in out and "lw_dry_good:score (weight 1)" in out
    shipped = json.loads(out.split("runtime_env:\n")[1])["py_modules"]
    assert shipped == [str(run / "py_modules" / "lw_dry_good")]  # named, not written

    # An unimportable module and an option the reward does not take fail both dry runs, by name.
    for command in ("train", "submit"):
        extra = ["--data-dir", str(data)] if command == "train" else []
        broken = ["--py-module", str(mods / "lw_dry_broken.py"), "rewards.lw_dry_broken:score=1"]
        assert main([command, *common, *extra, *broken]) == 2
        err = capsys.readouterr().err
        assert "lw_dry_broken" in err and "lw_no_such_dependency_dry" in err
        assert main([command, *common, *extra, *good, "reward_options.lw_dry_good:score.bogus=3"]) == 2
        err = capsys.readouterr().err
        assert "bogus" in err and "lw_dry_good:score" in err

    assert _tree(tmp_path) == before  # no run folder, no staged module, no temporary leftovers
    # torch makes its compile cache in the temporary folder when this process first imports it:
    # torch's, not the dry run's.
    leftovers = [p.name for p in scratch.iterdir() if not p.name.startswith("torchinductor")]
    assert not run.exists() and leftovers == []
    if (repo_root / "outputs").exists():
        assert _tree(repo_root / "outputs") == outputs_before


def test_a_single_file_module_ships_alone(tmp_path, repo_root):
    """The folder beside ``x.py`` never reaches a worker's path: its stray yaml.py cannot shadow
    PyYAML, locally (the PYTHONPATH verl and the reward check run with) or in a Ray job."""
    import os
    import subprocess
    import sys

    from rl.jobs import job_runtime_env
    from rl.local_run import run_environment, staged_pythonpath
    from rl.presets import build_plan

    mods = _user_modules(tmp_path)
    plan = build_plan(
        "tiny-cpu",
        ["rewards.lw_dry_good:score=1", "rewards.lw_dry_pkg:score=1"],
        output_dir=tmp_path / "run",
        py_modules=[mods / "lw_dry_good.py", mods / "lw_dry_pkg"],
    )
    code = (
        "import yaml, lw_dry_good, lw_dry_pkg; print(yaml.__file__); print(lw_dry_good.__file__); "
        "print(lw_dry_pkg.__file__)"
    )
    with staged_pythonpath(plan) as pythonpath:
        env = run_environment(plan, pythonpath)
        path = env["PYTHONPATH"].split(os.pathsep)
        assert str(mods) not in path and str(tmp_path) not in path
        [staged] = pythonpath
        assert sorted(p.name for p in Path(staged).iterdir()) == ["lw_dry_good", "lw_dry_pkg"]
        proc = subprocess.run(
            [sys.executable, "-c", code], env=env, cwd=repo_root, capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 0, proc.stderr
    yaml_file, good_file, pkg_file = proc.stdout.split()
    assert "site-packages" in yaml_file and not yaml_file.startswith(str(mods))
    assert good_file == str(Path(staged) / "lw_dry_good" / "__init__.py")
    assert pkg_file == str(Path(staged) / "lw_dry_pkg" / "__init__.py")
    assert not Path(staged).exists()  # removed after the run

    # A Ray job ships the package folder and a one-file package, never the folder holding x.py.
    shipped = job_runtime_env(plan)["py_modules"]
    assert shipped == [str(tmp_path / "run" / "py_modules" / "lw_dry_good"), str(mods / "lw_dry_pkg")]
    assert sorted(p.name for p in Path(shipped[0]).iterdir()) == ["__init__.py"]
    assert str(mods) not in shipped


def test_two_py_modules_with_one_import_name_are_refused(tmp_path):
    from rl.presets import build_plan

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "lw_same.py").write_text("")
    (tmp_path / "b" / "lw_same.py").write_text("")
    with pytest.raises(ValueError, match="both imported as 'lw_same'"):
        build_plan("tiny-cpu", py_modules=[tmp_path / "a" / "lw_same.py", tmp_path / "b" / "lw_same.py"])
    (tmp_path / "my-mod.py").write_text("")
    with pytest.raises(ValueError, match="not an importable module name"):
        build_plan("tiny-cpu", py_modules=[tmp_path / "my-mod.py"])


def test_train_missing_data_is_a_clear_error(tmp_path, capsys):
    rc = main(["train", "--preset", "tiny-cpu", "--data-dir", str(tmp_path / "nope"), "--timeout", "5"])
    assert rc == 2
    assert "prepare-rl" in capsys.readouterr().err


def test_submit_bad_address(capsys):
    assert main(["submit", "--preset", "tiny-cpu", "--address", "127.0.0.1:8265"]) == 2
    assert "http://" in capsys.readouterr().err


def test_submit_sft_dry_run(capsys):
    rc = main(
        [
            "submit",
            "--sft",
            "--preset",
            "longwriter-llama3.1-8b",
            "--dry-run",
            "data.train_files=/d/train.parquet",
        ]
    )
    assert rc == 0
    entry, env = capsys.readouterr().out.split("runtime_env:\n")
    # The preset's 8 processes per node become the GPUs the entrypoint holds.
    assert "entrypoint_num_gpus=8" in entry
    assert "-m longwrite.cli sft --preset longwriter-llama3.1-8b data.train_files=/d/train.parquet" in entry
    assert ".venv" in json.loads(env)["excludes"]


def test_submit_sft_bad_input(capsys):
    assert main(["submit", "--sft", "--preset", "nope", "--dry-run"]) == 2
    assert "unknown SFT preset 'nope'" in capsys.readouterr().err
    assert main(["submit", "--sft", "--preset", "tiny-cpu", "--nodes", "2", "--dry-run"]) == 2
    assert "one node" in capsys.readouterr().err
