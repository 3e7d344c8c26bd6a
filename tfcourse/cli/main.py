"""Entry point of the ``tfcourse`` command.

``main(argv) -> int``: 0 on success, 1 on a runtime failure (one ``error:``
line on stderr; ``--debug`` adds the traceback), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from typing import Sequence

# Subcommand modules under tfcourse.cli, in the order --help lists them.
SUBCOMMANDS = ("version", "data", "legacy", "labs", "run", "compare", "backprop", "tune", "board", "plot",
               "bench")

DESCRIPTION = (
    "The TensorFlow 1 deep-learning course on Keras 3 / TensorFlow 2: run the course's "
    "TF1 programs, their Keras ports side by side, and the course's algorithms."
)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in the project's one-line ``error:`` shape."""

    def error(self, message: str):  # noqa: D401
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from tfcourse import __version__

    parser = _Parser(prog="tfcourse", description=DESCRIPTION)
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    parser.add_argument("-V", "--version", action="version", version=f"tfcourse {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"tfcourse.cli.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the CLI's single reporting point
        if args.debug:
            traceback.print_exc()
        message = str(error) or type(error).__name__
        print(f"error: {message}", file=sys.stderr)
        return 1


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
