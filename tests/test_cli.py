import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading

import pytest

from longwrite.cli import COMMAND_MODULES, MAX_DETAIL_LINES, build_parser, expected_errors, main, one_line


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


# -- expected failures: one line on stderr, exit 2; a bug keeps its traceback -------------------


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed): connections are refused."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Loopback:
    """A real HTTP server on 127.0.0.1: ``mode`` '404' answers every GET with 404, 'hangup' closes
    the connection without a reply, 'silent' reads the request and never answers."""

    def __init__(self, mode: str) -> None:
        release = threading.Event()
        self.release = release

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                if mode == "404":
                    self.send_error(404, "Not Found")
                elif mode == "hangup":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    release.wait(30)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/evaluation"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _longwrite(repo_root, tmp_path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m longwrite.cli ARGV`` in a fresh process (its real stderr), offline."""
    env = dict(os.environ, PYTHONPATH=str(repo_root), HF_HUB_OFFLINE="1", LONGWRITE_DATA_DIR=str(tmp_path))
    env.pop("LONGWRITE_DATA_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "longwrite.cli", *argv],
        capture_output=True,
        text=True,
        cwd=repo_root,
        env=env,
        timeout=timeout,
    )


_INFO_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO [\w.]+: ")


def _one_error_line(proc: subprocess.CompletedProcess, command: str) -> str:
    """The one error line of ``proc``'s stderr (exit 2); besides it only INFO progress records."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if not _INFO_RECORD.match(ln)]
    assert len(lines) == 1, proc.stderr  # no traceback, no second line
    assert lines[0].startswith(f"longwrite {command}: error: "), lines[0]
    assert proc.stderr.splitlines()[-1] == lines[0] and "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("mode", ["closed-port", "404", "hangup", "silent"])
def test_data_get_network_failures_are_one_line(repo_root, tmp_path, mode):
    server = None if mode == "closed-port" else _Loopback(mode)
    url = f"http://127.0.0.1:{_closed_port()}/evaluation" if server is None else server.url
    try:
        proc = _longwrite(repo_root, tmp_path, "data", "get", "ruler", "--base-url", url, "--timeout", "2")
    finally:
        if server is not None:
            server.stop()
    line = _one_error_line(proc, "data")
    assert f"cannot download {url}/longwrite_ruler.jsonl" in line
    expected = {
        "closed-port": "Connection refused",
        "404": "HTTP 404",
        "hangup": "",
        "silent": "timed out",
    }[mode]
    assert expected in line and "--base-url" in line
    assert [p.name for p in tmp_path.iterdir()] == []  # nothing cached, no partial file


def test_export_merger_failure_is_one_line_and_keeps_the_log(repo_root, tmp_path):
    # A checkpoint laid out as verl writes it, with shards that are not torch files: verl's real
    # model merger (a child process) fails on it.
    step = tmp_path / "global_step_3"
    md = step / "actor"
    (md / "huggingface").mkdir(parents=True)
    for rank in range(2):
        (md / f"model_world_size_2_rank_{rank}.pt").write_text("not a torch file")
    (md / "fsdp_config.json").write_text(json.dumps({"FSDP_version": 2, "world_size": 2}))
    (md / "huggingface" / "config.json").write_text("{}")
    (md / "huggingface" / "tokenizer_config.json").write_text("{}")
    out = tmp_path / "hf"
    proc = _longwrite(repo_root, tmp_path, "export", str(step), "--out", str(out), timeout=300)
    line = _one_error_line(proc, "export")
    kept = tmp_path / "hf.merger-failed.log"
    assert "verl's model merger exited" in line and f"(full log: {kept})" in line
    assert kept.is_file() and "Traceback" in kept.read_text()  # the merger's own traceback, kept
    assert not out.exists() and not list(tmp_path.glob(".hf.tmp-*"))  # no half export


def test_a_bug_in_our_code_keeps_its_traceback(monkeypatch):
    import eval.benchdata

    def broken(*args, **kwargs):
        raise TypeError("a bug, not a user error")

    monkeypatch.setattr(eval.benchdata, "get", broken)
    with pytest.raises(TypeError, match="a bug"):
        main(["data", "get", "ruler"])


def test_expected_errors_with_verbose_keep_the_traceback(monkeypatch):
    import eval.benchdata

    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(eval.benchdata, "get", refused)
    assert main(["data", "get", "ruler"]) == 2
    with pytest.raises(ConnectionRefusedError):
        main(["-v", "data", "get", "ruler"])


def test_one_line_formats():
    import urllib.error

    # A headline keeps its own details (bad rows name FILE:LINE) up to MAX_DETAIL_LINES.
    assert one_line(ValueError("bad\n  detail one\n  detail two")) == "bad\n  detail one\n  detail two"
    many = ValueError("3 bad rows:\n" + "\n".join(f"  f.jsonl:{i}: x" for i in range(1, 26)))
    text = one_line(many).splitlines()
    assert text[0] == "3 bad rows:" and text[1] == "  f.jsonl:1: x" and len(text) == 1 + MAX_DETAIL_LINES + 1
    assert text[-1] == "  (5 more line(s): run with -v to see them)"
    assert one_line(urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))) == (
        "network error: [Errno 111] Connection refused"
    )
    err = urllib.error.HTTPError("http://h/x", 503, "Service Unavailable", {}, None)
    assert one_line(err) == "HTTP 503 Service Unavailable from http://h/x"
    failed = subprocess.CalledProcessError(1, ["tool", "--x"], stderr="warming up\nToolError: no input\n")
    assert one_line(failed) == "`tool --x` exited 1: ToolError: no input"
    assert one_line(subprocess.TimeoutExpired(["tool"], 5)) == "`tool` timed out after 5 s"
    assert one_line(OSError()) == "OSError"
    assert isinstance(failed, expected_errors()) and not isinstance(TypeError(), expected_errors())


def test_log_records_follow_stderr_across_in_process_commands(monkeypatch):
    """The demo runs commands in-process, each with stderr redirected to its own log file: a log
    record must land in the current one, never in a closed earlier one (records were lost)."""
    import contextlib
    import io
    import logging

    from longwrite.cli import configure_logging

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])  # as in a fresh process
    first, second = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(first):
        configure_logging()
        logging.getLogger("lw.test").info("stage one")
    first.close()  # the first stage's log file is closed
    with contextlib.redirect_stderr(second):
        configure_logging()  # no-op: the handler exists
        logging.getLogger("lw.test").info("stage two")
    assert "stage two" in second.getvalue() and "Logging error" not in second.getvalue()
