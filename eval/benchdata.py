"""Benchmark data a user can get: LongBench-Write and LongWrite-Ruler, pinned and checksummed.

``longwrite data get longbench-write|ruler`` downloads the benchmark files from the public
LongWriter repository (THUDM/LongWriter, folder ``evaluation/``, Apache-2.0) at one pinned commit,
checks each file against the sha256 recorded here, and caches it in :func:`data_dir`
(``$LONGWRITE_DATA_DIR``, else ``~/.cache/longwriter-rl/data``; ``--dir`` chooses another).
``longwrite eval`` reads that cache when ``--data`` is not given (:func:`resolve_data`).

A file whose checksum differs is refused and nothing of that benchmark is cached: every file is
downloaded to a temporary name first and only moved into place once all of them are verified.
The download source can be redirected (``--base-url`` or ``$LONGWRITE_DATA_URL``, a folder URL
that holds the files under their names), e.g. to a mirror, or to a loopback server in tests.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rollout.errors import LongwriteError

__all__ = [
    "COMMIT",
    "BENCHMARKS",
    "Benchmark",
    "DownloadError",
    "data_dir",
    "base_url",
    "sha256_of",
    "get",
    "resolve_data",
]

#: The LongWriter commit the files are taken from (the files are the same since the first one).
COMMIT = "3fcfdff43deceb49f7936c6bf25ad88d61df0bfa"
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/THUDM/LongWriter/{COMMIT}/evaluation"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's files (name -> sha256) and the file ``longwrite eval`` reads by default."""

    name: str
    files: dict[str, str]
    default_file: str


BENCHMARKS: dict[str, Benchmark] = {
    "longbench-write": Benchmark(
        "longbench-write",
        {
            "longbench_write.jsonl": "1f6e99497cc24d65894d65e014062f398ba946ebdd254b7f8b339e48d3ab5779",
            "longbench_write_en.jsonl": "87800927761f340e48899e4df5d47fb7211ad4936a63420dbfa979660414259f",
        },
        "longbench_write.jsonl",
    ),
    "ruler": Benchmark(
        "ruler",
        {"longwrite_ruler.jsonl": "a1d4ebf0df0fa1600567691d11c9a52de3037c4a372970ed2e8f52f2889e0a62"},
        "longwrite_ruler.jsonl",
    ),
}


def _benchmark(name: str) -> Benchmark:
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise ValueError(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}") from None


def data_dir(directory: str | os.PathLike | None = None) -> Path:
    """The data cache folder: ``directory`` if given, else ``$LONGWRITE_DATA_DIR``, else
    ``$XDG_CACHE_HOME/longwriter-rl/data`` (``~/.cache/longwriter-rl/data``)."""
    if directory:
        return Path(directory).expanduser()
    if os.environ.get("LONGWRITE_DATA_DIR"):
        return Path(os.environ["LONGWRITE_DATA_DIR"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "longwriter-rl" / "data"


def base_url(url: str | None = None) -> str:
    """The folder URL the files are downloaded from: ``url``, else ``$LONGWRITE_DATA_URL``, else
    the LongWriter repository's ``evaluation/`` folder at :data:`COMMIT`."""
    return (url or os.environ.get("LONGWRITE_DATA_URL") or DEFAULT_BASE_URL).rstrip("/")


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class DownloadError(LongwriteError, OSError):
    """A benchmark file could not be downloaded (no network, refused, HTTP error, timeout)."""


def _download(url: str, dest: Path, timeout: float) -> None:
    """Stream ``url`` into ``dest``; a network failure is a :class:`DownloadError` naming the URL."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, dest.open("wb") as fh:
            while chunk := resp.read(1 << 16):
                fh.write(chunk)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"cannot download {url}: HTTP {exc.code} {exc.reason}; {_HINT}") from exc
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DownloadError(f"cannot download {url}: {reason}; {_HINT}") from exc


_HINT = (
    "check the network, or point --base-url (or $LONGWRITE_DATA_URL) at a reachable copy of the "
    "files; nothing was cached"
)


def get(
    name: str,
    directory: str | os.PathLike | None = None,
    *,
    url: str | None = None,
    timeout: float = 60.0,
    log=print,
) -> dict[str, Path]:
    """Download benchmark ``name`` into the cache (see :func:`data_dir`); return file -> path.

    Files already cached with the right sha256 are kept (not downloaded again); a cached file
    with a wrong one is downloaded anew. Raises ``ValueError`` when a downloaded file's sha256
    differs from the recorded one (then nothing new is cached) and :class:`DownloadError` (an
    ``OSError`` naming the URL) on network errors.
    """
    bench = _benchmark(name)
    folder = data_dir(directory)
    folder.mkdir(parents=True, exist_ok=True)
    source = base_url(url)
    fetched: dict[str, Path] = {}
    try:
        for fname, want in bench.files.items():
            final = folder / fname
            if final.is_file() and sha256_of(final) == want:
                log(f"{fname}: cached, sha256 ok")
                continue
            tmp = folder / f".{fname}.part"
            fetched[fname] = tmp
            log(f"{fname}: downloading {source}/{fname}")
            _download(f"{source}/{fname}", tmp, timeout)
            got = sha256_of(tmp)
            if got != want:
                raise ValueError(
                    f"{source}/{fname}: sha256 {got} does not match the recorded {want}; "
                    "nothing was cached (is the URL the LongWriter evaluation folder at commit "
                    f"{COMMIT}?)"
                )
        for fname, tmp in fetched.items():
            os.replace(tmp, folder / fname)
            log(f"{fname}: sha256 ok, saved")
    finally:
        for tmp in fetched.values():
            tmp.unlink(missing_ok=True)
    return {fname: folder / fname for fname in bench.files}


def resolve_data(data: str | os.PathLike | None, name: str) -> Path:
    """The data file ``longwrite eval NAME`` reads: ``data`` when given, else the cached default
    file of benchmark ``name`` (checked against its sha256).

    Raises ``FileNotFoundError`` naming ``longwrite data get NAME`` when nothing is cached, and
    ``ValueError`` when the cached file was changed since it was downloaded.
    """
    if data is not None:
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"data file not found: {path}")
        return path
    bench = _benchmark(name)
    path = data_dir() / bench.default_file
    if not path.is_file():
        raise FileNotFoundError(
            f"no --data given and no cached {name} data at {path}: run `longwrite data get {name}` "
            "first (or pass --data FILE)"
        )
    if sha256_of(path) != bench.files[bench.default_file]:
        raise ValueError(
            f"{path} differs from the recorded sha256: run `longwrite data get {name}` again to "
            "restore it (or pass --data FILE to use your own file)"
        )
    return path
