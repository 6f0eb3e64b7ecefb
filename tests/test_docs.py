"""The documentation runs: every command it shows parses, every link and listed file exists.

README.md and docs/*.md show commands in fenced code blocks. Each ``longwrite ...`` command there
is parsed by the real CLI parser (``longwrite.cli.build_parser``; argparse exits 2 on a bad
option), and the ones that carry preset overrides go through the same builder the CLI uses before
anything starts: ``train`` / ``submit`` through ``rl.presets.build_plan`` and verl's strict config
composition (plus the required-option check a real launch makes), ``submit --sft`` / ``sft``
through ``sft_baseline.train.compose_sft_config``, ``submit --rm`` / ``rm train`` through
``rewards.rm.train.compose_rm_preset``, ``submit --dpo`` / ``dpo`` through
``sft_baseline.dpo.compose_dpo_preset``. ``make TARGET`` must name a Makefile target and
``python -m benchmarks NAME`` a benchmark module; every relative link must point to an existing
file (and heading); the file list (docs/files.md) must match ``git ls-files``. Each checker is shown
rejecting a broken input in this file (the negative controls), so none of them can pass vacuously.
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import re
import shlex
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: Shell operators that end one command and start the next (``W=$(cmd)`` splits as ``W=$``, ``(``,
#: ``cmd``, ``)``; the ``W=$`` word is an assignment, dropped like any leading ``VAR=value``).
_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")"}
_ENV_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_FENCE = re.compile(r"^(\s*)(```+|~~~+)(.*)$")
_NOT_SHELL = {"python", "text", "yaml", "json", "jinja"}
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_INLINE_CODE = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class DocCommand:
    """One shell command of a doc's code block: where it stands and its words (``argv[0]`` first)."""

    doc: str
    line: int
    text: str
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text}"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def fenced_lines(text: str) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    """Split markdown into code lines ``(number, line, info)`` and prose lines ``(number, line)``.

    ``number`` is 1-based, ``info`` the code block's language tag (``bash``, ``python``, "").
    Fences may be indented (a code block inside a list item); fence lines are in neither list.
    """
    code: list[tuple[int, str, str]] = []
    prose: list[tuple[int, str]] = []
    fence: str | None = None
    info = ""
    for number, line in enumerate(text.splitlines(), 1):
        match = _FENCE.match(line)
        if match and (fence is None or match.group(2).startswith(fence)):
            fence, info = (match.group(2), match.group(3).strip()) if fence is None else (None, "")
            continue
        if fence:
            code.append((number, line, info))
        else:
            prose.append((number, line))
    if fence is not None:
        raise ValueError(f"unclosed code fence {fence!r}")
    return code, prose


def shell_commands(doc: str, text: str) -> list[DocCommand]:
    """Every simple command of every fenced code block in ``text`` (a markdown document).

    Blocks tagged as something other than shell (``python``, ``text``, ``yaml``, ``json``) are
    not read; untagged blocks are. Backslash continuations are joined, comments stripped, a line is split at ``;``, ``&&``,
    ``||``, ``|``, ``&`` and ``$(...)``, and leading ``VAR=value`` words are dropped
    (``PYTHONPATH=$PWD longwrite ...`` is a ``longwrite`` command). ``[--flag VALUE]`` (an
    optional part written in brackets) counts as given. Lines that are not shell (Python, plain verl
    overrides) give words too; callers pick the commands they check by their first word.
    """
    code = [(n, line) for n, line, info in fenced_lines(text)[0] if info not in _NOT_SHELL]
    out: list[DocCommand] = []
    pending: list[str] = []
    start = 0
    for number, line in code:
        if not pending:
            start = number
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        logical = " ".join(part.strip() for part in pending)
        pending = []
        # "[--flag VALUE]": an optional part, checked as if given.
        logical = re.sub(r"\[(-[^\[\]]*)\]", r"\1", logical)
        try:
            lexer = shlex.shlex(logical, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            words = list(lexer)
        except ValueError:
            continue  # not shell (e.g. Python with an apostrophe in a string): no command here
        segment: list[str] = []
        for word in [*words, ";"]:
            if word in _SEPARATORS:
                while segment and _ENV_WORD.match(segment[0]):
                    segment.pop(0)
                if segment:
                    out.append(DocCommand(doc, start, logical.strip(), tuple(segment)))
                segment = []
            else:
                segment.append(word)
    return out


@cache
def _parser():
    from longwrite.cli import build_parser

    return build_parser()


def check_longwrite(argv: list[str] | tuple[str, ...]) -> str | None:
    """None when ``longwrite ARGV...`` is a valid command, else why not (argparse's message, or
    the error the preset builder gives before anything starts). ``argv[0]`` is ``longwrite``."""
    args_list = list(argv[1:])
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = _parser().parse_args(args_list)
    except SystemExit as exc:
        if exc.code == 0:  # --help / --version
            return None
        return f"argparse exit {exc.code}: {err.getvalue().strip().splitlines()[-1:]}"
    try:
        _check_presets(args_list, args)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        return f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # Hydra / OmegaConf reject an unknown verl key with their own types
        if type(exc).__module__.split(".")[0] in ("hydra", "omegaconf"):
            return f"{type(exc).__name__}: {exc}"
        raise
    return None


def _check_presets(words: list[str], args) -> None:
    """Run a command's preset and overrides through the builder its handler uses (nothing starts)."""
    command = words[0] if words else ""
    sub = words[1] if len(words) > 1 else ""
    kind = [k for k in ("sft", "rm", "cpt", "dpo") if getattr(args, k, False)]
    if command in ("train", "submit") and not kind:
        from rl.presets import build_plan, check_reward_config, compose

        plan = build_plan(
            args.preset,
            args.overrides,
            output_dir=args.output_dir,
            data_dir=args.data_dir,
            for_job=command == "submit",
            nodes=getattr(args, "nodes", None),
            gpus_per_node=getattr(args, "gpus_per_node", None),
            py_modules=args.py_modules,
        )
        compose(plan)  # an unknown verl key fails here, as in `train --dry-run`
        if not args.dry_run:
            check_reward_config(plan)  # what a real launch checks first (REQUIRED options)
    elif command == "sft" or (command == "submit" and args.sft):
        from sft_baseline.train import compose_sft_config, validate_sft_config

        validate_sft_config(compose_sft_config(args.preset, args.overrides))
    elif command == "cpt" or (command == "submit" and args.cpt):
        from sft_baseline.cpt import build_cpt_plan

        if command == "cpt":
            build_cpt_plan(args.preset, args.out, args.data, args.overrides)
        else:
            build_cpt_plan(args.preset, args.output_dir or "out", args.cpt_data, args.overrides)
    elif (command == "rm" and sub == "train") or (command == "submit" and args.rm):
        from rewards.rm.train import compose_rm_preset

        compose_rm_preset(args.preset, args.overrides)
    elif command == "dpo" or (command == "submit" and args.dpo):
        from sft_baseline.dpo import check_runnable, compose_dpo_preset

        cfg = compose_dpo_preset(args.preset, args.overrides)
        if command == "submit" and not args.dry_run:
            check_runnable(cfg)  # what a submission checks first (UNPUBLISHED values)


