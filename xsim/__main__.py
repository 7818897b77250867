"""``python -m xsim``: run the simulator.

The first line on stdout is always ``xsim listening on http://HOST:PORT`` (with the real
port when ``--port 0`` asked for a free one), so a parent process can read it.
"""

from __future__ import annotations

import argparse
import signal
import sys

from xsim.clock import parse_iso
from xsim.server import App, Options, XsimHTTPServer


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m xsim", description="The X API v2 simulator bundled with SocialOps."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one")
    parser.add_argument("--seed", type=int, default=1, help="the world's seed (default 1)")
    parser.add_argument(
        "--start",
        help="simulated start time, ISO 8601 (default: now, truncated to the minute)",
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    parser.add_argument(
        "--mention-rate",
        type=float,
        default=120.0,
        help="mentions of our accounts per simulated hour (default 120)",
    )
    parser.add_argument(
        "--dm-rate",
        type=float,
        default=1.0,
        help="incoming DMs to our accounts per simulated hour (default 1)",
    )
    parser.add_argument("--app-bearer", default="xsim-app-bearer", help="the app-only bearer token")
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=7200,
        help="lifetime of user access tokens in simulated seconds (X: 7200)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if args.speed < 0 or args.mention_rate < 0 or args.dm_rate < 0:
        parser.error("--speed, --mention-rate and --dm-rate must be >= 0")
    try:
        start = parse_iso(args.start) if args.start else None
    except ValueError:
        parser.error(f"--start {args.start!r} is not an ISO 8601 datetime")
    return Options(
        host=args.host,
        port=args.port,
        seed=args.seed,
        start=start,
        speed=args.speed,
        mention_rate=args.mention_rate,
        dm_rate=args.dm_rate,
        app_bearer=args.app_bearer,
        token_ttl=args.token_ttl,
        verbose=args.verbose,
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    server = XsimHTTPServer(App(options))
    # SIGTERM (what a test harness or honcho sends) ends serve_forever cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"xsim listening on {server.url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
