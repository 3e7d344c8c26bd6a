"""``tfcourse data info DATASET``: where a dataset was found, its shapes and classes."""

from __future__ import annotations

import argparse
import json

DATASET_CHOICES = ("mnist", "fashion_mnist", "synthetic")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "data", help="inspect the course's datasets", description="Inspect the course's datasets."
    )
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    info = actions.add_parser(
        "info",
        help="print where a dataset's files were found, shapes and class counts",
        description=(
            "Load DATASET the way the labs do and print where the files were found, the "
            "shapes and the examples per class. Looks in --data-dir (or TFCOURSE_DATA_DIR), "
            "the Keras cache, system folders, then Keras' download."
        ),
    )
    info.add_argument("dataset", choices=DATASET_CHOICES, metavar="DATASET",
                      help="one of: " + ", ".join(DATASET_CHOICES))
    info.add_argument("--data-dir", default=None,
                      help="folder holding the four *-idx?-ubyte.gz files or mnist.npz")
    info.add_argument("--no-download", action="store_true",
                      help="never try Keras' download")
    info.add_argument("--format", choices=("text", "json"), default="text")
    info.set_defaults(run=run_info)


def starting(args: argparse.Namespace) -> None:
    """Reading the files needs no TensorFlow (Keras' download, the last resort, imports it)."""
    return None


def run_info(args: argparse.Namespace) -> int:
    from tfcourse import data

    splits = data.load(args.dataset, args.data_dir, download=not args.no_download)
    summary = data.describe(splits)
    if args.format == "json":
        print(json.dumps(summary, indent=2))
        return 0
    print(f"dataset       {summary['name']}")
    print(f"source        {summary['source']}")
    print(f"train         {summary['train_shape'][0]} examples, images {tuple(summary['train_shape'][1:])} {summary['dtype']}")
    print(f"test          {summary['test_shape'][0]} examples, images {tuple(summary['test_shape'][1:])} {summary['dtype']}")
    print(f"classes       {summary['num_classes']}")
    print("per class     train / test")
    for label, (train_count, test_count) in enumerate(
        zip(summary["train_class_counts"], summary["test_class_counts"])
    ):
        print(f"  {label:>2}         {train_count:>6} / {test_count}")
    return 0
