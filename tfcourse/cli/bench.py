"""``tfcourse bench [NAME ...] [--quick] [--results-dir DIR]``: the speed benchmark suite.

Runs ``python -m benchmarks`` (the repository's ``benchmarks/`` folder: start-up,
matmul peak, legacy/port/Keras tier throughput, optimizers, tuner, port, conv) in a child
process from the source checkout this tfcourse is installed from. See
``benchmarks/README.md`` for what each one measures and the recorded figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

NAMES = ("startup", "matmul", "labs", "optimizers", "tuner", "port", "conv")


def benchmarks_folder() -> Path:
    """``benchmarks/`` beside the ``tfcourse`` package (a source checkout or editable install)."""
    return Path(__file__).resolve().parents[2] / "benchmarks"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run the speed benchmarks (python -m benchmarks) and write benchmarks/results/*.json",
        description="Run the speed benchmark suite of the source checkout: "
                    "median/min/max after warm-up, JSON with the machine description.",
    )
    parser.add_argument("names", nargs="*", choices=NAMES, metavar="NAME",
                        help=f"benchmarks to run (default: all): {', '.join(NAMES)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--results-dir", default=None,
                        help="where the JSON goes (default benchmarks/results)")
    parser.set_defaults(run=run)


def starting(args: argparse.Namespace) -> None:
    return None  # the benchmarks run in a child process, which reports itself


def run(args: argparse.Namespace) -> int:
    folder = benchmarks_folder()
    if not (folder / "__main__.py").is_file():
        print(f"error: tfcourse bench needs the source checkout's benchmarks/ folder; "
              f"{folder} has no __main__.py (install tfcourse from a clone with pip install -e)",
              file=sys.stderr)
        return 1
    command = [sys.executable, "-m", "benchmarks", *args.names]
    if args.quick:
        command.append("--quick")
    if args.results_dir:
        command += ["--results-dir", str(Path(args.results_dir).resolve())]
    return subprocess.run(command, cwd=folder.parent).returncode
