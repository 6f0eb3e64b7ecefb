"""Benchmark data a user can get: LongBench-Write, LongWrite-Ruler and WritingBench, pinned and checked.

``longwrite data get longbench-write|ruler`` downloads the benchmark files from the public
LongWriter repository (THUDM/LongWriter, folder ``evaluation/``, Apache-2.0) at one pinned commit;
``longwrite data get writingbench`` downloads WritingBench's released queries, requirement subsets
and its ``prompt.py`` (X-PLUG/WritingBench) at one pinned commit. Each file is checked against the
checksum recorded here and cached in :func:`data_dir` (``$LONGWRITE_DATA_DIR``, else
``~/.cache/longwriter-rl/data``; ``--dir`` chooses another; WritingBench in its ``writingbench/``
subfolder). ``longwrite eval`` reads that cache when ``--data`` is not given (:func:`resolve_data`).

A checksum is a sha256 (hex) or, where only the file's git object id at the pinned commit could be
read here, ``git-blob:<sha1>``: the id git itself gives the file's bytes at that commit (checked by
hashing ``b"blob <size>\\0" + bytes``), which pins the content as exactly.

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
    "checksum_of",
    "bench_dir",
    "get",
    "resolve_data",
]

#: The LongWriter commit the files are taken from (the files are the same since the first one).
COMMIT = "3fcfdff43deceb49f7936c6bf25ad88d61df0bfa"
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/THUDM/LongWriter/{COMMIT}/evaluation"
#: The X-PLUG/WritingBench commit its released files are taken from.
WRITINGBENCH_COMMIT = "ae2d5176449b7b769815482641d35926f26793eb"
WRITINGBENCH_URL = f"https://raw.githubusercontent.com/X-PLUG/WritingBench/{WRITINGBENCH_COMMIT}"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark's files (relative path -> checksum: sha256 hex or ``git-blob:<sha1>``), the
    file ``longwrite eval`` reads by default, where they come from (``source``, a folder URL, and
    ``origin``, said in errors) and the cache subfolder they go to."""

    name: str
    files: dict[str, str]
    default_file: str
    source: str = DEFAULT_BASE_URL
    origin: str = f"the LongWriter evaluation folder at commit {COMMIT}"
    subdir: str = ""


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
    "writingbench": Benchmark(
        "writingbench",
        {
            "benchmark_query/benchmark_all.jsonl": "git-blob:2d04c2d4c82f8c2d615e963393c7808f64b97129",
            "benchmark_query/requirement/format/format_subset.jsonl": "git-blob:6eb9e47a2fc190b28f72129a4fa8e799849833a4",
            "benchmark_query/requirement/format/format_subset_C.jsonl": "git-blob:1a015bcb27dd862e13ea4db49d1f56705db1b9b9",
            "benchmark_query/requirement/length/length_subset.jsonl": "5f12e5c85f8298f53045bfe2a37a3a37d5c04e3d6ef33b68b023478444ac85ab",
            "benchmark_query/requirement/length/length_subset_C.jsonl": "c993517a96ec013e1551319fa95ed250fa9fa8fa4870662c75dd16a8fee66521",
            "benchmark_query/requirement/style/style_subset.jsonl": "git-blob:5788daafc08e3a3cf8a117dd6b94a1203db2df25",
            "benchmark_query/requirement/style/style_subset_C.jsonl": "git-blob:7df42fc48b86bbba68bf96148da54aabbe3ff675",
            # The official judge prompt, for --protocol writingbench (read with ast, never run).
            "prompt.py": "c5bf21f28d4b4e54b682236cbe815831f3e362ff9b4f3e8c7c10467c491ecad1",
        },
        "benchmark_query/benchmark_all.jsonl",
        WRITINGBENCH_URL,
        f"X-PLUG/WritingBench at commit {WRITINGBENCH_COMMIT}",
        "writingbench",
    ),
}
#: Where the cached WritingBench requirement subsets and judge prompt lie, relative to its folder.
WRITINGBENCH_REQUIREMENTS = "benchmark_query/requirement"
WRITINGBENCH_PROMPT = "prompt.py"


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


def base_url(url: str | None = None, default: str = DEFAULT_BASE_URL) -> str:
    """The folder URL the files are downloaded from: ``url``, else ``$LONGWRITE_DATA_URL``, else
    ``default`` (a benchmark's pinned source; LongWriter's ``evaluation/`` folder at :data:`COMMIT`)."""
    return (url or os.environ.get("LONGWRITE_DATA_URL") or default).rstrip("/")


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def checksum_of(path: str | os.PathLike, like: str) -> str:
    """The checksum of a file in the form of ``like``: ``git-blob:<sha1 of "blob SIZE\\0" + bytes>``
    (git's object id of the file) when ``like`` is one, else its sha256 hex."""
    if like.startswith("git-blob:"):
        data = Path(path).read_bytes()
        return "git-blob:" + hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return sha256_of(path)


def bench_dir(name: str, directory: str | os.PathLike | None = None) -> Path:
    """The cache folder of benchmark ``name`` (its subfolder of :func:`data_dir`)."""
    return data_dir(directory) / _benchmark(name).subdir


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

    Files already cached with the right checksum are kept (not downloaded again); a cached file
    with a wrong one is downloaded anew. Raises ``ValueError`` when a downloaded file's checksum
    differs from the recorded one (then nothing new is cached) and :class:`DownloadError` (an
    ``OSError`` naming the URL) on network errors.
    """
    bench = _benchmark(name)
    folder = bench_dir(name, directory)
    folder.mkdir(parents=True, exist_ok=True)
    source = base_url(url, bench.source)
    fetched: dict[str, Path] = {}
    try:
        for fname, want in bench.files.items():
            final = folder / fname
            if final.is_file() and checksum_of(final, want) == want:
                log(f"{fname}: cached, checksum ok")
                continue
            tmp = final.with_name(f".{final.name}.part")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            fetched[fname] = tmp
            log(f"{fname}: downloading {source}/{fname}")
            _download(f"{source}/{fname}", tmp, timeout)
            got = checksum_of(tmp, want)
            if got != want:
                raise ValueError(
                    f"{source}/{fname}: checksum {got} does not match the recorded {want}; "
                    f"nothing was cached (is the URL {bench.origin}?)"
                )
        for fname, tmp in fetched.items():
            os.replace(tmp, folder / fname)
            log(f"{fname}: checksum ok, saved")
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
    path = bench_dir(name) / bench.default_file
    if not path.is_file():
        raise FileNotFoundError(
            f"no --data given and no cached {name} data at {path}: run `longwrite data get {name}` "
            "first (or pass --data FILE)"
        )
    want = bench.files[bench.default_file]
    if checksum_of(path, want) != want:
        raise ValueError(
            f"{path} differs from the recorded checksum: run `longwrite data get {name}` again to "
            "restore it (or pass --data FILE to use your own file)"
        )
    return path
