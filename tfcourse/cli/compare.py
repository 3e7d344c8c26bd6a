"""``tfcourse compare LAB``: the legacy program, the TF2 port and Keras, step by step.

Prints a per-epoch table (cost of each tier, largest per-step loss
difference, test accuracy, seconds per epoch) and the issue's bounds; writes
``compare.json`` and ``losses.png`` into ``--output-dir``
(``<logdir>/<lab>/compare`` by default). Exit status 1 when a bound fails.

Each tier is saved in ``<output-dir>/resume`` as it finishes (the Keras tier
at every epoch end), so the same command run again after a kill resumes
instead of starting over, with the same results; ``--overwrite`` starts afresh.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys

from tfcourse.cli._arguments import data_dir_environment, max_examples, positive_int
from tfcourse.cli.run import add_lab_arguments


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="run a lab's TF1 program, TF2 port and Keras version from the same "
                        "weights and batches, and compare them",
        description="Run the lab's TF1 program (recording its initial weights, mini-batch order "
                    "and per-step losses), then the TF2 port and the Keras model from those "
                    "weights on those batches with the tf1 optimizer convention; report per "
                    "epoch the cost of each tier, the largest per-step loss difference, test "
                    "accuracy and seconds, and check the bounds (200 steps within 1e-4, "
                    "accuracy within 0.3 points).",
    )
    add_lab_arguments(parser)
    parser.set_defaults(dataset=None)  # a lab: mnist; a program: what its input_data reads
    parser.add_argument("--tiers", default="port,keras",
                        help="tiers besides legacy, comma-separated (default port,keras)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="dropout labs: dropout seeds per tier for the statistical check")
    parser.add_argument("--keras-dense", choices=("tf1", "keras"), default="tf1",
                        help="Keras tier's Dense: tf1 adds the bias as TF1 did (AddV2, default), "
                             "keras uses keras.layers.Dense (BiasAdd)")
    parser.add_argument("--output-dir", default=None,
                        help="where compare.json and losses.png go (default <logdir>/<lab>/compare)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the JSON here")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="stdout: the table (text) or the JSON")
    parser.add_argument("--no-plot", action="store_true", help="do not write losses.png")
    parser.add_argument("--overwrite", action="store_true",
                        help="discard the tiers an earlier, interrupted run of this comparison "
                             "saved in <output-dir>/resume and start afresh (without it, the "
                             "same command again takes the finished tiers from there and "
                             "resumes the Keras tier from its last epoch)")
    parser.add_argument("--show-code", action="store_true",
                        help="print the legacy program and the Keras version side by side, "
                             "and exit")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="PROGRAM.py: change a top-level assignment of the program in both "
                             "versions, e.g. --set training_epochs=2 (repeatable)")
    parser.add_argument("--max-steps", type=positive_int("max_steps"), default=None,
                        metavar="N", help="PROGRAM.py: train at most N steps in both versions")
    parser.add_argument("program_args", nargs="*", metavar="ARG",
                        help="PROGRAM.py: the program's own arguments (after --), given to both "
                             "versions")
    parser.set_defaults(run=run)


def is_program(name: str) -> bool:
    """``tfcourse compare X``: X is a TF1 program file (not a lab name)."""
    return name.endswith(".py") or os.path.sep in name or os.path.isfile(name)


def starting(args: argparse.Namespace) -> str:
    if is_program(args.lab):
        if args.show_code:
            return f"Porting {args.lab} to show it beside its Keras version"
        return f"Comparing {args.lab} with its Keras version (running the TF1 program first)"
    from tfcourse.labs import get
    from tfcourse.labs.runs import plural

    lab = get(args.lab)
    if args.show_code:
        return f"Writing the Keras version of {lab.name}"
    epochs = lab.epochs if args.epochs is None else args.epochs
    tiers = ", ".join(["legacy", *[t.strip() for t in args.tiers.split(",") if t.strip()]])
    return f"Comparing {lab.name} on {args.dataset or 'mnist'}, {plural(epochs, 'epoch')}: {tiers}"


def side_by_side(left: str, right: str, width: int = 78, titles=("legacy (TF1)", "Keras")) -> str:
    """Two texts in two columns (long lines wrap within their column)."""
    def wrap(text):
        lines = []
        for line in text.expandtabs(4).splitlines() or [""]:
            lines += [line[i:i + width] for i in range(0, max(len(line), 1), width)]
        return lines

    rows = [f"{titles[0]:<{width}} | {titles[1]}", f"{'-' * width}-+-{'-' * width}"]
    for a, b in itertools.zip_longest(wrap(left), wrap(right), fillvalue=""):
        rows.append(f"{a:<{width}} | {b}".rstrip())
    return "\n".join(rows)


def _without_docstring(source: str) -> str:
    import ast

    body = ast.parse(source).body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None),
                                                              ast.Constant):
        return "\n".join(source.splitlines()[body[0].end_lineno:]).lstrip("\n") + "\n"
    return source


def run(args: argparse.Namespace) -> int:
    if is_program(args.lab):
        return run_program(args)
    if args.program_args:
        raise ValueError(f"program arguments {' '.join(args.program_args)!r} are for a TF1 "
                         f"program (tfcourse compare PROGRAM.py -- ARG...), not for the lab "
                         f"{args.lab!r}")
    from tfcourse._validation import check_choice
    from tfcourse.labs import get

    lab = get(args.lab)
    tiers = ["legacy"] + [t.strip() for t in args.tiers.split(",") if t.strip()]
    for tier in tiers:
        check_choice("tiers", tier, ("legacy", "port", "keras"))
    if args.show_code:
        from tfcourse._runtime import import_tensorflow
        from tfcourse.compat.runner import original_source
        from tfcourse.labs.keras_tier import ported_lab

        import_tensorflow()
        print(side_by_side(_without_docstring(original_source(lab.program)),
                           _without_docstring(ported_lab(lab).source),
                           titles=("TF1 (legacy_tf1)", "Keras 3 (tfcourse port)")))
        return 0
    import shutil

    from tfcourse.labs.comparison import compare, save_json, saved_progress

    output_dir = args.output_dir or os.path.join(args.logdir, lab.name, "compare")
    resume_dir = os.path.join(output_dir, "resume")
    if args.overwrite and os.path.isdir(resume_dir):
        shutil.rmtree(resume_dir)
    done = saved_progress(resume_dir)
    if done:
        print(f"Resuming from {resume_dir}: {', '.join(done)} (--overwrite starts afresh)",
              file=sys.stderr)
    with data_dir_environment(args.data_dir):
        comparison = compare(lab, dataset=args.dataset or "mnist", epochs=args.epochs,
                             max_examples=max_examples(args.max_examples), seed=args.seed,
                             tiers=tiers,
                             repeats=args.repeats, logdir=args.logdir, progress=not args.quiet,
                             keras_dense=args.keras_dense, resume_dir=resume_dir)
    written = [save_json(comparison, os.path.join(output_dir, "compare.json"))]
    if args.json:
        written.append(save_json(comparison, args.json))
    if not args.no_plot:
        written.append(comparison.plot(os.path.join(output_dir, "losses.png")))
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    else:
        print(comparison.format_table())
        print("wrote " + ", ".join(str(path) for path in written))
    if not comparison.passed():
        print("error: a comparison bound does not hold (see FAIL above)", file=sys.stderr)
        return 1
    return 0


def _assignments(items: list[str], epochs: int | None) -> dict:
    import ast

    sets = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip().isidentifier():
            raise ValueError(f"`--set` takes NAME=VALUE (a top-level assignment of the program). "
                             f"Received: --set {item!r}")
        try:
            sets[name.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            raise ValueError(f"`--set {name.strip()}=...`: the value must be a Python literal. "
                             f"Received: {value!r}") from None
    if epochs is not None:
        sets.setdefault("training_epochs", epochs)
    return sets


def run_program(args: argparse.Namespace) -> int:
    """``tfcourse compare PROGRAM.py``: the TF1 program and its Keras version, step by step."""
    from pathlib import Path

    from tfcourse._runtime import import_tensorflow

    program = Path(args.lab)
    if not program.is_file():
        raise FileNotFoundError(f"No TF1 program at {program}")
    sets = _assignments(args.set, args.epochs)
    dataset = args.dataset
    import_tensorflow()
    if args.show_code:
        from tfcourse.compat.runner import original_source
        from tfcourse.port import port

        with data_dir_environment(args.data_dir):
            result = port(program, argv=args.program_args, dataset=dataset,
                          max_examples=max_examples(args.max_examples))
        print(side_by_side(_without_docstring(original_source(program)),
                           _without_docstring(result.source), titles=("TF1", "Keras 3")))
        return 0
    from tfcourse.port.comparison import compare_program

    output_dir = args.output_dir or os.path.join(args.logdir, program.stem, "compare")
    with data_dir_environment(args.data_dir):
        comparison = compare_program(program, dataset=dataset,
                                     max_examples=max_examples(args.max_examples), seed=args.seed,
                                     max_steps=args.max_steps, sets=sets, output_dir=output_dir,
                                     repeats=args.repeats, quiet=args.quiet,
                                     argv=args.program_args)
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "compare.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(comparison.to_dict(), handle, indent=2)
    written = [comparison.keras_program, path]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(comparison.to_dict(), handle, indent=2)
        written.append(args.json)
    if not args.no_plot and comparison.trains:
        written.append(comparison.plot(os.path.join(output_dir, "losses.png")))
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    else:
        print(comparison.format_table())
        print("wrote " + ", ".join(str(path) for path in written))
    if not comparison.passed():
        print("error: a comparison bound does not hold (see FAIL above)", file=sys.stderr)
        return 1
    return 0