@cache
def make_targets() -> frozenset[str]:
    """The targets the Makefile defines (rules' left-hand sides, not variable assignments)."""
    targets: set[str] = set()
    for line in (REPO / "Makefile").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\- ]+):(?!=)", line)
        if match and not line.startswith("\t"):
            targets.update(t for t in match.group(1).split() if not t.startswith("."))
    return frozenset(targets)


def check_make(argv: list[str] | tuple[str, ...]) -> str | None:
    """None when every target of ``make ...`` exists (``VAR=value`` words are variables)."""
    names = [w for w in argv[1:] if "=" not in w and not w.startswith("-")]
    bad = [n for n in names if n not in make_targets()]
    return f"no Makefile target {bad} (targets: {sorted(make_targets())})" if bad else None


def benchmark_names() -> frozenset[str]:
    """The names ``python -m benchmarks NAME`` runs: benchmarks/*.py not starting with ``_``."""
    return frozenset(p.stem for p in (REPO / "benchmarks").glob("*.py") if not p.stem.startswith("_"))


def check_benchmarks(argv: list[str] | tuple[str, ...]) -> str | None:
    """None when every NAME of ``python -m benchmarks NAME...`` is a benchmark module."""
    bad = [n for n in argv[3:] if n not in benchmark_names()]
    return f"no benchmark {bad} (benchmarks: {sorted(benchmark_names())})" if bad else None


def _is_benchmarks(argv) -> bool:
    return len(argv) >= 3 and argv[0].endswith("python") and argv[1:3] == ("-m", "benchmarks")


