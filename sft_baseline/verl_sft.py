"""Entry point each torchrun process runs: compose the preset's verl SFT config, then train.

``python -m torch.distributed.run ... -m sft_baseline.verl_sft --preset FILE [key=value ...]``
(what :func:`sft_baseline.train.launch` runs). The same composition as the launcher's, so what
was checked before the launch is what trains; verl's own ``run_sft`` does the rest.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Compose the config from ``--preset`` and overrides and run verl's SFT trainer."""
    parser = argparse.ArgumentParser(prog="sft_baseline.verl_sft")
    parser.add_argument("--preset", required=True)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)

    from sft_baseline.train import compose_sft_config

    cfg = compose_sft_config(args.preset, args.overrides)

    from verl.trainer.sft_trainer import run_sft
    from verl.utils.device import auto_set_device

    auto_set_device(cfg)
    run_sft(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
