"""Shared by the labs tests: call ``tfcourse ...`` in-process, clean TFCOURSE_* knobs.

``labs``, ``run`` and ``compare`` are mounted on a parser here until the lead
registers them in ``tfcourse.cli.main.SUBCOMMANDS``; errors are reported the
way ``main`` reports them (one ``error:`` line, exit 1).
"""

import argparse
import sys

KNOBS = ("TFCOURSE_DATASET", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_MAX_STEPS", "TFCOURSE_SEED",
         "TFCOURSE_INIT", "TFCOURSE_TRACE")


def tfcourse_cli(argv):
    from tfcourse.cli import compare, labs, run
    from tfcourse.cli import main as cli_main

    if {"labs", "run", "compare"} <= set(cli_main.SUBCOMMANDS):
        return cli_main.main(argv)
    parser = argparse.ArgumentParser(prog="tfcourse")
    subparsers = parser.add_subparsers(dest="command")
    for module in (labs, run, compare):
        module.add_parser(subparsers)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return int(args.run(args) or 0)
    except Exception as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
