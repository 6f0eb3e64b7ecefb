import subprocess
import sys

import pytest

from longwrite.cli import COMMAND_MODULES, build_parser, main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("longwrite ")
    assert main([]) == 0
    assert "COMMAND" in capsys.readouterr().out


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert sub.choices, COMMAND_MODULES
    for name, subparser in sub.choices.items():
        text = subparser.format_help()
        assert text.startswith("usage: longwrite " + name), name


def test_console_script_runs(repo_root):
    proc = subprocess.run(
        [sys.executable, "-m", "longwrite.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=60,
    )
    assert proc.returncode == 0 and "longwrite" in proc.stdout


def test_help_is_fast_and_light(repo_root):
    # --help must not import the heavy stacks (vLLM, Ray, verl, torch): they cost seconds.
    code = (
        "import sys; from longwrite.cli import build_parser; build_parser().format_help();"
        "heavy = [m for m in ('vllm', 'ray', 'verl', 'torch', 'sentence_transformers') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=repo_root, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
