"""`longwrite data get`: downloads from a loopback HTTP server, checks sha256, caches; eval uses it."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

from eval.benchdata import (
    BENCHMARKS,
    WRITINGBENCH_COMMIT,
    WRITINGBENCH_PROMPT,
    WRITINGBENCH_REQUIREMENTS,
    checksum_of,
    get,
    resolve_data,
    sha256_of,
)
from longwrite.cli import main


class _Server:
    """A static file server on 127.0.0.1 over ``root`` that records the paths asked for."""

    def __init__(self, root: Path) -> None:
        requests: list[str] = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=str(root), **kw)

            def do_GET(self):  # noqa: N802 (http.server's name)
                requests.append(self.path)
                super().do_GET()

            def log_message(self, *a):
                pass

        self.requests = requests
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/evaluation"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served(tmp_path, longbench_dir):
    """Copies of the shared LongBench-Write/Ruler files served under /evaluation/."""
    root = tmp_path / "www"
    (root / "evaluation").mkdir(parents=True)
    for name in ("longbench_write.jsonl", "longbench_write_en.jsonl", "longwrite_ruler.jsonl"):
        shutil.copy(longbench_dir / name, root / "evaluation" / name)
    server = _Server(root)
    yield server, root / "evaluation"
    server.stop()


def test_recorded_checksums_are_those_of_the_shared_copies(longbench_dir):
    for bench in (BENCHMARKS["longbench-write"], BENCHMARKS["ruler"]):
        for name, digest in bench.files.items():
            assert sha256_of(longbench_dir / name) == digest, name


def test_get_downloads_verifies_and_caches_then_reuses(served, tmp_path):
    server, _ = served
    cache = tmp_path / "cache"
    paths = get("longbench-write", cache, url=server.url, log=lambda *_: None)
    assert sorted(paths) == ["longbench_write.jsonl", "longbench_write_en.jsonl"]
    assert sorted(p.name for p in cache.iterdir()) == sorted(paths)  # no temporary files left
    for name, path in paths.items():
        assert sha256_of(path) == BENCHMARKS["longbench-write"].files[name]
    assert sorted(server.requests) == [
        "/evaluation/longbench_write.jsonl",
        "/evaluation/longbench_write_en.jsonl",
    ]
    get("longbench-write", cache, url=server.url, log=lambda *_: None)
    assert len(server.requests) == 2  # both were cached with the right checksum: nothing fetched


def test_a_wrong_checksum_is_refused_and_nothing_is_cached(served, tmp_path):
    server, folder = served
    with (folder / "longbench_write_en.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"prompt": "one more", "type": "x", "length": 100}\n')
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="longbench_write_en.jsonl: checksum .* does not match"):
        get("longbench-write", cache, url=server.url, log=lambda *_: None)
    # The first file was fine, but the benchmark is all or nothing: no file, no leftovers.
    assert list(cache.iterdir()) == []


def test_a_tampered_cached_file_is_downloaded_again(served, tmp_path):
    server, _ = served
    cache = tmp_path / "cache"
    get("ruler", cache, url=server.url, log=lambda *_: None)
    (cache / "longwrite_ruler.jsonl").write_text("changed\n")
    get("ruler", cache, url=server.url, log=lambda *_: None)
    assert sha256_of(cache / "longwrite_ruler.jsonl") == BENCHMARKS["ruler"].files["longwrite_ruler.jsonl"]
    assert len(server.requests) == 2


def test_cli_get_then_eval_finds_the_cache(served, tmp_path, monkeypatch, capsys, fake_openai):
    server, _ = served
    cache = tmp_path / "cache"
    monkeypatch.setenv("LONGWRITE_DATA_URL", server.url)  # the environment override of the source
    monkeypatch.setenv("LONGWRITE_DATA_DIR", str(cache))
    # Empty cache: eval says which command fills it.
    assert main(["eval", "ruler", "--model", "m", "--out", str(tmp_path / "run")]) == 2
    assert "longwrite data get ruler" in capsys.readouterr().err
    assert main(["data", "get", "ruler"]) == 0
    assert str(cache / "longwrite_ruler.jsonl") in capsys.readouterr().out
    assert resolve_data(None, "ruler") == cache / "longwrite_ruler.jsonl"
    # eval without --data runs on the cached file (a loopback OpenAI-compatible model).
    model = fake_openai()
    run = tmp_path / "run"
    argv = ["eval", "ruler", "--endpoint", model.url, "--model", "m", "--out", str(run), "--limit", "3"]
    assert main([*argv, "--no-progress"]) == 0
    assert json.loads((run / "run.json").read_text())["data"]["path"] == str(cache / "longwrite_ruler.jsonl")
    # A changed cached file is not used silently.
    (cache / "longwrite_ruler.jsonl").write_text('{"prompt": "p", "type": "t", "length": 5}\n')
    with pytest.raises(ValueError, match="longwrite data get ruler"):
        resolve_data(None, "ruler")


def test_cli_get_with_dir_and_base_url(served, tmp_path, capsys):
    server, _ = served
    cache = tmp_path / "elsewhere"
    assert main(["data", "get", "longbench-write", "--dir", str(cache), "--base-url", server.url]) == 0
    assert (cache / "longbench_write.jsonl").is_file() and (cache / "longbench_write_en.jsonl").is_file()


def test_unreachable_source_is_an_error_not_a_cache(tmp_path):
    with pytest.raises(OSError):
        get("ruler", tmp_path / "c", url="http://127.0.0.1:9/none", timeout=5, log=lambda *_: None)
    assert list((tmp_path / "c").iterdir()) == []


# --- WritingBench: released paths, git-blob pins, eval reads the cache -----------------------


def test_git_blob_checksum_is_gits_object_id(tmp_path):
    # git hash-object of "hello\n" is ce01362...; an empty file is e69de29...
    (tmp_path / "h").write_bytes(b"hello\n")
    (tmp_path / "e").write_bytes(b"")
    assert checksum_of(tmp_path / "h", "git-blob:x") == "git-blob:ce013625030ba8dba906f756967f9e9ca394464a"
    assert checksum_of(tmp_path / "e", "git-blob:x") == "git-blob:e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert checksum_of(tmp_path / "h", "0" * 64) == sha256_of(tmp_path / "h")


def test_writingbench_pins_every_released_file_it_reads():
    wb = BENCHMARKS["writingbench"]
    assert wb.default_file == "benchmark_query/benchmark_all.jsonl" and wb.subdir == "writingbench"
    assert wb.source.endswith(WRITINGBENCH_COMMIT) and "X-PLUG/WritingBench" in wb.source
    kinds = {"format", "length", "style"}
    want = {f"{WRITINGBENCH_REQUIREMENTS}/{k}/{k}_subset{c}.jsonl" for k in kinds for c in ("", "_C")}
    assert want | {wb.default_file, WRITINGBENCH_PROMPT} == set(wb.files)
    for digest in wb.files.values():
        hexpart = digest.removeprefix("git-blob:")
        assert len(hexpart) == (40 if digest.startswith("git-blob:") else 64) and int(hexpart, 16) >= 0


def _released_writingbench(root, wb_rows, prompt_text):
    """A tree shaped as X-PLUG/WritingBench's release (queries, requirement subsets, prompt.py);
    returns the relative paths of its files."""
    from judged_data import write_jsonl, write_requirements

    write_jsonl(root / "benchmark_query" / "benchmark_all.jsonl", wb_rows)
    write_requirements(root / WRITINGBENCH_REQUIREMENTS)
    (root / "prompt.py").write_text(prompt_text, encoding="utf-8")
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]


def test_get_writingbench_checks_git_blobs_and_eval_reads_the_cache(
    tmp_path, monkeypatch, capsys, fake_openai
):
    from dataclasses import replace

    from fake_judge import official_responder, writer_responder
    from judged_data import OFFICIAL_PROMPT_PY, WB_RELEASED_ROWS, WB_RELEASED_SCORES

    from eval import benchdata

    www = tmp_path / "www"
    files = _released_writingbench(
        www / "wb", WB_RELEASED_ROWS, OFFICIAL_PROMPT_PY.read_text(encoding="utf-8")
    )
    # The pins of the real release cannot be met by files a test writes: pin this tree the same way
    # (git blobs for the queries and subsets, sha256 for the prompt), as the release is pinned.
    pins = {
        rel: checksum_of(www / "wb" / rel, "git-blob:" if rel.endswith(".jsonl") else "0" * 64)
        for rel in files
    }
    bench = replace(BENCHMARKS["writingbench"], files=pins)
    monkeypatch.setitem(benchdata.BENCHMARKS, "writingbench", bench)
    server = _Server(www)
    url = server.url.replace("/evaluation", "/wb")
    try:
        cache = tmp_path / "cache"
        monkeypatch.setenv("LONGWRITE_DATA_DIR", str(cache))
        assert main(["data", "get", "writingbench", "--base-url", url]) == 0
        folder = cache / "writingbench"
        assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(files)
        assert resolve_data(None, "writingbench") == folder / "benchmark_query" / "benchmark_all.jsonl"
        # A file served with other bytes is refused, and a fresh cache stays empty.
        (www / "wb" / "benchmark_query" / "requirement" / "style" / "style_subset.jsonl").write_text("{}\n")
        with pytest.raises(ValueError, match="style_subset.jsonl: checksum git-blob:.* does not match"):
            get("writingbench", tmp_path / "c2", url=url, log=lambda *_: None)
        assert not any(p.is_file() for p in (tmp_path / "c2").rglob("*"))
    finally:
        server.stop()

    # `longwrite eval writingbench --protocol writingbench` with no --data, --judge-prompt or
    # --requirements: the cached release supplies all three.
    writer = fake_openai(writer_responder(default_words=60), model="w")
    judge = fake_openai(official_responder(WB_RELEASED_SCORES), model="critic")
    capsys.readouterr()
    argv = ["eval", "writingbench", "--protocol", "writingbench", "--endpoint", writer.url, "--model", "w",
            "--judge-endpoint", judge.url, "--judge-model", "critic", "--out", str(tmp_path / "run"),
            "--no-progress"]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["data"]["path"] == str(folder / "benchmark_query" / "benchmark_all.jsonl")
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())
    # The cached requirement subsets were read (length: items 1 and 2 of this run, 999 is not).
    assert scores["official"]["requirements"]["length"]["R"]["n_scored"] == 2