def doc_commands() -> list[DocCommand]:
    """Every ``longwrite`` / ``make`` / ``python -m benchmarks`` command of the docs' code blocks,
    plus ``make`` and ``python -m benchmarks`` written as inline code in their prose."""
    out: list[DocCommand] = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        out += shell_commands(_rel(path), text)
        _, prose = fenced_lines(text)
        for number, line in prose:
            for span in _INLINE_CODE.findall(line):
                if span.startswith(("make ", "python -m benchmarks")):
                    words = tuple(shlex.split(span))
                    out.append(DocCommand(_rel(path), number, span, words))
    return [c for c in out if c.argv[0] in ("longwrite", "make") or _is_benchmarks(c.argv)]


def check(command: DocCommand) -> str | None:
    """The checker for one documented command (None: fine; else why it is wrong)."""
    if command.argv[0] == "longwrite":
        return check_longwrite(command.argv)
    if command.argv[0] == "make":
        return check_make(command.argv)
    return check_benchmarks(command.argv)


# -- links and headings -------------------------------------------------------------------------


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors for a markdown document's headings (lowercase, punctuation dropped,
    spaces to hyphens; a repeated heading gets ``-1``, ``-2``...)."""
    anchors: set[str] = set()
    _, prose = fenced_lines(text)
    for _, line in prose:
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in anchors:
            n += 1
            candidate = f"{slug}-{n}"
        anchors.add(candidate)
    return anchors


def check_links(path: Path, text: str) -> list[str]:
    """Every relative link of ``text`` (the markdown file ``path``) whose file or heading is missing."""
    problems: list[str] = []
    _, prose = fenced_lines(text)
    for number, line in prose:
        for target in _LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            where = f"{_rel(path)}:{number}: link {target!r}"
            if not file_part:  # #heading of this same page
                if anchor not in heading_anchors(text):
                    problems.append(f"{where}: no heading #{anchor} in {_rel(path)}")
                continue
            dest = (path.parent / file_part).resolve()
            if not dest.exists():
                problems.append(f"{where}: no file {_rel(dest)}")
            elif (
                anchor
                and dest.suffix == ".md"
                and anchor not in heading_anchors(dest.read_text(encoding="utf-8"))
            ):
                problems.append(f"{where}: no heading #{anchor} in {_rel(dest)}")
    return problems


_REPO_PATH = re.compile(r"[\w.\-]+(?:/[\w.\-]+)+\.(?:py|yaml|md|jsonl|png|lock|in|toml)")


def check_code_paths(path: Path, text: str) -> list[str]:
    """Every repository file named as inline code in the prose of ``text`` (``rl/prepare.py``)
    that does not exist; a path under a placeholder folder in capitals (``OUT/x.jsonl``) is not
    a repository file and is left alone."""
    problems: list[str] = []
    _, prose = fenced_lines(text)
    for number, line in prose:
        for span in _INLINE_CODE.findall(line):
            if _REPO_PATH.fullmatch(span) and not span.split("/")[0].isupper() and not (REPO / span).exists():
                problems.append(f"{_rel(path)}:{number}: `{span}` is not a file of the repository")
    return problems


# -- the file list (docs/files.md) -------------------------------------------------------------------

FILES_PAGE = "docs/files.md"


def tree_entries(page: str) -> list[str]:
    """The paths of the file list (docs/files.md: the first word of each line of its code block)."""
    code, _ = fenced_lines(page)
    if not code:
        raise ValueError(f"{FILES_PAGE} has no code block of files")
    return [line.split()[0] for _, line, _ in code if line.strip()]


def check_tree(entries: list[str], tracked: list[str]) -> list[str]:
    """What is wrong with the file list against the tracked files.

    Each entry must exist (a file, a folder ending in ``/``, or a glob matching a file); each
    tracked file must be listed, by its path, a glob or a listed folder (folders are how tests
    are condensed); each module outside tests/ (a .py file but ``__init__.py``) must have its own
    line, and each package outside tests/ (a folder with an ``__init__.py``) a folder line.
    """
    problems: list[str] = []
    tracked_set = set(tracked)
    folders = {e for e in entries if e.endswith("/")}
    for entry in entries:
        if entry.endswith("/"):
            ok = any(t.startswith(entry) for t in tracked)
        elif any(ch in entry for ch in "*?["):
            ok = any(fnmatch.fnmatch(t, entry) for t in tracked)
        else:
            ok = entry in tracked_set
        if not ok:
            problems.append(f"{FILES_PAGE} lists {entry}, which is not a tracked file or folder")
    for path in tracked:
        if not path.startswith("tests/") and path.endswith("/__init__.py"):
            if f"{Path(path).parent}/" not in folders:
                problems.append(f"{FILES_PAGE} has no line for the package {Path(path).parent}/")
        elif not path.startswith("tests/") and path.endswith(".py"):
            if path not in entries:
                problems.append(f"{FILES_PAGE} has no line of its own for the module {path}")
        elif not (
            path in entries
            or any(fnmatch.fnmatch(path, e) for e in entries if any(ch in e for ch in "*?["))
            or any(path.startswith(f) for f in folders)
        ):
            problems.append(f"{FILES_PAGE} does not list {path}: add one line for it")
    return problems


def _tracked() -> list[str]:
    """The repository's tracked files (``git add`` a new file before this test sees it)."""
    out = subprocess.run(
        ["git", "ls-files"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [p for p in out.splitlines() if (REPO / p).exists()]  # a file deleted in the work tree is gone


# -- the tests --------------------------------------------------------------------------------------

COMMANDS = doc_commands()


#: Options whose value, when it looks like a path, must exist when argparse reads it.
_EXISTING_PATH_OPTIONS = ("--model", "--reward-model")


def with_model_folders(argv: tuple[str, ...], root: Path) -> tuple[str, ...]:
    """``argv`` with each path-looking ``--model`` / ``--reward-model`` value made real: created as
    a folder under ``root`` (an absolute ``/ckpt/x`` becomes ``root/ckpt/x``). The docs name
    checkpoints that exist on the reader's machine, not here; argparse checks they exist."""
    out = list(argv)
    for i, word in enumerate(out[:-1]):
        value = out[i + 1]
        if word in _EXISTING_PATH_OPTIONS and ("/" in value or value.startswith(".")):
            folder = root / value.lstrip("/")
            folder.mkdir(parents=True, exist_ok=True)
            out[i + 1] = str(folder)
    return tuple(out)


@pytest.fixture
def user_reward_dir(tmp_path, monkeypatch):
    """A working directory holding ``my_rewards/brevity.py`` as docs/rewards.md writes it, so the
    documented ``--py-module my_rewards`` commands build their plan as they would for a user."""
    text = (REPO / "docs" / "rewards.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(# my_rewards/brevity\.py.*?)```", text, re.S)
    assert block, "docs/rewards.md lost its my_rewards/brevity.py example"
    package = tmp_path / "my_rewards"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "brevity.py").write_text(block.group(1))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LONGWRITE_REWARD_CONFIG", raising=False)
    return tmp_path


def test_the_docs_show_commands():
    kinds = {c.argv[0] for c in COMMANDS}
    assert {"longwrite", "make"} <= kinds and any(_is_benchmarks(c.argv) for c in COMMANDS)
    subcommands = {c.argv[1] for c in COMMANDS if c.argv[0] == "longwrite"}
    assert {"train", "submit", "prepare-rl", "eval", "rm", "sft", "agentwrite", "report"} <= subcommands


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: f"{c.doc}:{c.line}")
def test_documented_command_is_valid(command, user_reward_dir):
    command = DocCommand(
        command.doc, command.line, command.text, with_model_folders(command.argv, user_reward_dir)
    )
    problem = check(command)
    assert problem is None, f"{command}\n  -> {problem}"


