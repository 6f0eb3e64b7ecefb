"""The ``longwrite`` command line: one entry point over the project's Python APIs."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("longwriter-rl")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
