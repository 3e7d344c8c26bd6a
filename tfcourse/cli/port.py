"""``tfcourse port PROGRAM.py [-o OUT.py]``: write the Keras 3 version of a TF1 program.

The program runs unchanged (through ``tfcourse.compat``) until its first
training steps are done, and the rest of it (the loops, the evaluation) runs
without training, so porting costs about one short run; then the Keras
program is written beside it (``PROGRAM_keras.py``) or to ``-o``, and a table
says what each layer became. ``tfcourse compare PROGRAM.py`` proves the two
equivalent step by step.
"""

from __future__ import annotations

import argparse

from tfcourse.cli._arguments import add_data_dir_argument, data_dir_environment, positive_int

DATASETS = ("mnist", "fashion_mnist", "synthetic")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "port", help="write the Keras 3 version of a TF1 program (PROGRAM_keras.py)",
        description="Run a TF1 program unchanged far enough to see what it builds (its graph, "
                    "its feeds, its first training steps), then write it as a Keras 3 program: "
                    "standard Keras layers where a pattern is recognized, a generated layer "
                    "holding the exact TensorFlow ops where not, the loss, the optimizer with "
                    "TF1's rule (tfcourse, convention='tf1'), model.fit for the training loop; "
                    "the program's own data loading and prints stay as they are. Check the "
                    "result with `tfcourse compare PROGRAM.py`.",
    )
    parser.add_argument("program", metavar="PROGRAM.py", help="a TF1 program (import tensorflow "
                                                              "as tf), as `legacy run` takes it")
    parser.add_argument("-o", "--output", default=None, metavar="OUT.py",
                        help="where to write the Keras program (default PROGRAM_keras.py beside "
                             "the program)")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="what the program's input_data reads while it is run to be ported "
                             "(default: as `legacy run`; offline: fashion_mnist)")
    parser.add_argument("--max-examples", type=positive_int("max_examples"), default=None,
                        metavar="N", help="keep at most N examples per split while it runs")
    parser.add_argument("--print", action="store_true", dest="print_source",
                        help="also print the Keras program")
    add_data_dir_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="only the error lines, if any")
    parser.add_argument("program_args", nargs="*", metavar="ARG",
                        help="the program's own arguments (after --)")
    parser.set_defaults(run=run)


def starting(args: argparse.Namespace) -> str:
    return f"Porting {args.program}: running it to its first training steps"


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tfcourse._runtime import import_tensorflow

    import_tensorflow()
    from tfcourse.port import default_output, port

    program = Path(args.program)
    if not program.is_file():
        raise FileNotFoundError(f"No TF1 program at {program}")
    with data_dir_environment(args.data_dir):
        result = port(program, argv=args.program_args, dataset=args.dataset,
                      max_examples=args.max_examples)
    output = Path(args.output) if args.output else default_output(program)
    result.write(output)
    if args.print_source:
        print(result.source)
    if not args.quiet:
        print(layer_table(result))
        for note in result.notes:
            print(f"note: {note}")
        print(f"wrote {output} (run it: python {output}; compare: tfcourse compare {program})")
    return 0


def layer_table(result) -> str:
    """What each layer of each model became: one row per layer."""
    if not result.layers:
        return f"{result.program}: no model (the program trains and evaluates nothing)"
    rows = [("model", "layer", "Keras", "TF1 line", "matched")]
    for model, name, keras, line, pattern, standard in result.layers:
        rows.append((str(model + 1), name, keras if standard else f"{keras} (custom)",
                     str(line), pattern))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.append(result.summary())
    return "\n".join(lines)

