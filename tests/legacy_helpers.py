"""Shared by the legacy tests: call ``tfcourse ...`` in-process.

``tfcourse legacy`` is registered in ``tfcourse.cli.main.SUBCOMMANDS`` by the
lead; until it is, the same module is mounted on a parser here and errors are
reported the way ``main`` reports them (one ``error:`` line, exit 1).
"""

import argparse
import sys


def tfcourse_cli(argv):
    from tfcourse.cli import legacy
    from tfcourse.cli import main as cli_main

    if "legacy" in cli_main.SUBCOMMANDS:
        return cli_main.main(argv)
    parser = argparse.ArgumentParser(prog="tfcourse")
    legacy.add_parser(parser.add_subparsers(dest="command"))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return int(args.run(args) or 0)
    except Exception as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
