"""``tfcourse labs``: list the course's labs, their specs and the course's results."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "labs", help="list the course's labs (spec, course result, legacy program)",
        description="List the course's MNIST labs: network, initialization, optimizer, epochs, "
                    "batch size, the result the course reports and the TF1 program.",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def starting(args: argparse.Namespace) -> None:
    return None  # the registry is plain Python


def run(args: argparse.Namespace) -> int:
    from tfcourse.labs import LABS

    if args.format == "json":
        print(json.dumps([lab.describe() for lab in LABS.values()], indent=2))
        return 0
    width = max(len(name) for name in LABS)
    for lab in LABS.values():
        config = ", ".join(f"{k}={v}" for k, v in lab.optimizer_config.items())
        print(f"{lab.name:<{width}}  {lab.title}")
        print(f"{'':<{width}}  {lab.architecture}, W {lab.kernel_initializer}, "
              f"b {lab.bias_initializer}, {lab.optimizer}({config}), {lab.epochs} epochs "
              f"of {lab.batch_size}")
        print(f"{'':<{width}}  course result: {lab.course_result}; program legacy_tf1/{lab.name}.py")
    return 0
