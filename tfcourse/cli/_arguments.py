"""Argument types and options several subcommands share."""

from __future__ import annotations

import argparse
import contextlib
import os
from typing import Iterator

from tfcourse._validation import check_int

DATA_DIR_VARIABLE = "TFCOURSE_DATA_DIR"


def positive_int(name: str):
    """An argparse ``type`` for an integer >= 1, checked while parsing (before TensorFlow starts)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"`{name}` must be an integer in [1, inf). Received: {name}={text!r}") from None
        try:
            return check_int(name, value, low=1)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def add_data_dir_argument(parser: argparse.ArgumentParser) -> None:
    """``--data-dir``: where the dataset's files are (``TFCOURSE_DATA_DIR`` for this command)."""
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="folder holding the dataset's four *-idx?-ubyte.gz files or "
                             f"mnist.npz (sets {DATA_DIR_VARIABLE} for this command; see "
                             "`tfcourse data info`)")


@contextlib.contextmanager
def data_dir_environment(data_dir: str | None) -> Iterator[None]:
    """``TFCOURSE_DATA_DIR=data_dir`` inside the block (nothing when ``data_dir`` is None).

    Every dataset read of the command (the legacy program's ``input_data``
    and :func:`tfcourse.data.load`) looks there first.
    """
    if data_dir is None:
        yield
        return
    saved = os.environ.get(DATA_DIR_VARIABLE)
    os.environ[DATA_DIR_VARIABLE] = os.fspath(data_dir)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(DATA_DIR_VARIABLE, None)
        else:
            os.environ[DATA_DIR_VARIABLE] = saved


def max_examples(value: int | None) -> int | None:
    """``--max-examples``, else ``TFCOURSE_MAX_EXAMPLES`` (the knob every dataset read obeys).

    Resolved here so that what a run reports and records (tables, resume
    settings) is the size it trained on.
    """
    if value is not None:
        return value
    from tfcourse.compat.settings import from_environment  # noqa: PLC0415

    return from_environment().max_examples
