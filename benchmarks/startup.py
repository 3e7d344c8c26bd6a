"""Start-up cost: ``tfcourse --help``, ``import tfcourse``, ``tfcourse version``, and how soon
``tfcourse compare`` and ``tfcourse run`` say what they start, each in a fresh process.

``import tfcourse`` must not import TensorFlow (its submodules load on
access); the benchmark checks ``"tensorflow" in sys.modules`` after the
import and reports it. Each figure is the wall time of a fresh
``python`` process, minus nothing (the interpreter's own start is part of
what a user waits for; ``python -c pass`` is reported beside it). For
``compare`` and ``run``, the figure is the time until their first line
on stderr (what they start, printed before TensorFlow loads); the process
is then killed.

Run:  python -m benchmarks startup
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

if __package__ in (None, ""):
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import tfcourse": [sys.executable, "-c", "import tfcourse"],
    "tfcourse --help": [sys.executable, "-m", "tfcourse", "--help"],
    "tfcourse version": [sys.executable, "-m", "tfcourse", "version"],
}

FIRST_LINE = {
    "tfcourse compare, first line": [sys.executable, "-m", "tfcourse", "compare", "xavier",
                                     "--dataset", "synthetic", "--epochs", "1", "--no-plot"],
    "tfcourse run, first line": [sys.executable, "-m", "tfcourse", "run", "xavier", "--dataset",
                                 "synthetic", "--epochs", "1"],
}

IMPORTS_TENSORFLOW = ("import sys, json, tfcourse; "
                      "print(json.dumps(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)))")


def _seconds(command) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _first_line_seconds(command, folder) -> float:
    """Seconds until ``command`` writes its first stderr line; then it is killed (by its PID)."""
    start = time.perf_counter()
    process = subprocess.Popen([*command, "--logdir", folder], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, cwd=folder)
    try:
        line = process.stderr.readline()
        elapsed = time.perf_counter() - start
    finally:
        process.kill()
        process.wait()
    if not line:
        raise RuntimeError(f"{' '.join(command)} wrote nothing on stderr")
    return elapsed


def measure(repeats: int = 7) -> dict:
    import tempfile

    folder = tempfile.mkdtemp(prefix="tfcourse-startup-")
    candidates = {name: (lambda c=command: _seconds(c)) for name, command in COMMANDS.items()}
    candidates.update({name: (lambda c=command: _first_line_seconds(c, folder))
                       for name, command in FIRST_LINE.items()})
    runs = _common.interleaved(candidates, repeats)
    figures = {name: _common.summary(values) for name, values in runs.items()}
    loaded = subprocess.run([sys.executable, "-c", IMPORTS_TENSORFLOW], check=True,
                            capture_output=True, text=True).stdout
    figures["modules_loaded_by_import_tfcourse"] = json.loads(loaded)
    return figures


def report(figures: dict) -> None:
    print("start-up (fresh process each):")
    for name in (*COMMANDS, *FIRST_LINE):
        print(_common.line(name, figures[name], "s", digits=3))
    loaded = figures["modules_loaded_by_import_tfcourse"]
    print(f"  import tfcourse loads: {', '.join(loaded) if loaded else 'neither tensorflow nor keras'}")


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    figures = measure(repeats=1 if quick else args.repeats)
    report(figures)
    _common.write("startup", figures, {"repeats": args.repeats, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
