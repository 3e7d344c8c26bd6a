"""``tfcourse board``: TensorBoard over the course's logs, on loopback by default."""

from __future__ import annotations

import argparse
import os
import sys

DEFAULT_LOGDIR = "logs"
DEFAULT_PORT = 6006
DEFAULT_HOST = "127.0.0.1"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "board",
        help="start TensorBoard over the logs (127.0.0.1 only unless --host says otherwise)",
        description=(
            "Start TensorBoard over LOGDIR (logs/<experiment>/<run>/{train,validation}), "
            "bound to 127.0.0.1, print its URL and serve until Ctrl-C. "
            "Use --host 0.0.0.0 only to expose it to the network on purpose."
        ),
    )
    parser.add_argument("--logdir", default=DEFAULT_LOGDIR,
                        help=f"the log root (default: {DEFAULT_LOGDIR})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"the port to listen on (default: {DEFAULT_PORT})")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"the address to bind (default: {DEFAULT_HOST}, this machine only)")
    parser.add_argument("--reload-interval", type=float, default=5.0, metavar="SECONDS",
                        help="how often to rescan LOGDIR for new data (default: 5)")
    parser.set_defaults(run=run)


def starting(args: argparse.Namespace) -> str:
    return f"Starting TensorBoard over {args.logdir}"


def run(args: argparse.Namespace) -> int:
    from tfcourse._runtime import import_tensorflow

    import_tensorflow()  # TensorBoard reads event files with it; this hides its start-up lines
    from tfcourse.monitoring.server import serve

    if not os.path.isdir(args.logdir):
        print(f"warning: {args.logdir!r} does not exist yet; runs appear as they are written",
              file=sys.stderr)

    def announce(url: str) -> None:
        print(f"TensorBoard serving {os.path.abspath(args.logdir)} at {url} (Ctrl-C to stop)",
              flush=True)

    status = serve(args.logdir, port=args.port, host=args.host,
                   reload_interval=args.reload_interval, on_ready=announce)
    print("TensorBoard stopped", flush=True)
    return status
