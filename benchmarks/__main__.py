"""``python -m benchmarks [NAME ...] [--quick] [--results-dir DIR] [-- ARGS]``: the speed suite.

Without names, runs every benchmark of :data:`benchmarks.SUITE` in one
process, each with its default settings. ARGS after ``--`` go to the named
benchmark (one name only), e.g. ``python -m benchmarks labs -- --rounds 3``.
``--quick`` runs tiny sizes (a smoke run: the figures mean nothing).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks import MODULES, SUITE  # noqa: E402


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(SUITE)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke run)")
    parser.add_argument("--results-dir", default=None, help="where the JSON goes "
                        "(default benchmarks/results)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in MODULES]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(SUITE)}")
    names = args.names or list(SUITE)
    if extra and len(names) != 1:
        parser.error("arguments after -- need exactly one benchmark name")
    for name in names:
        print(f"== {name} ==", flush=True)
        module = importlib.import_module(f"benchmarks.{MODULES[name]}")
        module.main(extra, quick=args.quick, results_dir=args.results_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