def test_extraction_of_commands():
    text = "\n".join(
        [
            "prose `make demo` here",
            "```bash",
            "longwrite train --preset tiny-cpu \\",
            "    a.b=1    # a comment",
            "PYTHONPATH=$PWD longwrite rm score --in x",
            "W=$(longwrite writer build | head -1)",
            'make demo DEMO_ARGS="--data DIR" && python -m benchmarks rewards',
            "longwrite prepare-sft --data x [--skip-bad] [--general g.jsonl]",
            "```",
            "- item",
            "  ```bash",
            "  longwrite report runs/a --out r",
            "  ```",
        ]
    )
    got = [(c.line, c.argv) for c in shell_commands("x.md", text)]
    assert got == [
        (3, ("longwrite", "train", "--preset", "tiny-cpu", "a.b=1")),
        (5, ("longwrite", "rm", "score", "--in", "x")),
        (6, ("longwrite", "writer", "build")),
        (6, ("head", "-1")),
        (7, ("make", "demo", "DEMO_ARGS=--data DIR")),
        (7, ("python", "-m", "benchmarks", "rewards")),
        (8, ("longwrite", "prepare-sft", "--data", "x", "--skip-bad", "--general", "g.jsonl")),
        (12, ("longwrite", "report", "runs/a", "--out", "r")),
    ]


