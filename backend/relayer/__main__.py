# SPDX-License-Identifier: EUPL-1.2
"""`python -m backend.relayer`: the relayer process without the rest of the CLI (same as `heitje relay`)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from backend.relayer.bootstrap import bootstrap
from backend.relayer.worker import RelayerConfig
from heitje.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend.relayer", description=__doc__)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--resend-after", type=float, default=5.0)
    parser.add_argument("--max-inflight", type=int, default=512)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = RelayerConfig(batch_size=args.batch_size, resend_after=args.resend_after, max_inflight=args.max_inflight)
    relayer = bootstrap(get_settings(), config=config)
    stop = threading.Event()

    def _handler(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    relayer.run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
