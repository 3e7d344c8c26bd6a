"""``tfcourse legacy``: run the course's TF1 programs, unchanged, on TensorFlow 2.

* ``tfcourse legacy run SCRIPT.py [--dataset fashion_mnist] [--max-examples N]
  [--max-steps N] [--seed N] [--init W.npz] [--trace T.npz] [--data-dir DIR]
  [ARGS...] [-- PROGRAM_ARGS...]`` runs a TF1 file as written (``import
  tensorflow as tf``, ``from tensorflow.examples.tutorials.mnist import
  input_data``, ``tf.contrib.layers...``) through
  :func:`tfcourse.compat.run_script`; the exit status is the program's.
  tfcourse's options may come before or after the script; other arguments
  after it, and everything after ``--``, are the program's.
* ``tfcourse legacy list`` lists the programs of ``legacy_tf1/`` with their
  seed and the course's reported result.
* ``tfcourse legacy show NAME`` prints a program as the course wrote it
  (original import lines).
"""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> None:
    from tfcourse.compat.runner import add_arguments

    parser = subparsers.add_parser(
        "legacy", help="run the course's TF1 programs, unchanged, on TensorFlow 2",
        description="Run TF1 programs (placeholders, tf.Session, input_data, tf.contrib) "
                    "unchanged on TensorFlow 2 through tfcourse.compat.v1.",
    )
    actions = parser.add_subparsers(dest="legacy_command", metavar="ACTION", required=True)
    run_parser = actions.add_parser(
        "run", help="run a TF1 program as written",
        description="Run a TF1 program as written: its `import tensorflow as tf` and "
                    "tensorflow.examples / tf.contrib imports resolve to tfcourse.compat.v1 "
                    "in this process only, in a graph of its own. tfcourse's options may come "
                    "before or after SCRIPT; the program's own arguments go after it (after "
                    "`--` when they look like tfcourse's options).",
    )
    add_arguments(run_parser)
    run_parser.set_defaults(run=run)
    list_parser = actions.add_parser(
        "list", help="list the course's TF1 programs (legacy_tf1/)",
        description="List the programs of legacy_tf1/ with their seed and the course's result.",
    )
    list_parser.add_argument("--format", choices=("text", "json"), default="text")
    list_parser.set_defaults(run=run_list)
    show_parser = actions.add_parser(
        "show", help="print a program with the course's original import lines",
        description="Print a legacy_tf1/ program as the course wrote it (import tensorflow as tf).",
    )
    show_parser.add_argument("name", metavar="NAME", help="a program name from `tfcourse legacy list`")
    show_parser.set_defaults(run=run_show)


def starting(args: argparse.Namespace) -> str | None:
    if args.legacy_command != "run":
        return None
    dataset = f" on {args.dataset}" if args.dataset else ""
    return f"Running {args.script}{dataset} through tfcourse.compat.v1"


def run(args: argparse.Namespace) -> int:
    from tfcourse.compat.runner import run_from_arguments

    return run_from_arguments(args)


def run_list(args: argparse.Namespace) -> int:
    from tfcourse.compat.programs import legacy_programs

    programs = legacy_programs()
    if args.format == "json":
        print(json.dumps([
            {"name": p.name, "path": str(p.path), "title": p.title, "seed": p.seed,
             "course_result": p.course_result} for p in programs.values()
        ], indent=2, ensure_ascii=False))
        return 0
    width = max(len(name) for name in programs)
    for program in programs.values():
        print(f"{program.name:<{width}}  {program.title}")
        print(f"{'':<{width}}  course result: {program.course_result}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from tfcourse._validation import check_choice
    from tfcourse.compat.programs import legacy_programs
    from tfcourse.compat.runner import original_source

    programs = legacy_programs()
    check_choice("name", args.name, sorted(programs))
    print(original_source(programs[args.name].path), end="")
    return 0