@pytest.mark.parametrize(
    "line, expect",
    [
        # argparse: an unknown option, a missing required one, an unknown subcommand
        ("longwrite train --preset tiny-cpu --no-such-option", "argparse exit 2"),
        ("longwrite train trainer.total_training_steps=2", "argparse exit 2"),
        ("longwrite evaluate longbench-write --out x", "argparse exit 2"),
        # the plan builder: issue 22's refused form of the RM path, an unknown verl key, a bad preset
        (
            "longwrite submit --preset qwen2.5-7b --dry-run "
            "reward.custom_reward_function.reward_kwargs.reward_config.options.quality.model=/ckpt",
            "the reward config has one source",
        ),
        ("longwrite train --preset tiny-cpu trainer.no_such_key=1 --dry-run", "no_such_key"),
        ("longwrite train --preset no-such-preset", "not found"),
        # a real launch of a GPU preset without its RM settings is refused before it starts
        ("longwrite submit --address http://HEAD:8265 --preset qwen2.5-7b", "reward_options.quality."),
        # a model path that does not exist here (the doc test creates the ones the docs name)
        ("longwrite serve --model /no/such/ckpt --port 8000", "model path not found"),
        ("longwrite sft --preset tiny-cpu no_such_section.x=1", "no_such_section"),
        ("longwrite rm train --preset tiny-cpu no_such_key=1", "no_such_key"),
        ("make no-such-target", "no Makefile target"),
        ("python -m benchmarks no_such_benchmark", "no benchmark"),
    ],
)
def test_checker_rejects_a_broken_command(line, expect, monkeypatch):
    monkeypatch.delenv("LONGWRITE_REWARD_CONFIG", raising=False)
    (command,) = shell_commands("negative.md", f"```bash\n{line}\n```\n")
    problem = check(command)
    assert problem is not None and expect in problem, problem


def test_documented_working_forms_pass_the_same_checker(monkeypatch):
    # The positive twins of the controls above: the same checker accepts the documented form.
    monkeypatch.delenv("LONGWRITE_REWARD_CONFIG", raising=False)
    for line in (
        "longwrite submit --address http://HEAD:8265 --preset qwen2.5-7b "
        "reward_options.quality.model=/ckpt/rm/final reward_options.quality.base_url=http://RM:8001",
        "make test-fast",
        "python -m benchmarks rewards",
    ):
        (command,) = shell_commands("positive.md", f"```bash\n{line}\n```\n")
        assert check(command) is None, line


@pytest.mark.parametrize("path", DOCS, ids=lambda p: _rel(p))
def test_relative_links_point_to_files_and_headings(path):
    assert check_links(path, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", DOCS, ids=lambda p: _rel(p))
def test_files_named_in_the_prose_exist(path):
    assert check_code_paths(path, path.read_text(encoding="utf-8")) == []


def test_path_checker_rejects_a_moved_file():
    text = "`rl/prepare.py` and `OUT/calls.jsonl` exist; `rl/data.py` moved, `rewards/length.py` too\n"
    problems = check_code_paths(REPO / "docs" / "page.md", text)
    assert [p.split("`")[1] for p in problems] == ["rl/data.py", "rewards/length.py"]


def test_link_checker_rejects_broken_links():
    page = REPO / "docs" / "page.md"
    text = (
        "# Title\n\n[a](training.md) [b](nope.md) [c](training.md#no-such-heading) [d](#title) [e](#nope)\n"
    )
    problems = check_links(page, text)
    assert len(problems) == 3, problems
    assert "no file docs/nope.md" in problems[0] and "no heading #no-such-heading" in problems[1]
    assert "#nope" in problems[2]


def test_the_file_list_matches_the_tracked_files():
    problems = check_tree(tree_entries((REPO / FILES_PAGE).read_text(encoding="utf-8")), _tracked())
    assert problems == [], "\n".join(problems)


def test_tree_checker_rejects_a_stale_list():
    tracked = ["rl/__init__.py", "rl/a.py", "rl/b.py", "tests/rl/test_a.py", "docs/x.md"]
    good = ["rl/", "rl/a.py", "rl/b.py", "tests/rl/", "docs/"]
    assert check_tree(good, tracked) == []
    problems = check_tree(["rl/a.py", "rl/gone.py", "tests/"], tracked)
    assert any("rl/gone.py, which is not" in p for p in problems)
    assert any("package rl/" in p for p in problems)
    assert any("module rl/b.py" in p for p in problems)
    assert any("does not list docs/x.md" in p for p in problems)


def test_readme_front_page_stays_short_and_maps_every_page():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 300
    assert "make demo" in text and "make test" in text
    linked = set(re.findall(r"\]\((docs/[^)#\s]+\.md)", text))
    pages = {_rel(p) for p in DOCS[1:]}
    assert pages and pages <= linked, f"docs pages missing from README's map: {sorted(pages - linked)}"
