"""The ``tfcourse`` command: a thin layer over the package's public functions.

Each subcommand is one module with ``add_parser(subparsers)`` and
``run(args) -> int``; modules import TensorFlow inside ``run`` only, so
``tfcourse --help`` stays fast.
"""
