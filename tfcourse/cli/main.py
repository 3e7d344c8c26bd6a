"""Entry point of the ``tfcourse`` command.

``main(argv) -> int``: 0 on success, 1 on a runtime failure (one ``error:``
line on stderr; ``--debug`` adds the traceback), 2 on a usage error.

A command that needs TensorFlow first prints one line on stderr saying what
it starts (a subcommand module's ``starting(args)`` words it; None: nothing
to start), then imports TensorFlow, which takes seconds. Without
``--debug``, the libraries' own log lines stay off the terminal: TensorFlow's
native ``I0000``/``E0000`` lines (``TF_CPP_MIN_LOG_LEVEL=3``) and the
warnings of the ``tensorflow`` and ``matplotlib`` loggers (at ERROR); with
``--debug`` they show at the levels the environment sets.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import logging
import os
import re
import sys
import traceback
from typing import Sequence

# Subcommand modules under tfcourse.cli, in the order --help lists them.
SUBCOMMANDS = ("version", "data", "legacy", "labs", "run", "port", "compare", "backprop", "tune",
               "board", "plot", "bench")

DESCRIPTION = (
    "The TensorFlow 1 deep-learning course on Keras 3 / TensorFlow 2: run the course's "
    "TF1 programs, their Keras ports side by side, and the course's algorithms."
)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in the project's one-line ``error:`` shape."""

    def error(self, message: str):  # noqa: D401
        self.print_usage(sys.stderr)
        self.exit(2, f"error: {_with_suggestion(message)}\n")


def _with_suggestion(message: str) -> str:
    """argparse's "invalid choice" message, plus the closest choice when one is close."""
    match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if match is None:
        return message
    choices = re.findall(r"'([^']*)'", match.group(2)) or [
        choice.strip() for choice in match.group(2).split(",")]
    close = difflib.get_close_matches(match.group(1), choices, n=1, cutoff=0.6)
    return f"{message}; did you mean '{close[0]}'?" if close else message


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


def starting_line(args: argparse.Namespace) -> str | None:
    """What the command starts, for commands that need TensorFlow (None: no TensorFlow)."""
    module = sys.modules.get(getattr(args.run, "__module__", ""))
    describe = getattr(module, "starting", None)
    if describe is None:
        return f"tfcourse {args.command}"
    return describe(args)


QUIETED_LOGGERS = ("tensorflow", "matplotlib")
"""Python loggers whose warnings a normal run does not show (matplotlib's: "building the
font cache" on a first run)."""


@contextlib.contextmanager
def _library_logs(debug: bool):
    """The libraries' own log lines off (unless ``debug``) for the command's duration."""
    if debug:
        yield
        return
    # native lines: the level is read when TensorFlow is first imported (after this point)
    saved_level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    loggers = [logging.getLogger(name) for name in QUIETED_LOGGERS]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, previous):
            logger.setLevel(level)
        if saved_level is None:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
        else:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = saved_level


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `tfcourse port|compare PROGRAM.py -- ARG...`: argparse gives a positional ARG* nothing once
    # PROGRAM.py is matched, so the program's arguments are split off here (legacy run keeps
    # its own `--` handling).
    program_args = None
    if "--" in argv and "legacy" not in argv[:argv.index("--")]:
        cut = argv.index("--")
        argv, program_args = argv[:cut], argv[cut + 1:]
    try:
        args = parser.parse_args(argv)
        if program_args is not None:
            if not hasattr(args, "program_args"):
                parser.error(f"`--` and the program arguments after it are for tfcourse port "
                             f"and tfcourse compare PROGRAM.py; received {program_args!r}")
            args.program_args = args.program_args + program_args
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with _library_logs(args.debug):
            what = starting_line(args)
            if what is not None:
                if not getattr(args, "quiet", False):
                    print(f"{what} (starting TensorFlow...)", file=sys.stderr, flush=True)
                from tfcourse._runtime import import_tensorflow  # noqa: PLC0415

                import_tensorflow()
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
