"""`longwrite data get`: downloads from a loopback HTTP server, checks sha256, caches; eval uses it."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

from eval.benchdata import BENCHMARKS, get, resolve_data, sha256_of
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
    for bench in BENCHMARKS.values():
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
    with pytest.raises(ValueError, match="longbench_write_en.jsonl: sha256 .* does not match"):
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
