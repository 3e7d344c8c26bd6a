"""What porting costs: ``tfcourse port`` per program against one run of its first steps, and the
wall time of ``tfcourse compare`` on the README's main job.

Issue 13 asks that porting a program cost no more than about one extra run of
its first steps. For each TF1 program (``legacy_tf1/``, the course-style
programs of ``tests/port_programs/`` and the recurrent ones of
``tests/legacy_scripts/``), in this process, interleaved (A, B, A, B...):

* ``first steps``: the program run unchanged under ``tfcourse.compat`` and
  stopped after its first 3 training steps (``max_steps=3``: what a user
  waits for before a legacy run shows anything);
* ``port``: :func:`tfcourse.port.port`: the program captured (run to its end
  with 3 real steps, the later ones recorded, not executed), its models
  planned and the Keras program written.

Both read the same data (Fashion-MNIST for the MNIST programs, full size
unless ``--max-examples``). The ratio port / first steps is the figure.

Then, unless ``--no-compare``, the README's main job in a fresh process:
``tfcourse compare my_mlp.py --dataset fashion_mnist --set training_epochs=2``
where ``my_mlp.py`` is ``tfcourse legacy show mnist_nn_adam`` (the course's
Adam MLP with its TF1 import lines): its wall time, and the TF1 and Keras
seconds it reports.

``--table`` instead compares every program at the test suite's settings and
prints the table of the issue-13 note (layers standard + custom, max per-step
loss difference, final metric of both versions, bounds).

Run:  python -m benchmarks port [-- --repeats 3 --programs perceptron mnist_mlp]
      python -m benchmarks port -- --table
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common

ROOT = Path(__file__).resolve().parent.parent
RECURRENT = ("rnn_hello", "rnn_sentence", "rnn_stacked_softmax", "rnn_stock",
             "rnn_bidirectional_fixed")


def programs(max_examples: int | None) -> dict:
    """name -> (path, argv, working folder, dataset, max_examples)."""
    from tests.port_programs.catalogue import FOLDER, PROGRAMS  # noqa: PLC0415
    from tests.test_compat_rnn_programs import _stock_csv  # noqa: PLC0415
    from tfcourse.compat.programs import LEGACY_DIR  # noqa: PLC0415

    scratch = Path(tempfile.mkdtemp(prefix="tfcourse-port-bench-"))
    table = {}
    for path in sorted(LEGACY_DIR.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        dataset = "fashion_mnist" if "input_data" in source else None
        table[path.stem] = (path, [], ROOT, dataset, max_examples if dataset else None)
    for name, entry in sorted(PROGRAMS.items()):
        dataset = "fashion_mnist" if entry.dataset else None
        table[f"port_programs/{name}"] = (entry.path, entry.arguments(scratch), FOLDER, dataset,
                                          max_examples if dataset else None)
    _stock_csv(scratch / "stock.csv")
    for name in RECURRENT:
        argv = [str(scratch / "stock.csv")] if name == "rnn_stock" else []
        table[f"legacy_scripts/{name}"] = (ROOT / "tests" / "legacy_scripts" / f"{name}.py", argv,
                                           ROOT, None, None)
    return table


def _quietly(function):
    with contextlib.redirect_stdout(io.StringIO()):
        return function()


def measure_program(path: Path, argv: list, folder: Path, dataset, max_examples,
                    repeats: int) -> dict:
    from tfcourse.compat import run_script  # noqa: PLC0415
    from tfcourse.port import port  # noqa: PLC0415

    cwd = os.getcwd()
    os.chdir(folder)  # the CSV programs read their data by a relative name
    try:
        def first_steps():
            start = time.perf_counter()
            _quietly(lambda: run_script(path, argv, dataset=dataset, max_examples=max_examples,
                                        max_steps=3))
            return time.perf_counter() - start

        def port_once():
            start = time.perf_counter()
            _quietly(lambda: port(path, argv=argv, dataset=dataset, max_examples=max_examples))
            return time.perf_counter() - start

        runs = _common.interleaved({"first steps": first_steps, "port": port_once}, repeats)
    finally:
        os.chdir(cwd)
    figures = {name: _common.summary(values) for name, values in runs.items()}
    figures["ratio"] = figures["port"]["median"] / figures["first steps"]["median"]
    return figures


def measure_compare(folder: Path) -> dict:
    """The README's main job, in a fresh process: wall seconds and what compare reports."""
    program = folder / "my_mlp.py"
    shown = subprocess.run([sys.executable, "-m", "tfcourse", "legacy", "show", "mnist_nn_adam"],
                           check=True, capture_output=True, text=True)
    program.write_text(shown.stdout, encoding="utf-8")
    command = [sys.executable, "-m", "tfcourse", "compare", str(program), "--dataset",
               "fashion_mnist", "--set", "training_epochs=2", "--quiet", "--output-dir",
               str(folder / "compare")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    report = json.loads((folder / "compare" / "compare.json").read_text())
    return {"command": "tfcourse compare my_mlp.py --dataset fashion_mnist --set "
                       "training_epochs=2", "wall_seconds": wall,
            "tf1_seconds": report["seconds"]["tf1"], "keras_seconds": report["seconds"]["keras"],
            "steps": report["steps"], "passed": report["passed"]}


def comparison_table() -> dict:
    """``tfcourse compare`` on every program at the settings of tests/test_port_programs.py:
    program -> layers (standard, custom), steps, max |dloss|, final metric of both, passed."""
    from tests import test_port_programs as suite  # noqa: PLC0415
    from tests.port_programs.catalogue import FOLDER, PROGRAMS  # noqa: PLC0415
    from tests.test_compat_rnn_programs import _stock_csv  # noqa: PLC0415
    from tfcourse.compat.programs import LEGACY_DIR  # noqa: PLC0415
    from tfcourse.port.comparison import compare_program  # noqa: PLC0415

    scratch = Path(tempfile.mkdtemp(prefix="tfcourse-port-table-"))
    _stock_csv(scratch / "stock.csv")
    jobs = [(name, LEGACY_DIR / f"{name}.py", settings, [], ROOT)
            for name, settings in sorted(suite.LEGACY.items())]
    jobs += [(f"port_programs/{name}", PROGRAMS[name].path, settings,
              PROGRAMS[name].arguments(scratch), FOLDER)
             for name, settings in sorted(suite.CATALOGUE.items())]
    jobs += [(f"legacy_scripts/{name}", suite.RECURRENT_SCRIPTS / f"{name}.py", settings,
              [str(scratch / "stock.csv")] if name == "rnn_stock" else [], ROOT)
             for name, (settings, _) in sorted(suite.RECURRENT.items())]
    rows = {}
    print(f"{'program':<44} {'layers':>8} {'steps':>6} {'max |dloss|':>12} {'final TF1':>10} "
          f"{'final Keras':>11}  bounds", flush=True)
    for name, path, settings, argv, folder in jobs:
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            comparison = _quietly(lambda: compare_program(
                path, argv=argv, output_dir=scratch / name.replace("/", "_"), quiet=True,
                **settings))
        finally:
            os.chdir(cwd)
        legacy, keras_losses = comparison.legacy_losses, comparison.keras_losses
        gap = (None if comparison.stochastic or not len(legacy) else
               float(max(abs(a - b) for a, b in zip(legacy, keras_losses))))
        final = comparison.final or {}
        rows[name] = {"standard_layers": comparison.port.standard_layers,
                      "custom_layers": comparison.port.custom_layers, "steps": len(legacy),
                      "max_step_loss_difference": gap, "stochastic": comparison.stochastic,
                      "final_metric": final.get("metric"), "final_tf1": final.get("legacy"),
                      "final_keras": final.get("keras"), "passed": comparison.passed()}
        row = rows[name]
        layers = f"{row['standard_layers']}+{row['custom_layers']}"
        gap_text = "(dropout)" if comparison.stochastic else (
            "-" if gap is None else f"{gap:.2e}")
        finals = [f"{v:.4f}" if v is not None else "-" for v in (row["final_tf1"],
                                                                   row["final_keras"])]
        print(f"{name:<44} {layers:>8} {row['steps']:>6} {gap_text:>12} {finals[0]:>10} "
              f"{finals[1]:>11}  {'pass' if row['passed'] else 'FAIL'}", flush=True)
    return rows


def main(argv=None, quick: bool = False, results_dir=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks port",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each (after one "
                        "warm-up)")
    parser.add_argument("--programs", nargs="*", default=None, metavar="NAME",
                        help="only these (names as printed)")
    parser.add_argument("--max-examples", type=int, default=None,
                        help="examples per split of the MNIST programs (default: all)")
    parser.add_argument("--no-compare", action="store_true", help="skip the README's main job")
    parser.add_argument("--table", action="store_true",
                        help="instead: compare every program at the test suite's settings and "
                             "print program, layers (standard+custom), max |dloss|, final "
                             "metric of both (writes port_table.json)")
    args = parser.parse_args(argv or [])
    if args.table:
        from tfcourse._runtime import import_tensorflow  # noqa: PLC0415

        import_tensorflow()
        path = _common.write("port_table", comparison_table(), vars(args), results_dir)
        print(f"wrote {path}")
        return 0
    if quick:
        args.repeats, args.max_examples = 1, 300
        args.programs = args.programs or ["perceptron_training", "port_programs/mnist_mlp"]
        args.no_compare = True
    from tfcourse._runtime import import_tensorflow  # noqa: PLC0415

    import_tensorflow()
    table = programs(args.max_examples)
    unknown = sorted(set(args.programs or ()) - set(table))
    if unknown:
        parser.error(f"unknown program {unknown[0]!r}; choose from {', '.join(table)}")
    names = args.programs or list(table)
    print(f"port vs the first 3 steps of each program, median of {args.repeats} "
          "(seconds; ratio = port / first steps)", flush=True)
    per_program = {}
    for name in names:
        path, program_argv, folder, dataset, examples = table[name]
        figures = measure_program(path, program_argv, folder, dataset, examples, args.repeats)
        per_program[name] = figures
        print(f"  {name:<44} first steps {figures['first steps']['median']:6.2f}   "
              f"port {figures['port']['median']:6.2f}   ratio {figures['ratio']:5.2f}", flush=True)
    ratios = sorted(f["ratio"] for f in per_program.values())
    summary = {"median_ratio": ratios[len(ratios) // 2], "max_ratio": ratios[-1],
               "programs": len(ratios)}
    print(f"  ratio over {len(ratios)} programs: median {summary['median_ratio']:.2f}, "
          f"max {summary['max_ratio']:.2f}", flush=True)
    figures = {"programs": per_program, "summary": summary}
    if not args.no_compare:
        print("README main job (fresh process):", flush=True)
        figures["compare"] = measure_compare(Path(tempfile.mkdtemp(prefix="tfcourse-compare-")))
        job = figures["compare"]
        print(f"  {job['command']}: {job['wall_seconds']:.1f} s wall (TF1 "
              f"{job['tf1_seconds']:.1f} s, Keras {job['keras_seconds']:.1f} s, {job['steps']} "
              f"steps, {'PASS' if job['passed'] else 'FAIL'})", flush=True)
    path = _common.write("port", figures, vars(args), results_dir)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
