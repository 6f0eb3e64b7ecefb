"""``make bench``: run every benchmark module in this folder (or those named) in turn.

Each module exposes ``main()`` that prints a table and the ratio against its baseline measured in
the same run; figures worth keeping go to ``benchmarks/RESULTS.md`` with machine and date.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the benchmarks named in ``argv`` (default: all modules in ``benchmarks/``)."""
    here = Path(__file__).parent
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    for name in names:
        print(f"\n=== benchmarks/{name}.py ===", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
